using System;
using Mtrl.Kernels.Replay;
using Xunit;

namespace Mtrl.Kernels.Tests.Replay;

public sealed class BalancedSharesTests
{
    [Fact]
    public void SharesAreEqualAndTheRemainderRotates()
    {
        var starts = new int[4];
        int[] counts = [5, 1000, 3];
        Assert.Equal(3, BalancedShares.Split(11, counts, rotation: 0, starts));
        Assert.Equal(new[] { 0, 4, 8, 11 }, starts);
        BalancedShares.Split(11, counts, rotation: 2, starts);
        Assert.Equal(new[] { 0, 4, 7, 11 }, starts);
        BalancedShares.Split(11, counts, rotation: 4, starts); // taken modulo 3
        Assert.Equal(new[] { 0, 3, 7, 11 }, starts);
        BalancedShares.Split(9, counts, rotation: 1, starts);
        Assert.Equal(new[] { 0, 3, 6, 9 }, starts);
    }

    [Fact]
    public void TasksWithoutDataGetNoRows()
    {
        var starts = new int[5];
        BalancedShares.Split(7, [0, 4, 0, 9], rotation: 1, starts);
        Assert.Equal(new[] { 0, 0, 3, 3, 7 }, starts);
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => BalancedShares.Split(7, [0, 0], 0, new int[3]));
        Assert.Contains("no task", error.Message);
        Assert.Equal("rowStarts", Assert.Throws<ArgumentException>(() => BalancedShares.Split(7, [1, 1], 0, new int[2])).ParamName);
    }

    [Fact]
    public void PrefixSearchSkipsEmptyGroups()
    {
        int[] prefix = [0, 0, 3, 3, 4, 9];
        int[] expected = [1, 1, 1, 3, 4, 4, 4, 4, 4];
        for (int value = 0; value < 9; value++)
        {
            Assert.Equal(expected[value], PrefixSearch.Group(prefix, value));
        }
    }

    [Fact]
    public void PrefixSearchFindsTheGroupOfEveryValueForRandomCounts()
    {
        var random = new System.Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            int groups = random.Next(1, 40);
            var prefix = new int[groups + 1];
            for (int g = 0; g < groups; g++)
            {
                prefix[g + 1] = prefix[g] + (random.Next(3) == 0 ? 0 : random.Next(1, 6));
            }

            for (int value = 0; value < prefix[^1]; value++)
            {
                int expected = 0;
                while (!(prefix[expected] <= value && value < prefix[expected + 1]))
                {
                    expected++;
                }

                Assert.Equal(expected, PrefixSearch.Group(prefix, value));
            }
        }
    }
}
