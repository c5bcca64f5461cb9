using System;
using Xunit;

namespace Mtrl.Kernels.Tests;

/// <summary>One GEMM scenario; each back end's test class runs the same scenarios.</summary>
public abstract class GemmTestsBase
{
    public static readonly (int M, int N, int K)[] Sizes =
    [
        (1, 1, 1), (3, 3, 3), (17, 17, 17), (129, 129, 129), (400, 400, 400),
        (1, 400, 3), (400, 1, 3), (3, 1, 400), (1, 1, 400), (129, 17, 400), (7, 33, 5), (128, 400, 400), (6, 16, 256), (13, 35, 513),
    ];

    public static TheoryData<int, int, int, GemmTranspose, GemmTranspose> AllTransposes() => AllTransposesOf(Sizes);

    /// <summary>Every size with every pair of transposes.</summary>
    internal static TheoryData<int, int, int, GemmTranspose, GemmTranspose> AllTransposesOf((int M, int N, int K)[] sizes)
    {
        var data = new TheoryData<int, int, int, GemmTranspose, GemmTranspose>();
        foreach ((int m, int n, int k) in sizes)
        {
            foreach (GemmTranspose ta in Enum.GetValues<GemmTranspose>())
            {
                foreach (GemmTranspose tb in Enum.GetValues<GemmTranspose>())
                {
                    data.Add(m, n, k, ta, tb);
                }
            }
        }

        return data;
    }

    public static TheoryData<float, float, int> AlphaBeta() => new()
    {
        { 1f, 0f, 17 },
        { 2.5f, 0f, 17 },
        { -1.5f, 1f, 33 },
        { 0.5f, 2f, 33 },
        { 0.75f, -0.25f, 300 },
        { 0f, 0.5f, 17 },
        { 0f, 0f, 17 },
        { 1f, 0.5f, 0 },
        { 1f, 0f, 0 },
    };

    /// <summary>
    /// The same product 64 wide and n wide: the n-wide one's last columns come from the half-width
    /// edge tile, the wide one's from full tiles, and their bits must agree. beta = 0: with beta ≠ 0 an
    /// edge tile's scalar update rounds differently from a full tile's, as it always has; the product
    /// itself is what must agree.
    /// </summary>
    internal static void AssertNarrowLastTileGivesTheBitsOfTheFullTile(GemmBackend backend, int m, int n, int k)
    {
        const int Wide = 64;
        foreach (GemmTranspose ta in Enum.GetValues<GemmTranspose>())
        {
            int lda = ta == GemmTranspose.None ? k : m;
            float[] a = TestData.Uniform(m * k, 7), wideB = TestData.Uniform(k * Wide, 8);
            var b = new float[k * n];
            for (int p = 0; p < k; p++) Array.Copy(wideB, p * Wide, b, p * n, n);
            float[] wide = TestData.Poisoned(m * Wide), narrow = TestData.Poisoned(m * n);
            Gemm.Multiply(ta, GemmTranspose.None, m, Wide, k, 0.7f, a, lda, wideB, Wide, 0f, wide, Wide, backend, CpuAccelerator.Sequential);
            Gemm.Multiply(ta, GemmTranspose.None, m, n, k, 0.7f, a, lda, b, n, 0f, narrow, n, backend, CpuAccelerator.Sequential);
            for (int i = 0; i < m; i++) Assert.Equal(wide.AsSpan(i * Wide, n).ToArray(), narrow.AsSpan(i * n, n).ToArray());
        }
    }

    /// <summary>Runs one scenario: random A, B, C (NaN when beta = 0) with optional row padding, checked against float64.</summary>
    protected static void Check(
        Action<GemmTranspose, GemmTranspose, int, int, int, float, float[], int, float[], int, float, float[], int> gemm,
        int m, int n, int k, GemmTranspose ta, GemmTranspose tb, float alpha = 1f, float beta = 0f, int pad = 0, int seed = 1)
    {
        // BLAS requires a leading dimension of at least 1 even for empty rows (k = 0).
        int lda = Math.Max(1, ta == GemmTranspose.None ? k : m) + pad;
        int ldb = Math.Max(1, tb == GemmTranspose.None ? n : k) + pad;
        int ldc = Math.Max(1, n) + pad;
        int aRows = ta == GemmTranspose.None ? m : k;
        int bRows = tb == GemmTranspose.None ? k : n;
        float[] a = TestData.Uniform(Math.Max(1, aRows * lda), seed);
        float[] b = TestData.Uniform(Math.Max(1, bRows * ldb), seed + 1);
        const float padding = -12345f;
        float[] c = beta == 0f ? TestData.Poisoned(m * ldc) : TestData.Uniform(m * ldc, seed + 2);
        for (int i = 0; i < m; i++)
        {
            for (int j = n; j < ldc; j++)
            {
                c[(i * ldc) + j] = padding;
            }
        }

        (double[] expected, double[] scale) = GemmReference.Compute(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        GemmReference.AssertMatches(expected, scale, c, m, n, ldc, padding, $"{m}x{n}x{k} {ta}/{tb} alpha={alpha} beta={beta} pad={pad}");
    }
}

public sealed class ManagedGemmTests : GemmTestsBase
{
    [Theory]
    [MemberData(nameof(AllTransposes))]
    public void MatchesFloat64Reference(int m, int n, int k, GemmTranspose ta, GemmTranspose tb)
        => Check(Managed(CpuAccelerator.Sequential), m, n, k, ta, tb);

