using System;
using Xunit;

namespace Mtrl.Kernels.Tests;

/// <summary>A theory skipped, with the reason, where BF16 products cannot run (CPU without AVX512_BF16, or no native kernel).</summary>
public sealed class Bf16TheoryAttribute : TheoryAttribute
{
    public Bf16TheoryAttribute()
    {
        if (Gemm.Bfloat16Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A fact skipped, with the reason, where BF16 products cannot run.</summary>
public sealed class Bf16FactAttribute : FactAttribute
{
    public Bf16FactAttribute()
    {
        if (Gemm.Bfloat16Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>
/// <see cref="GemmBackend.Bfloat16"/>: the product of the operands rounded to bfloat16 (checked
/// against float64 on rounded copies, and shown to differ from the float32 product, so a path that
/// forgot to round fails), every transpose, edge and half tiles, odd depths, alpha/beta, epilogues,
/// column sums, and the same bits on any thread count.
/// </summary>
public sealed class Bf16GemmTests
{
    public static readonly (int M, int N, int K)[] Sizes =
    [
        (1, 1, 1), (3, 5, 2), (16, 32, 7), (17, 17, 17), (16, 40, 513), (129, 33, 300), (256, 40, 256), (1, 400, 3), (400, 1, 3), (31, 48, 5), (64, 9, 64),
    ];

    public static TheoryData<int, int, int, GemmTranspose, GemmTranspose> AllTransposes() => GemmTestsBase.AllTransposesOf(Sizes);

    [Fact]
    public void RoundingIsToNearestWithTiesToEven()
    {
        Assert.Equal(0x3F80, Bf16Pairs.Round(1f));
        Assert.Equal(0x3F80, Bf16Pairs.Round(BitConverter.UInt32BitsToSingle(0x3F808000))); // tie, even stays
        Assert.Equal(0x3F82, Bf16Pairs.Round(BitConverter.UInt32BitsToSingle(0x3F818000))); // tie, odd rounds up
        Assert.Equal(0x3F81, Bf16Pairs.Round(BitConverter.UInt32BitsToSingle(0x3F808001))); // above half
        Assert.Equal(0x3F80, Bf16Pairs.Round(BitConverter.UInt32BitsToSingle(0x3F807FFF))); // below half
        Assert.Equal(0xBF80, Bf16Pairs.Round(-1f));
        Assert.Equal(0x8000, Bf16Pairs.Round(-0f));
        Assert.Equal(0x7F80, Bf16Pairs.Round(float.PositiveInfinity));
        Assert.Equal(0xFF80, Bf16Pairs.Round(float.NegativeInfinity));
        Assert.Equal(0x7F80, Bf16Pairs.Round(float.MaxValue)); // beyond bfloat16's largest finite value
        Assert.True(float.IsNaN(Bf16Pairs.ToSingle(Bf16Pairs.Round(float.NaN))));
        Assert.Equal(0xFFC1, Bf16Pairs.Round(BitConverter.UInt32BitsToSingle(0xFF810000))); // signalling NaN → quiet, sign kept
        Assert.Equal(3.140625f, Bf16Pairs.ToSingle(Bf16Pairs.Round(MathF.PI)));
    }

    [Theory]
    [InlineData(1, 12)]
    [InlineData(2, 32)]
    [InlineData(7, 12)]
    [InlineData(256, 32)]
    [InlineData(513, 12)]
    public unsafe void PanelsBecomePairsAlongTheDepthInPlace(int depth, int width)
    {
        float[] panel = TestData.Uniform(depth * width, depth + width, -3f, 3f);
        panel[0] = float.NaN;
        panel[width - 1] = float.PositiveInfinity;
        float[] original = (float[])panel.Clone();
        fixed (float* p = panel)
        {
            Bf16Pairs.ConvertPanel(p, depth, width);
        }

        for (int q = 0; q < (depth + 1) / 2; q++)
        {
            for (int j = 0; j < width; j++)
            {
                uint word = BitConverter.SingleToUInt32Bits(panel[(q * width) + j]);
                ushort low = Bf16Pairs.Round(original[(2 * q * width) + j]);
                ushort high = 2 * q + 1 < depth ? Bf16Pairs.Round(original[((2 * q + 1) * width) + j]) : (ushort)0;
                Assert.True(word == (low | ((uint)high << 16)), $"pair {q}, lane {j}: 0x{word:X8}, expected 0x{high:X4}{low:X4}");
            }
        }
    }

    [Bf16Theory]
    [MemberData(nameof(AllTransposes))]
    public void MatchesTheFloat64ProductOfTheRoundedOperands(int m, int n, int k, GemmTranspose ta, GemmTranspose tb)
    {
        Check(m, n, k, ta, tb, 1f, 0f, pad: 0, CpuAccelerator.Sequential);
        Check(m, n, k, ta, tb, 0.5f, 1.5f, pad: 3, CpuAccelerator.Sequential);
    }

    [Bf16Fact]
    public void HonoursAlphaAndBeta()
    {
        foreach ((float alpha, float beta, int k) in new[] { (2.5f, 0f, 17), (-1.5f, 1f, 33), (0.75f, -0.25f, 300), (0f, 0.5f, 17), (1f, 0.5f, 0) })
        {
            Check(23, 45, k, GemmTranspose.Transpose, GemmTranspose.None, alpha, beta, pad: 1, CpuAccelerator.Sequential);
        }
    }

    [Bf16Fact]
    public void RoundsTheOperandsInsteadOfMultiplyingFloats()
    {
        // Inputs with low mantissa bits set: the float32 product differs from the BF16 one by far
        // more than float32 rounding, so a path that skipped the rounding cannot pass.
        const int m = 64, n = 64, k = 64;
        float[] a = TestData.Uniform(m * k, 11), b = TestData.Uniform(k * n, 12), c = TestData.Poisoned(m * n);
        Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, m, n, k, 1f, a, k, b, n, 0f, c, n, GemmBackend.Bfloat16, CpuAccelerator.Sequential);
        (double[] exact, double[] scale) = GemmReference.Compute(GemmTranspose.None, GemmTranspose.None, m, n, k, 1f, a, k, b, n, 0f, c, n);
        double maxError = 0, maxScale = 0;
        for (int i = 0; i < exact.Length; i++)
        {
            maxError = Math.Max(maxError, Math.Abs(c[i] - exact[i]));
            maxScale = Math.Max(maxScale, scale[i]);
        }

        Assert.InRange(maxError / maxScale, 1e-4, 2e-2);
    }

    [Bf16Theory]
    [InlineData(10, 400, 400, false)]   // acting over a few environments
    [InlineData(256, 8, 256, false)]    // a narrow head
    [InlineData(256, 256, 3, false)]    // skinny depth
    [InlineData(16, 400, 400, true)]
    [InlineData(256, 40, 256, true)]
    public void RoundsOnlyWhereItPays(int m, int n, int k, bool rounds)
    {
        Assert.Equal(rounds, Gemm.UsesBfloat16(GemmTranspose.None, m, n, k));
        float[] a = TestData.Uniform(m * k, 41), b = TestData.Uniform(k * n, 42);
        float[] bf16 = TestData.Poisoned(m * n), float32 = TestData.Poisoned(m * n);
        Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, m, n, k, 1f, a, k, b, n, 0f, bf16, n, GemmBackend.Bfloat16, CpuAccelerator.Sequential);
        Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, m, n, k, 1f, a, k, b, n, 0f, float32, n, GemmBackend.Auto, CpuAccelerator.Sequential);
        Assert.Equal(!rounds, bf16.AsSpan().SequenceEqual(float32));
    }

    [Bf16Theory]
    [InlineData(256, 40, 256)]
    [InlineData(37, 45, 70)]
    [InlineData(20, 16, 33)]
    public void ANarrowLastTileGivesTheBitsOfTheFullTile(int m, int n, int k)
        => GemmTestsBase.AssertNarrowLastTileGivesTheBitsOfTheFullTile(GemmBackend.Bfloat16, m, n, k);

    [Bf16Theory]
    [InlineData(GemmEpilogueKind.AddBias)]
    [InlineData(GemmEpilogueKind.AddBiasRelu)]
    [InlineData(GemmEpilogueKind.ReluMask)]
    public void AppliesEpiloguesToTheRoundedProduct(GemmEpilogueKind kind)
    {
        const int m = 37, n = 45, k = 70;
        float[] a = TestData.Uniform(m * k, 21), b = TestData.Uniform(k * n, 22), bias = TestData.Uniform(n, 23);
        float[] mask = TestData.Uniform(m * n, 24);
        float[] plain = TestData.Poisoned(m * n), fused = TestData.Poisoned(m * n);
        Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, m, n, k, 1f, a, k, b, n, 0f, plain, n, GemmBackend.Bfloat16, CpuAccelerator.Sequential);
        GemmEpilogue epilogue = kind switch
        {
            GemmEpilogueKind.AddBias => GemmEpilogue.AddBias(bias),
            GemmEpilogueKind.AddBiasRelu => GemmEpilogue.AddBiasRelu(bias),
            _ => GemmEpilogue.ReluMask(mask, n),
        };
        Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, m, n, k, 1f, a, k, b, n, 0f, fused, n, epilogue, GemmBackend.Bfloat16, CpuAccelerator.Sequential);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float v = plain[(i * n) + j];
                float expected = kind switch
                {
                    GemmEpilogueKind.AddBias => v + bias[j],
                    GemmEpilogueKind.AddBiasRelu => v + bias[j] > 0f ? v + bias[j] : 0f,
                    _ => mask[(i * n) + j] > 0f ? v : 0f,
                };
                Assert.Equal(expected, fused[(i * n) + j]);
            }
        }
    }

    [Bf16Fact]
    public void AffineGradientsSumTheFloat32Gradient()
    {
        // dW takes BF16 products; db is a float32 column sum of dy, with the bits of MatrixOps.ColumnSums.
        const int batch = 50, inputs = 30, outputs = 41;
        float[] x = TestData.Uniform(batch * inputs, 31), dy = TestData.Uniform(batch * outputs, 32);
        float[] dw = TestData.Uniform(inputs * outputs, 33), db = TestData.Uniform(outputs, 34);
        float[] expectedDw = (float[])dw.Clone(), expectedDb = (float[])db.Clone();
        Gemm.AccumulateAffineGradients(batch, inputs, outputs, x, dy, dw, db, GemmBackend.Bfloat16, CpuAccelerator.Sequential);
        Gemm.Multiply(GemmTranspose.Transpose, GemmTranspose.None, inputs, outputs, batch, 1f, x, inputs, dy, outputs, 1f, expectedDw, outputs, GemmBackend.Bfloat16, CpuAccelerator.Sequential);
        MatrixOps.ColumnSums(dy, batch, outputs, expectedDb, accumulate: true);
        Assert.Equal(expectedDw, dw);
        Assert.Equal(expectedDb, db);
    }

    [Bf16Theory]
    [InlineData(2, 257, 300, 260)]
    [InlineData(3, 300, 70, 200)]
    [InlineData(2, 20, 1000, 300)] // two row panels: the threads split the columns
    public void ParallelRunsGiveTheSequentialBits(int threads, int m, int n, int k)
    {
        using var accelerator = new CpuAccelerator(threads);
        foreach (GemmTranspose ta in Enum.GetValues<GemmTranspose>())
        {
            int lda = ta == GemmTranspose.None ? k : m;
            float[] a = TestData.Uniform(m * k, 3), b = TestData.Uniform(k * n, 4);
            float[] parallel = TestData.Uniform(m * n, 5), sequential = (float[])parallel.Clone();
            Gemm.Multiply(ta, GemmTranspose.None, m, n, k, 0.7f, a, lda, b, n, 0.3f, parallel, n, GemmBackend.Bfloat16, accelerator);
            Gemm.Multiply(ta, GemmTranspose.None, m, n, k, 0.7f, a, lda, b, n, 0.3f, sequential, n, GemmBackend.Bfloat16, CpuAccelerator.Sequential);
            Assert.Equal(sequential, parallel);
            Check(m, n, k, ta, GemmTranspose.Transpose, 1f, 0f, pad: 0, accelerator);
        }
    }

    [Fact]
    public void SaysWhyWhenItCannotRun()
    {
        float[] c = new float[4];
        if (Gemm.Bfloat16Unavailable is { } reason)
        {
            var error = Assert.Throws<PlatformNotSupportedException>(() =>
                Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, 2, 2, 2, 1f, new float[4], 2, new float[4], 2, 0f, c, 2, GemmBackend.Bfloat16));
            Assert.Equal(reason, error.Message);
            Assert.Contains("BF16", reason, StringComparison.Ordinal);
        }
        else
        {
            Assert.NotNull(Bf16Native.LibraryPath);
        }

        // CI sets MTRL_REQUIRE_BF16=1 on CPUs with avx512_bf16, so a kernel that failed to build or
        // load fails there instead of skipping every test above.
        if (Environment.GetEnvironmentVariable("MTRL_REQUIRE_BF16") == "1")
        {
            Assert.Null(Gemm.Bfloat16Unavailable);
        }
    }

    /// <summary>Random A, B, C (NaN when beta = 0, padded rows) through the BF16 back end, checked against float64 on bfloat16-rounded copies of A and B.</summary>
    private static void Check(int m, int n, int k, GemmTranspose ta, GemmTranspose tb, float alpha, float beta, int pad, Accelerator accelerator)
    {
        int lda = Math.Max(1, ta == GemmTranspose.None ? k : m) + pad;
        int ldb = Math.Max(1, tb == GemmTranspose.None ? n : k) + pad;
        int ldc = Math.Max(1, n) + pad;
        float[] a = TestData.Uniform(Math.Max(1, (ta == GemmTranspose.None ? m : k) * lda), m + k);
        float[] b = TestData.Uniform(Math.Max(1, (tb == GemmTranspose.None ? k : n) * ldb), n + k + 1);
        const float padding = -12345f;
        float[] c = beta == 0f ? TestData.Poisoned(m * ldc) : TestData.Uniform(m * ldc, 2);
        for (int i = 0; i < m; i++)
        {
            for (int j = n; j < ldc; j++)
            {
                c[(i * ldc) + j] = padding;
            }
        }

        // Products BF16 would only slow down stay float32 (Gemm.UsesBfloat16); both must be right.
        bool rounds = Gemm.UsesBfloat16(tb, m, n, k);
        (double[] expected, double[] scale) = rounds
            ? GemmReference.Compute(ta, tb, m, n, k, alpha, Rounded(a), lda, Rounded(b), ldb, beta, c, ldc)
            : GemmReference.Compute(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        Gemm.Multiply(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, GemmBackend.Bfloat16, accelerator);
        GemmReference.AssertMatches(expected, scale, c, m, n, ldc, padding, $"BF16 {m}x{n}x{k} {ta}/{tb} alpha={alpha} beta={beta} pad={pad}");
    }

    private static float[] Rounded(float[] values) => Array.ConvertAll(values, v => Bf16Pairs.ToSingle(Bf16Pairs.Round(v)));
}
