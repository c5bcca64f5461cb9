using System;
using System.Collections.Generic;
using Xunit;

namespace Mtrl.Kernels.Tests.Projection;

public sealed class PcGradOrdersTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(50)]
    public void EveryRowIsAPermutationOfTheOtherTasks(int taskCount)
    {
        var orders = new int[taskCount * (taskCount - 1)];
        for (ulong counter = 0; counter < 20; counter++)
        {
            PcGradOrders.Draw(orders, taskCount, 7, 8, counter * PcGradOrders.CountersUsed(taskCount));
            PcGradOrders.Validate(orders, taskCount); // throws otherwise
        }
    }

    [Fact]
    public void DrawsAreDeterministicAndDependOnSeedStreamAndCounter()
    {
        int[] Draw(ulong seed, ulong stream, ulong counter)
        {
            var orders = new int[10 * 9];
            PcGradOrders.Draw(orders, 10, seed, stream, counter);
            return orders;
        }

        Assert.Equal(Draw(1, 2, 3), Draw(1, 2, 3));
        Assert.NotEqual(Draw(1, 2, 3), Draw(2, 2, 3));
        Assert.NotEqual(Draw(1, 2, 3), Draw(1, 3, 3));
        Assert.NotEqual(Draw(1, 2, 3), Draw(1, 2, 3 + PcGradOrders.CountersUsed(10)));
        Assert.Equal(10UL * 4, PcGradOrders.CountersUsed(10));
        Assert.Equal(0UL, PcGradOrders.CountersUsed(2));
        Assert.Equal(1UL, PcGradOrders.CountersPerTask(3));
    }

    [Fact]
    public void ShufflesAreUniformOverPermutations()
    {
        // T = 4: each row is one of 3! = 6 orders; 6,000 rows → 1,000 expected per order.
        const int t = 4, draws = 1_500;
        var counts = new Dictionary<(int, int, int, int), int>();
        var orders = new int[t * (t - 1)];
        for (int d = 0; d < draws; d++)
        {
            PcGradOrders.Draw(orders, t, 99, 1, (ulong)d * PcGradOrders.CountersUsed(t));
            for (int i = 0; i < t; i++)
            {
                var key = (i, orders[i * 3], orders[i * 3 + 1], orders[i * 3 + 2]);
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        }

        Assert.Equal(t * 6, counts.Count);
        double chiSquare = 0;
        double expected = draws / 6.0;
        foreach (int count in counts.Values)
        {
            chiSquare += (count - expected) * (count - expected) / expected;
        }

        // 4 rows × 5 degrees of freedom = 20; P(χ²₂₀ > 45.3) = 0.001.
        Assert.True(chiSquare < 45.3, $"χ² = {chiSquare}");
    }
}
