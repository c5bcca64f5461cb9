using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Runtime.Tests.Replay;

public sealed class PrioritizedSamplingTests
{
    [Fact]
    public void SlotsAreDrawnInProportionToPriorityToTheAlphaWithMaxNormalisedWeights()
    {
        ReplayBufferOptions options = ReplayTestBuffers.Options(120, 2, prioritized: true) with { PriorityExponent = 0.7f };
        ReplayBuffer buffer = ReplayTestBuffers.Create(options);
        var script = new EpisodeScript(buffer, seed: 14, maxLength: 6);
        script.Run(80); // wrapped: some slots are unfinished or overwritten
        int[] sampleable = Enumerable.Range(0, options.Capacity).Where(s => buffer.Ledger.EpisodeLengths[s] > 0).ToArray();
        float[] priorities = sampleable.Select(s => (float)((s * 37 % 11) + 0.5)).ToArray();
        buffer.UpdatePriorities(sampleable, priorities);

        double[] weight = new double[options.Capacity];
        for (int i = 0; i < sampleable.Length; i++)
        {
            weight[sampleable[i]] = Math.Pow(priorities[i] + (double)options.PriorityEpsilon, 0.7);
        }

        double total = weight.Sum();
        var counts = new long[options.Capacity];
        ReplayBatch batch = buffer.CreateBatch(500);
        const int rounds = 400;
        for (int round = 0; round < rounds; round++)
        {
            ReplayTestBuffers.Poison(batch);
            buffer.SamplePrioritized(batch, beta: 0.6f);
            ReplayTestBuffers.AssertFullyWritten(batch);
            float largest = 0f;
            for (int row = 0; row < batch.Size; row++)
            {
                int slot = batch.Slots[row];
                counts[slot]++;
                ReplayTestBuffers.AssertRowMatchesStorage(buffer, batch, row);
                largest = Math.Max(largest, batch.Weights[row]);
            }

            // w_i = (n·P(i))^−β / max_j w_j over the batch.
            double max = batch.Slots.Max(s => Math.Pow(sampleable.Length * weight[s] / total, -0.6));
            for (int row = 0; row < batch.Size; row++)
            {
                double expected = Math.Pow(sampleable.Length * weight[batch.Slots[row]] / total, -0.6) / max;
                Assert.InRange(batch.Weights[row], expected * (1 - 1e-5), expected * (1 + 1e-5));
            }

            Assert.Equal(1f, largest);
        }

        double[] expectedCounts = weight.Select(w => w / total * rounds * batch.Size).ToArray();
        double statistic = ChiSquare.Statistic(counts, expectedCounts);
        Assert.True(statistic < ChiSquare.Bound(sampleable.Length - 1), $"chi-square {statistic:F1} with {sampleable.Length - 1} degrees of freedom");
    }

    [Fact]
    public void NewEpisodesEnterWithTheLargestPriorityAndOverwrittenOnesLeaveTheTree()
    {
        ReplayBufferOptions options = ReplayTestBuffers.Options(60, 3, prioritized: true) with { PriorityExponent = 0.5f };
        ReplayBuffer buffer = ReplayTestBuffers.Create(options);
        var script = new EpisodeScript(buffer, seed: 7, maxLength: 5);
        script.Run(12);
        double[] tree = buffer.Priorities!.Tree;
        for (int slot = 0; slot < options.Capacity; slot++)
        {
            Assert.Equal(buffer.Ledger.EpisodeLengths[slot] > 0 ? 1d : 0d, tree[options.Capacity + slot]);
        }

        ReplayBatch batch = buffer.CreateBatch(8);
        buffer.SamplePrioritized(batch, 0.4f);
        buffer.UpdatePriorities(batch.Slots.AsSpan(0, 1), [9f]);
        Assert.Equal(9d + options.PriorityEpsilon, buffer.MaxPriority, 6);
        var before = new HashSet<int>(Enumerable.Range(0, options.Capacity).Where(s => buffer.Ledger.EpisodeLengths[s] > 0));

        for (int round = 0; round < 60; round++)
        {
            script.Run(1);
            for (int slot = 0; slot < options.Capacity; slot++)
            {
                double leaf = tree[options.Capacity + slot];
                if (buffer.Ledger.EpisodeLengths[slot] == 0)
                {
                    Assert.Equal(0d, leaf);
                }
                else if (!before.Contains(slot))
                {
                    Assert.Equal(Math.Pow(9d + options.PriorityEpsilon, 0.5), leaf, 9);
                }
            }

            // Parents always equal the sum of their children, so the root is the total.
            Assert.Equal(tree.AsSpan(options.Capacity).ToArray().Sum(), SumTree.Total(tree), 9);
            buffer.SamplePrioritized(batch, 1f);
            foreach (EpisodeRecord episode in Enumerable.Range(0, batch.Size).Select(r => script.EpisodeOf(batch.Observations.AsSpan(r * 4, 4))))
            {
                Assert.True(script.IsSampleable(episode));
            }
        }
    }

    [Fact]
    public void StaleSlotsAreSkippedByPriorityUpdates()
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(30, 1, prioritized: true));
        EpisodeBookkeepingTests.AddEpisodes(buffer, 5, 5, 5, 5, 5, 5);
        ReplayBatch batch = buffer.CreateBatch(4);
        buffer.SamplePrioritized(batch, 0.5f);
        EpisodeBookkeepingTests.AddSteps(buffer, 2, done: false); // overwrites row 0: the first episode is gone
        double[] tree = buffer.Priorities!.Tree;
        Assert.Equal(0, buffer.Ledger.EpisodeLengths[0]);
        buffer.UpdatePriorities([0, 6], [4f, 4f]);
        Assert.Equal(0d, tree[30]);
        Assert.True(tree[36] > 1d);
    }

    [Fact]
    public void BadPriorityRequestsNameTheArgument()
    {
        ReplayBuffer plain = ReplayTestBuffers.Create(ReplayTestBuffers.Options(30, 1));
        EpisodeBookkeepingTests.AddEpisodes(plain, 3);
        InvalidOperationException none = Assert.Throws<InvalidOperationException>(() => plain.SamplePrioritized(plain.CreateBatch(2), 0.5f));
        Assert.Contains("Prioritized", none.Message);

        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(30, 1, prioritized: true));
        EpisodeBookkeepingTests.AddEpisodes(buffer, 3);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => buffer.SamplePrioritized(buffer.CreateBatch(2), 1.5f));
        Assert.Equal("beta", error.ParamName);
        Assert.Contains("[0, 1]", error.Message);
        error = Assert.Throws<ArgumentOutOfRangeException>(() => buffer.UpdatePriorities([0], [float.NaN]));
        Assert.Equal("priorities", error.ParamName);
        error = Assert.Throws<ArgumentOutOfRangeException>(() => buffer.UpdatePriorities([30], [1f]));
        Assert.Equal("slots", error.ParamName);
        Assert.Contains("[0, 30)", error.Message);
        Assert.Throws<ArgumentException>(() => buffer.UpdatePriorities([0, 1], [1f]));
    }
}
