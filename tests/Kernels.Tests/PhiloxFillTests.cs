using System;
using System.Linq;
using Xunit;

namespace Mtrl.Kernels.Tests;

public sealed class PhiloxFillTests
{
    [Fact]
    public void UniformFillMatchesTheScalarDefinition()
    {
        const ulong seed = 42, stream = 5, counter = 1000;
        float[] values = TestData.Poisoned(1003);
        PhiloxFill.Uniform(values, seed, stream, counter, CpuAccelerator.Sequential);
        for (int e = 0; e < values.Length; e++)
        {
            PhiloxBlock block = Philox4x32.Generate(seed, stream, counter + (ulong)(e / 4));
            Assert.Equal(RandomBits.ToUniform(block[e % 4]), values[e]);
        }
    }

    [Fact]
    public void NormalFillAgreesWithTheScalarBoxMuller()
    {
        const ulong seed = 1, stream = 2, counter = 3;
        float[] values = TestData.Poisoned(1001);
        PhiloxFill.Normal(values, seed, stream, counter, mean: 0.5f, standardDeviation: 2f, CpuAccelerator.Sequential);
        for (int e = 0; e < values.Length; e += 2)
        {
            PhiloxBlock block = Philox4x32.Generate(seed, stream, counter + (ulong)(e / 4));
            int w = e % 4;
            (float z0, float z1) = RandomBits.ToNormalPair(block[w], block[w + 1]);
            Assert.InRange(values[e], 0.5f + (2f * z0) - 2e-5f, 0.5f + (2f * z0) + 2e-5f);
            if (e + 1 < values.Length)
            {
                Assert.InRange(values[e + 1], 0.5f + (2f * z1) - 2e-5f, 0.5f + (2f * z1) + 2e-5f);
            }
        }
    }

    [Fact]
    public void IndexFillMatchesTheScalarDefinition()
    {
        const ulong seed = 9, stream = 8, counter = 7;
        int[] values = Enumerable.Repeat(-1, 999).ToArray();
        PhiloxFill.Index(values, 12345, seed, stream, counter, CpuAccelerator.Sequential);
        for (int e = 0; e < values.Length; e++)
        {
            PhiloxBlock block = Philox4x32.Generate(seed, stream, counter + (ulong)(e / 2));
            int w = 2 * (e % 2);
            Assert.Equal(RandomBits.ToIndex(block[w], block[w + 1], 12345), values[e]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(100_003)]
    public void FillsAreIndependentOfThreadCountAndChunking(int length)
    {
        using var two = new CpuAccelerator(2);
        using var three = new CpuAccelerator(3, minimumGrain: 1);
        foreach (Func<Accelerator, float[]> fill in new Func<Accelerator, float[]>[]
        {
            acc => { var v = TestData.Poisoned(length); PhiloxFill.Uniform(v, 11, 3, 77, acc); return v; },
            acc => { var v = TestData.Poisoned(length); PhiloxFill.Normal(v, 11, 3, 77, 0f, 1f, acc); return v; },
            acc => { var v = new int[length]; PhiloxFill.Index(v, 1000, 11, 3, 77, acc); return v.Select(x => (float)x).ToArray(); },
        })
        {
            float[] reference = fill(CpuAccelerator.Sequential);
            Assert.DoesNotContain(reference, float.IsNaN);
            Assert.Equal(reference, fill(two));
            Assert.Equal(reference, fill(three));
        }
    }

    [Fact]
    public void SplitFillsWithAdvancedCountersReproduceOneLargeFill()
    {
        float[] whole = new float[1000];
        PhiloxFill.Normal(whole, 5, 6, 7, accelerator: CpuAccelerator.Sequential);
        float[] pieces = new float[1000];
        int[] cuts = [0, 4, 36, 400, 1000];
        for (int p = 0; p + 1 < cuts.Length; p++)
        {
            ulong counter = 7 + PhiloxFill.CountersForFloats(cuts[p]);
            PhiloxFill.Normal(pieces.AsSpan(cuts[p], cuts[p + 1] - cuts[p]), 5, 6, counter, accelerator: CpuAccelerator.Sequential);
        }

        Assert.Equal(whole, pieces);
    }

    [Fact]
    public void StreamsAndSeedsGiveDifferentSequences()
    {
        float[] a = new float[64], b = new float[64], c = new float[64];
        PhiloxFill.Uniform(a, 1, 0, 0);
        PhiloxFill.Uniform(b, 1, 1, 0);
        PhiloxFill.Uniform(c, 2, 0, 0);
        Assert.NotEqual(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void UniformMomentsAndRange()
    {
        float[] values = new float[200_000];
        PhiloxFill.Uniform(values, 2024, 0, 0);
        Assert.All(values, v => Assert.InRange(v, 0f, 0.99999995f));
        (double mean, double variance) = Moments(values);
        // Standard errors: mean 6.5e-4, variance 1.9e-4; bounds at about 6 sigma.
        Assert.InRange(mean, 0.5 - 0.004, 0.5 + 0.004);
        Assert.InRange(variance, (1.0 / 12) - 0.0012, (1.0 / 12) + 0.0012);
    }

    [Fact]
    public void NormalMomentsAndTails()
    {
        float[] values = new float[200_000];
        PhiloxFill.Normal(values, 2024, 1, 0, mean: 3f, standardDeviation: 2f);
        (double mean, double variance) = Moments(values);
        Assert.InRange(mean, 3 - 0.03, 3 + 0.03);
        Assert.InRange(variance, 4 - 0.08, 4 + 0.08);
        double beyondTwoSigma = values.Count(v => Math.Abs(v - 3f) > 4f) / (double)values.Length;
        Assert.InRange(beyondTwoSigma, 0.0455 - 0.004, 0.0455 + 0.004);
    }

    [Fact]
    public void IndicesAreUniformOverTheirRange()
    {
        const int n = 97;
        int[] values = new int[97_000];
        PhiloxFill.Index(values, n, 77, 0, 0);
        var counts = new int[n];
        foreach (int v in values)
        {
            Assert.InRange(v, 0, n - 1);
            counts[v]++;
        }

        RandomBitsTests.AssertChiSquareUniform(counts, values.Length);
    }

    [Fact]
    public void IndexFillRejectsEmptyRange()
        => Assert.Throws<ArgumentOutOfRangeException>(() => PhiloxFill.Index(new int[4], 0, 1, 2, 3));

    private static (double Mean, double Variance) Moments(float[] values)
    {
        double mean = values.Average(v => (double)v);
        double variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
        return (mean, variance);
    }
}
