using System;
using Xunit;

namespace Mtrl.Kernels.Tests;

/// <summary>
/// A GEMM with an epilogue must give exactly the bits of the same GEMM followed by the epilogue as
/// a separate elementwise pass, on every path (each managed micro-kernel, the direct and narrow
/// paths, OpenBLAS), every transpose, depths that take several packed slices, padded rows, and any
/// thread count; the plain product itself is checked against float64 in <see cref="ManagedGemmTests"/>.
/// </summary>
public sealed class GemmEpilogueTests
{
    private const float Padding = -12345f;

    public static TheoryData<string, GemmEpilogueKind, int, int, int> Cases()
    {
        var data = new TheoryData<string, GemmEpilogueKind, int, int, int>();
        string[] paths = ["Auto", nameof(ManagedGemmKernel.Vector512), nameof(ManagedGemmKernel.Vector256), nameof(ManagedGemmKernel.Scalar), nameof(ManagedGemmKernel.Direct)];
        (int, int, int)[] shapes = [(1, 1, 1), (3, 400, 5), (17, 17, 17), (31, 45, 270), (13, 35, 1100), (129, 8, 40), (150, 400, 49), (40, 3, 300)];
        foreach (string path in paths)
        {
            foreach (GemmEpilogueKind kind in new[] { GemmEpilogueKind.AddBias, GemmEpilogueKind.AddBiasRelu, GemmEpilogueKind.ReluMask })
            {
                foreach ((int m, int n, int k) in shapes)
                {
                    data.Add(path, kind, m, n, k);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EqualsTheProductFollowedByTheElementwiseStep(string path, GemmEpilogueKind kind, int m, int n, int k)
    {
        var kernel = path == "Auto" ? ManagedGemmKernel.Auto : Enum.Parse<ManagedGemmKernel>(path);
        if (!ManagedGemm.IsSupported(kernel))
        {
            return; // EveryMicroKernelMatchesFloat64Reference checks the refusal.
        }

        foreach (GemmTranspose ta in Enum.GetValues<GemmTranspose>())
        {
            foreach (GemmTranspose tb in Enum.GetValues<GemmTranspose>())
            {
                foreach (float beta in new[] { 0f, 0.5f })
                {
                    Check(kind, m, n, k, ta, tb, beta, (gemm, epilogue) =>
                        Gemm.Multiply(gemm.TransA, gemm.TransB, m, n, k, gemm.Alpha, gemm.A, gemm.Lda, gemm.B, gemm.Ldb, gemm.Beta, gemm.C, gemm.Ldc,
                            epilogue, GemmBackend.Managed, CpuAccelerator.Sequential, kernel));
                }
            }
        }
    }

    [OpenBlasTheory]
    [InlineData(GemmEpilogueKind.AddBias)]
    [InlineData(GemmEpilogueKind.AddBiasRelu)]
    [InlineData(GemmEpilogueKind.ReluMask)]
    public void OpenBlasAppliesTheSameStep(GemmEpilogueKind kind)
    {
        foreach (GemmTranspose ta in Enum.GetValues<GemmTranspose>())
        {
            Check(kind, 37, 45, 70, ta, GemmTranspose.Transpose, 0f, (gemm, epilogue) =>
                Gemm.Multiply(gemm.TransA, gemm.TransB, 37, 45, 70, gemm.Alpha, gemm.A, gemm.Lda, gemm.B, gemm.Ldb, gemm.Beta, gemm.C, gemm.Ldc,
                    epilogue, GemmBackend.OpenBlas));
        }
    }

    [Theory]
    [InlineData(GemmEpilogueKind.AddBiasRelu, 300, 400, 400)]
    [InlineData(GemmEpilogueKind.ReluMask, 257, 130, 600)]
    [InlineData(GemmEpilogueKind.AddBias, 1000, 5, 300)]
    public void TwoThreadsGiveTheSequentialBits(GemmEpilogueKind kind, int m, int n, int k)
    {
        using var accelerator = new CpuAccelerator(2);
        foreach (GemmTranspose ta in Enum.GetValues<GemmTranspose>())
        {
            Check(kind, m, n, k, ta, GemmTranspose.None, 0f, (gemm, epilogue) =>
                Gemm.Multiply(gemm.TransA, gemm.TransB, m, n, k, gemm.Alpha, gemm.A, gemm.Lda, gemm.B, gemm.Ldb, gemm.Beta, gemm.C, gemm.Ldc,
                    epilogue, GemmBackend.Managed, accelerator));
        }
    }

    [Fact]
    public void ZeroDepthAppliesTheStepToBetaC()
    {
        float[] c = [1f, -2f, 3f, -4f];
        float[] bias = [0.5f, 1f];
        Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, 2, 2, 0, 1f, new float[1], 1, new float[2], 2, 2f, c, 2,
            GemmEpilogue.AddBiasRelu(bias), GemmBackend.Managed);
        Assert.Equal([2.5f, 0f, 6.5f, 0f], c);
    }

    [Fact]
    public void RejectsAShortBiasOrMask()
    {
        float[] a = new float[6], b = new float[6], c = new float[4];
        var bias = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2, GemmEpilogue.AddBias(new float[1])));
        Assert.Contains("bias holds 1 values; C has 2 columns", bias.Message);
        var mask = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2, GemmEpilogue.ReluMask(new float[3], 2)));
        Assert.Contains("mask of length 3 is too short for a 2×2 matrix", mask.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2, GemmEpilogue.ReluMask(new float[8], 1)));
    }

    private sealed record Operands(GemmTranspose TransA, GemmTranspose TransB, float Alpha, float[] A, int Lda, float[] B, int Ldb, float Beta, float[] C, int Ldc);

    private delegate void Run(Operands gemm, GemmEpilogue epilogue);

    /// <summary>Runs the product with and without the epilogue (C poisoned for beta = 0, row padding), then compares bit for bit.</summary>
    private static void Check(GemmEpilogueKind kind, int m, int n, int k, GemmTranspose ta, GemmTranspose tb, float beta, Run run)
    {
        int lda = (ta == GemmTranspose.None ? k : m) + 1;
        int ldb = (tb == GemmTranspose.None ? n : k) + 2;
        int ldc = n + 3;
        float[] a = TestData.Uniform((ta == GemmTranspose.None ? m : k) * lda, 11);
        float[] b = TestData.Uniform((tb == GemmTranspose.None ? k : n) * ldb, 12);
        float[] start = beta == 0f ? TestData.Poisoned(m * ldc) : TestData.Uniform(m * ldc, 13);
        for (int i = 0; i < m; i++)
        {
            Array.Fill(start, Padding, (i * ldc) + n, ldc - n);
        }

        // Values around zero so the ReLU and the mask both keep and drop elements.
        float[] bias = TestData.Uniform(n, 14, -0.5f, 0.5f);
        int stride = n + 4;
        float[] mask = TestData.Uniform(m * stride, 15);
        GemmEpilogue epilogue = kind switch
        {
            GemmEpilogueKind.AddBias => GemmEpilogue.AddBias(bias),
            GemmEpilogueKind.AddBiasRelu => GemmEpilogue.AddBiasRelu(bias),
            _ => GemmEpilogue.ReluMask(mask, stride),
        };

        float[] expected = (float[])start.Clone();
        run(new Operands(ta, tb, 0.75f, a, lda, b, ldb, beta, expected, ldc), GemmEpilogue.None);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                ref float v = ref expected[(i * ldc) + j];
                v = kind switch
                {
                    GemmEpilogueKind.AddBias => v + bias[j],
                    GemmEpilogueKind.AddBiasRelu => v + bias[j] > 0f ? v + bias[j] : 0f,
                    _ => mask[(i * stride) + j] > 0f ? v : 0f,
                };
            }
        }

        float[] actual = (float[])start.Clone();
        run(new Operands(ta, tb, 0.75f, a, lda, b, ldb, beta, actual, ldc), epilogue);
        string what = $"{kind} {m}x{n}x{k} {ta}/{tb} beta={beta}";
        for (int i = 0; i < m * ldc; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: C[{i / ldc}, {i % ldc}] is {actual[i]}, the product followed by the step gives {expected[i]}");
            }
        }
    }
}