    [Theory]
    [MemberData(nameof(AlphaBeta))]
    public void HonoursAlphaAndBeta(float alpha, float beta, int k)
    {
        foreach (GemmTranspose ta in Enum.GetValues<GemmTranspose>())
        {
            Check(Managed(CpuAccelerator.Sequential), 23, 19, k, ta, GemmTranspose.Transpose, alpha, beta);
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(17, 40, 9)]
    [InlineData(129, 33, 300)]
    public void HonoursLeadingDimensionsLargerThanTheWidth(int m, int n, int k)
    {
        foreach (GemmTranspose ta in Enum.GetValues<GemmTranspose>())
        {
            foreach (GemmTranspose tb in Enum.GetValues<GemmTranspose>())
            {
                Check(Managed(CpuAccelerator.Sequential), m, n, k, ta, tb, 1.5f, 0.5f, pad: 5);
                Check(Managed(CpuAccelerator.Sequential), m, n, k, ta, tb, 1f, 0f, pad: 3);
            }
        }
    }

    public static TheoryData<string, int, int, int> ForcedKernels()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (string kernel in new[] { nameof(ManagedGemmKernel.Vector512), nameof(ManagedGemmKernel.Vector256), nameof(ManagedGemmKernel.Scalar), nameof(ManagedGemmKernel.Direct) })
        {
            foreach ((int m, int n, int k) in new[] { (1, 1, 1), (17, 17, 17), (31, 45, 270), (13, 35, 513), (129, 65, 40), (1, 400, 400), (400, 400, 1), (4, 9, 3) })
            {
                data.Add(kernel, m, n, k);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ForcedKernels))]
    public void EveryMicroKernelMatchesFloat64Reference(string kernelName, int m, int n, int k)
    {
        var kernel = Enum.Parse<ManagedGemmKernel>(kernelName);
        // Auto runs only the best kernel of this machine; forcing covers the others too. A kernel
        // the CPU cannot run is checked to refuse clearly instead.
        if (!ManagedGemm.IsSupported(kernel))
        {
            Assert.Throws<PlatformNotSupportedException>(() => Check(Managed(CpuAccelerator.Sequential, kernel), m, n, k, GemmTranspose.None, GemmTranspose.None));
            return;
        }

        foreach (GemmTranspose ta in Enum.GetValues<GemmTranspose>())
        {
            foreach (GemmTranspose tb in Enum.GetValues<GemmTranspose>())
            {
                Check(Managed(CpuAccelerator.Sequential, kernel), m, n, k, ta, tb, 0.5f, 1.5f, pad: 2);
                Check(Managed(CpuAccelerator.Sequential, kernel), m, n, k, ta, tb);
            }
        }
    }

    [Theory]
    [InlineData(2, 257, 300, 260)]
    [InlineData(3, 300, 70, 200)]
    [InlineData(2, 5, 1000, 300)]
    public void ParallelRunsMatchTheReferenceAndTheSequentialResultBitForBit(int threads, int m, int n, int k)
    {
        using var accelerator = new CpuAccelerator(threads);
        foreach (GemmTranspose ta in Enum.GetValues<GemmTranspose>())
        {
            Check(Managed(accelerator), m, n, k, ta, GemmTranspose.None, 1f, 0.5f);
            float[] a = TestData.Uniform(m * k, 3), b = TestData.Uniform(k * n, 4);
            float[] parallel = TestData.Uniform(m * n, 5), sequential = (float[])parallel.Clone();
            int lda = ta == GemmTranspose.None ? k : m;
            Gemm.Multiply(ta, GemmTranspose.None, m, n, k, 0.7f, a, lda, b, n, 0.3f, parallel, n, GemmBackend.Managed, accelerator);
            Gemm.Multiply(ta, GemmTranspose.None, m, n, k, 0.7f, a, lda, b, n, 0.3f, sequential, n, GemmBackend.Managed, CpuAccelerator.Sequential);
            Assert.Equal(sequential, parallel);
        }
    }

