using System;
using Xunit;

namespace Mtrl.Kernels.Tests;

/// <summary>
/// <see cref="Gemm.AccumulateAffineGradients"/> takes db while it packs dy; on every path and
/// thread count it must give exactly the bits of the plain product and of
/// <see cref="MatrixOps.ColumnSums"/>, both accumulating onto existing gradients.
/// </summary>
public sealed class AffineGradientTests
{
    public static TheoryData<string, int, int, int> Cases()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (string path in new[] { "Auto", nameof(ManagedGemmKernel.Vector512), nameof(ManagedGemmKernel.Vector256), nameof(ManagedGemmKernel.Scalar), nameof(ManagedGemmKernel.Direct) })
        {
            // (batch, inputs, outputs): a 3×400 MLP layer, depths over one slice with edge panels,
            // the direct path (batch ≤ 4), the narrow one (≤ 8 outputs), a row-only layer.
            foreach ((int batch, int inputs, int outputs) in new[] { (1280, 400, 400), (1100, 49, 37), (513, 17, 33), (3, 5, 7), (100, 30, 8), (40, 1, 1) })
            {
                data.Add(path, batch, inputs, outputs);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheProductAndTheColumnSumsBitForBit(string path, int batch, int inputs, int outputs)
    {
        var kernel = path == "Auto" ? ManagedGemmKernel.Auto : Enum.Parse<ManagedGemmKernel>(path);
        if (!ManagedGemm.IsSupported(kernel))
        {
            return; // EveryMicroKernelMatchesFloat64Reference checks the refusal.
        }

        float[] x = TestData.Uniform(batch * inputs, 1);
        float[] dy = TestData.Uniform(batch * outputs, 2);
        float[] dw = TestData.Uniform(inputs * outputs, 3);
        float[] db = TestData.Uniform(outputs, 4);
        float[] expectedW = (float[])dw.Clone();
        float[] expectedB = (float[])db.Clone();
        Gemm.Multiply(GemmTranspose.Transpose, GemmTranspose.None, inputs, outputs, batch, 1f, x, inputs, dy, outputs, 1f, expectedW, outputs,
            GemmEpilogue.None, GemmBackend.Managed, CpuAccelerator.Sequential, kernel);
        MatrixOps.ColumnSums(dy, batch, outputs, expectedB, accumulate: true);

        Gemm.Multiply(GemmTranspose.Transpose, GemmTranspose.None, inputs, outputs, batch, 1f, x, inputs, dy, outputs, 1f, dw, outputs,
            GemmEpilogue.None, GemmBackend.Managed, CpuAccelerator.Sequential, kernel, db);
        Assert.Equal(expectedW, dw);
        Assert.Equal(expectedB, db);
    }

    [Theory]
    [InlineData(1280, 400, 400)]
    [InlineData(1100, 49, 37)]
    [InlineData(100, 30, 8)]
    [InlineData(2, 30, 50)]
    [InlineData(7, 0, 5)]
    public void PublicEntryGivesTheSameBitsOnEveryThreadCount(int batch, int inputs, int outputs)
    {
        float[] x = TestData.Uniform(Math.Max(1, batch * inputs), 5);
        float[] dy = TestData.Uniform(batch * outputs, 6);
        float[] expectedW = TestData.Uniform(Math.Max(1, inputs * outputs), 7);
        float[] expectedB = TestData.Uniform(outputs, 8);
        float[] dw = (float[])expectedW.Clone();
        float[] db = (float[])expectedB.Clone();
        if (inputs > 0)
        {
            Gemm.Multiply(GemmTranspose.Transpose, GemmTranspose.None, inputs, outputs, batch, 1f, x, inputs, dy, outputs, 1f, expectedW, outputs,
                GemmBackend.Managed, CpuAccelerator.Sequential);
        }

        MatrixOps.ColumnSums(dy, batch, outputs, expectedB, accumulate: true);
        using var accelerator = new CpuAccelerator(2);
        Gemm.AccumulateAffineGradients(batch, inputs, outputs, x, dy, dw, db, GemmBackend.Managed, accelerator);
        Assert.Equal(expectedW, dw);
        Assert.Equal(expectedB, db);
    }

    [OpenBlasFact]
    public void OpenBlasAddsTheSameColumnSums()
    {
        float[] x = TestData.Uniform(300 * 40, 9), dy = TestData.Uniform(300 * 24, 10);
        float[] db = TestData.Uniform(24, 11), expected = (float[])db.Clone();
        MatrixOps.ColumnSums(dy, 300, 24, expected, accumulate: true);
        Gemm.AccumulateAffineGradients(300, 40, 24, x, dy, new float[40 * 24], db, GemmBackend.OpenBlas);
        Assert.Equal(expected, db);
    }

    [Fact]
    public void RejectsAShortBiasGradient()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            Gemm.AccumulateAffineGradients(2, 3, 4, new float[6], new float[8], new float[12], new float[3]));
        Assert.Contains("bias gradient holds 3 values; dy has 4 columns", error.Message);
        var shortDy = Assert.Throws<ArgumentException>(() =>
            Gemm.AccumulateAffineGradients(2, 3, 4, new float[6], new float[7], new float[12], new float[4]));
        Assert.Equal("dy", shortDy.ParamName);
        var shortX = Assert.Throws<ArgumentException>(() =>
            Gemm.AccumulateAffineGradients(2, 3, 4, new float[5], new float[8], new float[12], new float[4]));
        Assert.Equal("x", shortX.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.AccumulateAffineGradients(-1, 3, 4, new float[6], new float[8], new float[12], new float[4]));
    }

    [Fact]
    public void ZeroAlphaStillAddsTheColumnSums()
    {
        float[] dy = TestData.Uniform(5 * 3, 12), sums = new float[3], expected = new float[3];
        MatrixOps.ColumnSums(dy, 5, 3, expected, accumulate: true);
        float[] c = new float[2 * 3];
        Gemm.Multiply(GemmTranspose.Transpose, GemmTranspose.None, 2, 3, 5, 0f, new float[10], 2, dy, 3, 1f, c, 3,
            GemmEpilogue.None, GemmBackend.Managed, CpuAccelerator.Sequential, ManagedGemmKernel.Auto, sums);
        Assert.Equal(expected, sums);
    }
}
