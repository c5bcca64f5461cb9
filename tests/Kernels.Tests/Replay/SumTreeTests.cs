using System;
using System.Linq;
using Mtrl.Kernels.Replay;
using Xunit;

namespace Mtrl.Kernels.Tests.Replay;

public sealed class SumTreeTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void EveryParentIsTheSumOfItsChildrenAndRebuildingGivesTheSameBits(int leaves)
    {
        var tree = new double[SumTree.NodeCount(leaves)];
        var random = new Random(leaves);
        for (int update = 0; update < 5 * leaves; update++)
        {
            SumTree.Set(tree, random.Next(leaves), random.NextDouble() < 0.2 ? 0d : random.NextDouble() * 10);
        }

        for (int node = 1; node < leaves; node++)
        {
            Assert.Equal(tree[2 * node] + tree[(2 * node) + 1], tree[node]);
        }

        double[] rebuilt = (double[])tree.Clone();
        Array.Clear(rebuilt, 0, leaves);
        SumTree.Rebuild(rebuilt);
        Assert.Equal(tree, rebuilt);
        Assert.Equal(tree.AsSpan(leaves).ToArray().Sum(), SumTree.Total(tree), 9);
    }

    [Fact]
    public void FindNeverReturnsAZeroWeightLeafEvenAtRangeBoundaries()
    {
        const int leaves = 37;
        var tree = new double[SumTree.NodeCount(leaves)];
        for (int leaf = 0; leaf < leaves; leaf++)
        {
            SumTree.Set(tree, leaf, leaf % 3 == 0 ? 0d : 0.1 * leaf);
        }

        double total = SumTree.Total(tree);
        double[] masses = [0d, double.Epsilon, total / 2, Math.BitDecrement(total), .. Enumerable.Range(0, 1000).Select(i => total * i / 1000.0)];
        foreach (double mass in masses)
        {
            int leaf = SumTree.Find(tree, mass);
            Assert.InRange(leaf, 0, leaves - 1);
            Assert.True(SumTree.Leaf(tree, leaf) > 0, $"mass {mass} found the zero leaf {leaf}");
        }
    }

    [Fact]
    public void StratifiedDrawsAreProportionalToTheWeights()
    {
        const int leaves = 50;
        var tree = new double[SumTree.NodeCount(leaves)];
        for (int leaf = 0; leaf < leaves; leaf++)
        {
            SumTree.Set(tree, leaf, leaf % 5 == 0 ? 0d : 1 + (leaf % 7));
        }

        const int rows = 1000;
        const int rounds = 200;
        var counts = new long[leaves];
        var weights = new float[rows];
        for (int round = 0; round < rounds; round++)
        {
            var selector = new ProportionalSlotSelector(tree, population: 40, beta: 0.5f, weights, seed: 5, stream: 1, counter: (ulong)(round * rows));
            for (int row = 0; row < rows; row++)
            {
                int leaf = selector.Select(row);
                counts[leaf]++;
                double probability = SumTree.Leaf(tree, leaf) / SumTree.Total(tree);
                Assert.Equal((float)Math.Pow(40 * probability, -0.5), weights[row]);
            }
        }

        double total = SumTree.Total(tree);
        double statistic = 0;
        for (int leaf = 0; leaf < leaves; leaf++)
        {
            double expected = SumTree.Leaf(tree, leaf) / total * rows * rounds;
            if (expected == 0)
            {
                Assert.Equal(0, counts[leaf]);
                continue;
            }

            statistic += (counts[leaf] - expected) * (counts[leaf] - expected) / expected;
        }

        // 39 degrees of freedom; stratification only lowers the statistic.
        Assert.True(statistic < 39 + (6 * Math.Sqrt(78)), $"chi-square {statistic:F1}");
    }

    [Fact]
    public void StratifiedMassStaysInsideItsSegment()
    {
        for (int row = 0; row < 16; row++)
        {
            foreach ((uint low, uint high) in new[] { (0u, 0u), (uint.MaxValue, uint.MaxValue), (12345u, 67890u) })
            {
                double mass = SumTree.StratifiedMass(8d, row, 16, low, high);
                Assert.InRange(mass, row * 0.5, Math.Min((row + 1) * 0.5, Math.BitDecrement(8d)));
                Assert.True(mass < 8d);
            }
        }
    }

    [Fact]
    public void BadArgumentsNameTheirRange()
    {
        var tree = new double[SumTree.NodeCount(4)];
        var leaf = Assert.Throws<ArgumentOutOfRangeException>(() => SumTree.Set(tree, 4, 1d));
        Assert.Equal("leaf", leaf.ParamName);
        Assert.Contains("[0, 4)", leaf.Message);
        Assert.Equal("weight", Assert.Throws<ArgumentOutOfRangeException>(() => SumTree.Set(tree, 0, -1d)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentOutOfRangeException>(() => SumTree.Set(tree, 0, double.NaN)).ParamName);
        Assert.Equal("leafCount", Assert.Throws<ArgumentOutOfRangeException>(() => SumTree.NodeCount(0)).ParamName);
        Assert.Throws<ArgumentException>(() => new ProportionalSlotSelector(tree, 1, 0.5f, new float[1], 0, 0, 0));
    }
}
