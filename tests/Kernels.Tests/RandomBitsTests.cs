using System;
using Xunit;

namespace Mtrl.Kernels.Tests;

public sealed class RandomBitsTests
{
    [Fact]
    public void UniformCoversZeroButNeverOne()
    {
        Assert.Equal(0f, RandomBits.ToUniform(0));
        Assert.Equal(1f - (1f / (1 << 24)), RandomBits.ToUniform(uint.MaxValue));
        Assert.True(RandomBits.ToUniform(uint.MaxValue) < 1f);
    }

    [Fact]
    public void NonZeroUniformCoversOneButNeverZero()
    {
        Assert.Equal(1f / (1 << 24), RandomBits.ToUniformNonZero(0));
        Assert.Equal(1f, RandomBits.ToUniformNonZero(uint.MaxValue));
    }

    [Fact]
    public void NormalPairIsFiniteAtTheExtremes()
    {
        foreach (uint r in new[] { 0u, 1u, 255u, uint.MaxValue })
        {
            foreach (uint a in new[] { 0u, uint.MaxValue / 4, uint.MaxValue })
            {
                (float z0, float z1) = RandomBits.ToNormalPair(r, a);
                Assert.True(float.IsFinite(z0) && float.IsFinite(z1));
                Assert.True(MathF.Abs(z0) < 5.8f && MathF.Abs(z1) < 5.8f);
            }
        }

        (float first, float second) = RandomBits.ToNormalPair(uint.MaxValue, 0);
        Assert.Equal(0f, first);
        Assert.Equal(0f, second);
    }

    [Fact]
    public void IndicesStayInRangeAtTheExtremes()
    {
        foreach (int n in new[] { 1, 2, 3, 1000, int.MaxValue })
        {
            Assert.Equal(0, RandomBits.ToIndex(0, 0, n));
            Assert.Equal(n - 1, RandomBits.ToIndex(uint.MaxValue, uint.MaxValue, n));
            Assert.Equal(0, RandomBits.ToSmallIndex(0, n));
            Assert.Equal(n - 1, RandomBits.ToSmallIndex(uint.MaxValue, n));
        }
    }

    [Fact]
    public void SmallIndicesAreUniform()
    {
        const int n = 7, draws = 70_000;
        var counts = new int[n];
        for (ulong c = 0; c < draws / 4; c++)
        {
            PhiloxBlock block = Philox4x32.Generate(3, 0, c);
            for (int w = 0; w < 4; w++)
            {
                counts[RandomBits.ToSmallIndex(block[w], n)]++;
            }
        }

        AssertChiSquareUniform(counts, draws - (draws % 4));
    }

    /// <summary>Chi-square against the uniform distribution; the bound is far above the 99.99% quantile for these degrees of freedom.</summary>
    internal static void AssertChiSquareUniform(int[] counts, int total)
    {
        double expected = (double)total / counts.Length;
        double chi2 = 0;
        foreach (int count in counts)
        {
            chi2 += (count - expected) * (count - expected) / expected;
        }

        double dof = counts.Length - 1;
        double bound = dof + (6 * Math.Sqrt(2 * dof)) + 10;
        Assert.True(chi2 < bound, $"chi-square {chi2:F1} exceeds {bound:F1} for {counts.Length} bins");
    }
}