    [Theory]
    [InlineData(256, 40, 256)]
    [InlineData(37, 45, 70)]
    [InlineData(13, 17, 5)]
    public void ANarrowLastTileGivesTheBitsOfTheFullTile(int m, int n, int k)
        => GemmTestsBase.AssertNarrowLastTileGivesTheBitsOfTheFullTile(GemmBackend.Managed, m, n, k);

    [Theory]
    [InlineData(1280, 8, 400)]
    [InlineData(400, 8, 1280)]
    [InlineData(17, 1, 16)]
    [InlineData(47, 5, 33)]
    [InlineData(113, 8, 21)]
    [InlineData(70, 3, 300)]
    public void NarrowProductsMatchTheReferenceOnEveryThreadCount(int m, int n, int k)
    {
        // n ≤ 8 with op(B) = B takes the narrow path under Auto on AVX-512 machines (NN and TN),
        // the packed kernels elsewhere; both must match, and two threads must give the same bits.
        using var accelerator = new CpuAccelerator(2);
        foreach (GemmTranspose ta in Enum.GetValues<GemmTranspose>())
        {
            Check(Managed(CpuAccelerator.Sequential), m, n, k, ta, GemmTranspose.None);
            Check(Managed(accelerator), m, n, k, ta, GemmTranspose.None, 0.5f, 1.5f, pad: 3);
            Check(Managed(accelerator), m, n, k, ta, GemmTranspose.None, -2f, 0f, pad: 1);
            int lda = ta == GemmTranspose.None ? k : m;
            float[] a = TestData.Uniform(m * k, 3), b = TestData.Uniform(k * n, 4);
            float[] parallel = TestData.Uniform(m * n, 5), sequential = (float[])parallel.Clone();
            Gemm.Multiply(ta, GemmTranspose.None, m, n, k, 0.7f, a, lda, b, n, 0.3f, parallel, n, GemmBackend.Managed, accelerator);
            Gemm.Multiply(ta, GemmTranspose.None, m, n, k, 0.7f, a, lda, b, n, 0.3f, sequential, n, GemmBackend.Managed, CpuAccelerator.Sequential);
            Assert.Equal(sequential, parallel);
        }
    }

    [Fact]
    public void EmptyDimensionsLeaveCUntouched()
    {
        float[] c = [1f, 2f, 3f];
        Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, 0, 3, 2, 1f, [], 2, new float[6], 3, 0f, c, 3, GemmBackend.Managed);
        Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, 1, 0, 2, 1f, new float[2], 2, [], 1, 0f, c, 1, GemmBackend.Managed);
        Assert.Equal([1f, 2f, 3f], c);
    }

    [Fact]
    public void RejectsShortSpansAndSmallLeadingDimensions()
    {
        float[] a = new float[6], b = new float[6], c = new float[4];
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, 2, 2, 3, 1f, a, 2, b, 2, 0f, c, 2, GemmBackend.Managed));
        Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, 2, 2, 3, 1f, a, 3, b, 2, 0f, new float[3], 2, GemmBackend.Managed));
        Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(GemmTranspose.Transpose, GemmTranspose.None, 3, 2, 3, 1f, a, 3, b, 2, 0f, new float[6], 2, GemmBackend.Managed));
    }

    [Fact]
    public void ConvenienceOverloadComputesAPlainProduct()
    {
        float[] a = [1, 2, 3, 4, 5, 6];      // 2×3
        float[] b = [7, 8, 9, 10, 11, 12];   // 3×2
        float[] c = TestData.Poisoned(4);
        Gemm.Multiply(2, 2, 3, a, b, c, GemmBackend.Managed);
        Assert.Equal([58f, 64f, 139f, 154f], c);
    }

    private static Action<GemmTranspose, GemmTranspose, int, int, int, float, float[], int, float[], int, float, float[], int> Managed(
        Accelerator accelerator, ManagedGemmKernel kernel = ManagedGemmKernel.Auto)
        => (ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            => Gemm.Multiply(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, GemmEpilogue.None, GemmBackend.Managed, accelerator, kernel);
}
