using System;
using Xunit;

namespace Mtrl.Kernels.Tests;

/// <summary>A fact that is skipped, with the reason, when OpenBLAS cannot be loaded.</summary>
public sealed class OpenBlasFactAttribute : FactAttribute
{
    public OpenBlasFactAttribute()
    {
        if (!OpenBlas.IsAvailable)
        {
            Skip = OpenBlasGemmTests.MissingMessage;
        }
    }
}

/// <summary>A theory that is skipped, with the reason, when OpenBLAS cannot be loaded.</summary>
public sealed class OpenBlasTheoryAttribute : TheoryAttribute
{
    public OpenBlasTheoryAttribute()
    {
        if (!OpenBlas.IsAvailable)
        {
            Skip = OpenBlasGemmTests.MissingMessage;
        }
    }
}

public sealed class OpenBlasGemmTests : GemmTestsBase
{
    internal const string MissingMessage =
        "OpenBLAS (libopenblas.so.0) could not be loaded; install libopenblas0 to run the OpenBLAS back-end tests.";

    [Fact]
    public void OpenBlasIsLoadableWhenTheEnvironmentRequiresIt()
    {
        // CI sets MTRL_REQUIRE_OPENBLAS=1 after installing libopenblas0, so a broken install fails
        // loudly instead of silently skipping the back end's tests.
        if (Environment.GetEnvironmentVariable("MTRL_REQUIRE_OPENBLAS") == "1")
        {
            Assert.True(OpenBlas.IsAvailable, MissingMessage);
            Assert.NotNull(OpenBlas.LibraryName);
        }
    }

    [OpenBlasTheory]
    [MemberData(nameof(AllTransposes))]
    public void MatchesFloat64Reference(int m, int n, int k, GemmTranspose ta, GemmTranspose tb)
        => Check(OpenBlasGemm, m, n, k, ta, tb);

    [OpenBlasTheory]
    [MemberData(nameof(AlphaBeta))]
    public void HonoursAlphaAndBeta(float alpha, float beta, int k)
    {
        foreach (GemmTranspose ta in Enum.GetValues<GemmTranspose>())
        {
            Check(OpenBlasGemm, 23, 19, k, ta, GemmTranspose.Transpose, alpha, beta);
        }
    }

    [OpenBlasTheory]
    [InlineData(1, 1, 1)]
    [InlineData(17, 40, 9)]
    [InlineData(129, 33, 300)]
    public void HonoursLeadingDimensionsLargerThanTheWidth(int m, int n, int k)
    {
        foreach (GemmTranspose ta in Enum.GetValues<GemmTranspose>())
        {
            foreach (GemmTranspose tb in Enum.GetValues<GemmTranspose>())
            {
                Check(OpenBlasGemm, m, n, k, ta, tb, 1.5f, 0.5f, pad: 5);
                Check(OpenBlasGemm, m, n, k, ta, tb, 1f, 0f, pad: 3);
            }
        }
    }

    [OpenBlasFact]
    public void AutoPrefersTheManagedKernelOnlyWhereAvx512MakesItFaster()
    {
        var expected = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? GemmBackend.Managed : GemmBackend.OpenBlas;
        Assert.Equal(expected, Gemm.ResolvedAuto);
        Assert.NotNull(OpenBlas.LibraryName);
        Check((ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            => Gemm.Multiply(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc), 40, 30, 20, GemmTranspose.Transpose, GemmTranspose.None);
    }

    [Fact]
    public void ForcingOpenBlasWithoutTheLibraryFailsClearly()
    {
        if (OpenBlas.IsAvailable)
        {
            return;
        }

        var error = Assert.Throws<InvalidOperationException>(() =>
            Gemm.Multiply(1, 1, 1, [1f], [1f], new float[1], GemmBackend.OpenBlas));
        Assert.Contains("libopenblas0", error.Message, StringComparison.Ordinal);
    }

    private static void OpenBlasGemm(
        GemmTranspose ta, GemmTranspose tb, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
        => Gemm.Multiply(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, GemmBackend.OpenBlas);
}
