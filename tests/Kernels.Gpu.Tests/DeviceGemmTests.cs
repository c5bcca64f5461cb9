using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Networks;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>
/// The device GEMM against the CPU GEMM (managed back end) on random inputs. Both sum float
/// products in different orders, so elements agree within a float rounding bound rather than
/// bit for bit: |device − CPU| ≤ 2⁻²²·(k + 2)·(|α|·Σ_p |a_ip·b_pj| + |β·c_ij|), about twice
/// the worst-case bound of one of them against the exact value.
/// </summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceGemmTests(IlgpuCpuFixture fixture)
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(17, 33, 5)]
    [InlineData(37, 19, 23)]
    [InlineData(16, 16, 16)]
    [InlineData(3, 50, 37)]
    public void MatchesCpuGemmForEveryTransposeWithPaddedStrides(int m, int n, int k) => AssertMatchesCpuGemm(fixture.Device, m, n, k);

    /// <summary>Every transpose pair, two (α, β) pairs, padded strides, C poisoned where β = 0: the device GEMM on <paramref name="device"/> against the CPU's.</summary>
    internal static void AssertMatchesCpuGemm(GpuDevice device, int m, int n, int k)
    {
        using var gemm = new DeviceGemm(device);
        var random = new System.Random((m * 1000) + (n * 10) + k);
        foreach (GemmTranspose transA in new[] { GemmTranspose.None, GemmTranspose.Transpose })
        {
            foreach (GemmTranspose transB in new[] { GemmTranspose.None, GemmTranspose.Transpose })
            {
                foreach ((float alpha, float beta) in new[] { (1f, 0f), (-0.75f, 1.5f) })
                {
                    Operands o = Operands.Random(random, transA, transB, m, n, k, padding: 3, poison: beta == 0f);
                    float[] expected = (float[])o.C.Clone();
                    Gemm.Multiply(transA, transB, m, n, k, alpha, o.A, o.Lda, o.B, o.Ldb, beta, expected, o.Ldc, GemmEpilogue.None, GemmBackend.Managed);
                    float[] actual = Run(device, gemm, o, transA, transB, m, n, k, alpha, beta, DeviceGemmEpilogue.None);
                    AssertClose(expected, actual, o, transA, transB, m, n, k, alpha, beta, $"{transA}/{transB} α={alpha} β={beta}");
                }
            }
        }
    }

    [Theory]
    [InlineData(GemmEpilogueKind.AddBias)]
    [InlineData(GemmEpilogueKind.AddBiasRelu)]
    [InlineData(GemmEpilogueKind.ReluMask)]
    public void FusedEpiloguesMatchTheCpuEpilogues(GemmEpilogueKind kind)
    {
        const int m = 21, n = 19, k = 35;
        using var gemm = new DeviceGemm(fixture.Device);
        var random = new System.Random((int)kind);
        foreach (GemmTranspose transB in new[] { GemmTranspose.None, GemmTranspose.Transpose })
        {
            Operands o = Operands.Random(random, GemmTranspose.None, transB, m, n, k, padding: 2, poison: true);
            float[] values = kind == GemmEpilogueKind.ReluMask ? Signed(random, ((m - 1) * (n + 4)) + n) : Signed(random, n);
            int stride = kind == GemmEpilogueKind.ReluMask ? n + 4 : 0;
            float[] expected = (float[])o.C.Clone();
            GemmEpilogue cpuEpilogue = kind switch
            {
                GemmEpilogueKind.AddBias => GemmEpilogue.AddBias(values),
                GemmEpilogueKind.AddBiasRelu => GemmEpilogue.AddBiasRelu(values),
                _ => GemmEpilogue.ReluMask(values, stride),
            };
            Gemm.Multiply(GemmTranspose.None, transB, m, n, k, 1f, o.A, o.Lda, o.B, o.Ldb, 0f, expected, o.Ldc, cpuEpilogue, GemmBackend.Managed);
            using MemoryBuffer1D<float, Stride1D.Dense> deviceValues = fixture.Device.Accelerator.Allocate1D(values);
            DeviceGemmEpilogue epilogue = kind switch
            {
                GemmEpilogueKind.AddBias => DeviceGemmEpilogue.AddBias(deviceValues.View),
                GemmEpilogueKind.AddBiasRelu => DeviceGemmEpilogue.AddBiasRelu(deviceValues.View),
                _ => DeviceGemmEpilogue.ReluMask(deviceValues.View, stride),
            };
            float[] actual = Run(fixture.Device, gemm, o, GemmTranspose.None, transB, m, n, k, 1f, 0f, epilogue);
            AssertClose(expected, actual, o, GemmTranspose.None, transB, m, n, k, 1f, 0f, $"{kind} {transB}", biasMagnitude: kind == GemmEpilogueKind.ReluMask ? null : values);
            if (kind != GemmEpilogueKind.AddBias)
            {
                // The ReLU kinds must zero some elements and keep others.
                Assert.Contains(actual, value => value == 0f);
                Assert.Contains(actual, value => value > 0f);
            }
        }
    }

    [Fact]
    public void TheTileEdgeNeverChangesTheBits()
    {
        const int m = 23, n = 11, k = 30;
        var random = new System.Random(77);
        Operands o = Operands.Random(random, GemmTranspose.Transpose, GemmTranspose.None, m, n, k, padding: 1, poison: true);
        using var largest = new DeviceGemm(fixture.Device);
        float[] reference = Run(fixture.Device, largest, o, GemmTranspose.Transpose, GemmTranspose.None, m, n, k, 1f, 0f, DeviceGemmEpilogue.None);
        for (int tile = 1; tile <= largest.Tile; tile *= 2)
        {
            using var gemm = new DeviceGemm(fixture.Device, tile);
            Assert.Equal(tile, gemm.Tile);
            DeviceLayerOpsTests.AssertBits(reference, Run(fixture.Device, gemm, o, GemmTranspose.Transpose, GemmTranspose.None, m, n, k, 1f, 0f, DeviceGemmEpilogue.None));
        }

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceGemm(fixture.Device, largest.Tile + 1));
        Assert.Equal("tile", error.ParamName);
        Assert.Contains("threads per group", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ZeroAlphaOrDepthLeavesBetaTimesCAndNeverReadsANaNOperand()
    {
        using var gemm = new DeviceGemm(fixture.Device);
        var random = new System.Random(5);
        Operands o = Operands.Random(random, GemmTranspose.None, GemmTranspose.None, 18, 17, 9, padding: 0, poison: false);
        Array.Fill(o.A, float.NaN);
        float[] actual = Run(fixture.Device, gemm, o, GemmTranspose.None, GemmTranspose.None, 18, 17, 9, 0f, 2f, DeviceGemmEpilogue.None);
        for (int i = 0; i < actual.Length; i++)
        {
            Assert.Equal(2f * o.C[i], actual[i]);
        }

        Operands empty = Operands.Random(random, GemmTranspose.None, GemmTranspose.None, 5, 20, 0, padding: 0, poison: false);
        float[] depthZero = Run(fixture.Device, gemm, empty, GemmTranspose.None, GemmTranspose.None, 5, 20, 0, 1f, 0f, DeviceGemmEpilogue.None);
        Assert.All(depthZero, value => Assert.Equal(0f, value));
    }

    [Fact]
    public void BadOperandsAreRefusedWithTheArgumentAndSize()
    {
        using var gemm = new DeviceGemm(fixture.Device);
        using MemoryBuffer1D<float, Stride1D.Dense> small = fixture.Device.Accelerator.Allocate1D<float>(10);
        using MemoryBuffer1D<float, Stride1D.Dense> large = fixture.Device.Accelerator.Allocate1D<float>(100);
        var shortA = Assert.Throws<ArgumentException>(() =>
            gemm.Multiply(GemmTranspose.None, GemmTranspose.None, 4, 4, 4, 1f, small.View, 4, large.View, 4, 0f, large.View, 4));
        Assert.Equal("a", shortA.ParamName);
        Assert.Contains("too short for a 4×4 matrix", shortA.Message, StringComparison.Ordinal);
        var stride = Assert.Throws<ArgumentOutOfRangeException>(() =>
            gemm.Multiply(GemmTranspose.Transpose, GemmTranspose.None, 4, 4, 5, 1f, large.View, 3, large.View, 4, 0f, large.View, 4));
        Assert.Equal("lda", stride.ParamName);
        var bias = Assert.Throws<ArgumentException>(() =>
            gemm.Multiply(GemmTranspose.None, GemmTranspose.None, 4, 12, 4, 1f, large.View, 4, large.View, 12, 0f, large.View, 12, DeviceGemmEpilogue.AddBias(small.View)));
        Assert.Contains("bias holds 10 values; C has 12 columns", bias.Message, StringComparison.Ordinal);
    }

    private static float[] Run(
        GpuDevice device, DeviceGemm gemm, Operands o, GemmTranspose transA, GemmTranspose transB, int m, int n, int k, float alpha, float beta,
        DeviceGemmEpilogue epilogue)
    {
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        using MemoryBuffer1D<float, Stride1D.Dense> a = accelerator.Allocate1D(o.A);
        using MemoryBuffer1D<float, Stride1D.Dense> b = accelerator.Allocate1D(o.B);
        using MemoryBuffer1D<float, Stride1D.Dense> c = accelerator.Allocate1D(o.C);
        gemm.Multiply(transA, transB, m, n, k, alpha, a.View, o.Lda, b.View, o.Ldb, beta, c.View, o.Ldc, epilogue);
        return c.GetAsArray1D();
    }

    private static void AssertClose(
        float[] expected, float[] actual, Operands o, GemmTranspose transA, GemmTranspose transB, int m, int n, int k, float alpha, float beta, string what,
        float[]? biasMagnitude = null)
    {
        for (int i = 0; i < o.C.Length; i++)
        {
            int row = i / o.Ldc;
            int column = i % o.Ldc;
            if (row >= m || column >= n)
            {
                // Padding between rows is never written.
                Assert.Equal(BitConverter.SingleToInt32Bits(o.C[i]), BitConverter.SingleToInt32Bits(actual[i]));
                continue;
            }

            double magnitude = 0;
            for (int p = 0; p < k; p++)
            {
                float av = transA == GemmTranspose.None ? o.A[(row * o.Lda) + p] : o.A[(p * o.Lda) + row];
                float bv = transB == GemmTranspose.None ? o.B[(p * o.Ldb) + column] : o.B[(column * o.Ldb) + p];
                magnitude += Math.Abs((double)av * bv);
            }

            magnitude = (Math.Abs(alpha) * magnitude) + (beta == 0f ? 0 : Math.Abs((double)beta * o.C[i]));
            if (biasMagnitude is not null)
            {
                magnitude += Math.Abs(biasMagnitude[column]);
            }

            double tolerance = Math.Pow(2, -22) * (k + 2) * magnitude;
            Assert.False(float.IsNaN(actual[i]), $"{what}: C[{row}, {column}] is NaN (unwritten)");
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance, $"{what}: C[{row}, {column}] = {actual[i]}, CPU {expected[i]}, tolerance {tolerance}");
        }
    }

    private static float[] Signed(System.Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }

    /// <summary>Random A and B; C random, or NaN (poisoned: beta = 0 must not read it, and an unwritten element stays NaN), with a sentinel in its row padding.</summary>
    private sealed record Operands(float[] A, int Lda, float[] B, int Ldb, float[] C, int Ldc)
    {
        public static Operands Random(System.Random random, GemmTranspose transA, GemmTranspose transB, int m, int n, int k, int padding, bool poison)
        {
            int aRows = transA == GemmTranspose.None ? m : k, aCols = transA == GemmTranspose.None ? k : m;
            int bRows = transB == GemmTranspose.None ? k : n, bCols = transB == GemmTranspose.None ? n : k;
            int lda = Math.Max(1, aCols + padding), ldb = Math.Max(1, bCols + padding), ldc = Math.Max(1, n + padding);
            float[] a = Signed(random, Math.Max(1, aRows * lda));
            float[] b = Signed(random, Math.Max(1, bRows * ldb));
            float[] c = Signed(random, Math.Max(1, m * ldc));
            for (int i = 0; i < c.Length; i++)
            {
                if (i % ldc >= n)
                {
                    c[i] = 12345.5f;
                }
                else if (poison)
                {
                    c[i] = float.NaN;
                }
            }

            return new Operands(a, lda, b, ldb, c, ldc);
        }
    }
}
