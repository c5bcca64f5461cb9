using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Runtime.Tests.Replay;

public sealed class SamplingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UniformBatchesHoldOnlySampleableTransitionsCopiedExactly(bool discrete)
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(60, 3, discrete: discrete));
        var script = new EpisodeScript(buffer, seed: 5, maxLength: 9);
        ReplayBatch batch = buffer.CreateBatch(97);
        for (int round = 0; round < 40; round++)
        {
            script.Run(7);
            if (buffer.SampleableCount == 0)
            {
                continue;
            }

            ReplayTestBuffers.Poison(batch);
            buffer.SampleUniform(batch);
            ReplayTestBuffers.AssertFullyWritten(batch);
            for (int row = 0; row < batch.Size; row++)
            {
                ReplayTestBuffers.AssertRowMatchesStorage(buffer, batch, row);
                EpisodeRecord episode = script.EpisodeOf(batch.Observations.AsSpan(row * 4, 4));
                Assert.True(script.IsSampleable(episode), $"row {row} comes from episode {episode.Id}, which is unfinished or overwritten");
                Assert.Equal(1f, batch.Weights[row]);
                Assert.Equal(-1, batch.GoalSlots[row]);
            }
        }
    }

    [Fact]
    public void UniformSamplingIsUniformOverSampleableSlots()
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(120, 4));
        var script = new EpisodeScript(buffer, seed: 3, maxLength: 7);
        script.Run(75); // wrapped, with unfinished and overwritten episodes in the ring
        var counts = new long[buffer.Options.Capacity];
        ReplayBatch batch = buffer.CreateBatch(1000);
        for (int i = 0; i < 200; i++)
        {
            buffer.SampleUniform(batch);
            foreach (int slot in batch.Slots)
            {
                counts[slot]++;
            }
        }

        double each = 200_000.0 / buffer.SampleableCount;
        double[] expected = buffer.Ledger.EpisodeLengths.Select(length => length > 0 ? each : 0).ToArray();
        Assert.True(ChiSquare.Statistic(counts, expected) < ChiSquare.Bound(buffer.SampleableCount - 1));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BalancedSamplingGivesEveryTaskItsShareAndStaysUniformWithinTasks(bool taskPerEpisode)
    {
        // 5 envs over 3 tasks: fixed tasks give the tasks 2, 2 and 1 envs' worth of data; drawn tasks
        // mix tasks within every env (exercising the rejection and walk paths).
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(300, 5, tasks: 3));
        var script = new EpisodeScript(buffer, seed: 8, maxLength: 6, taskPerEpisode);
        script.Run(130);
        ReplayBatch batch = buffer.CreateBatch(100);
        var counts = new long[buffer.Options.Capacity];
        var extra = new int[3];
        const int rounds = 300;
        for (int round = 0; round < rounds; round++)
        {
            ReplayTestBuffers.Poison(batch);
            buffer.SampleBalanced(batch);
            ReplayTestBuffers.AssertFullyWritten(batch);
            Assert.True(batch.IsGroupedByTask);
            for (int t = 0; t < 3; t++)
            {
                int share = batch.TaskRowStarts[t + 1] - batch.TaskRowStarts[t];
                Assert.InRange(share, 33, 34); // 100 = 33 + 33 + 33 + 1
                extra[t] += share - 33;
                for (int row = batch.TaskRowStarts[t]; row < batch.TaskRowStarts[t + 1]; row++)
                {
                    Assert.Equal(t, batch.TaskIds[row]);
                    Assert.True(script.IsSampleable(script.EpisodeOf(batch.Observations.AsSpan(row * 4, 4))));
                    ReplayTestBuffers.AssertRowMatchesStorage(buffer, batch, row);
                    counts[batch.Slots[row]]++;
                }
            }
        }

        // The remainder row rotates over the tasks.
        Assert.Equal(new[] { rounds / 3, rounds / 3, rounds / 3 }, extra);

        // Within each task every sampleable slot is equally likely.
        for (int t = 0; t < 3; t++)
        {
            long drawn = 0;
            var observed = new List<long>();
            var slots = new List<int>();
            for (int slot = 0; slot < buffer.Options.Capacity; slot++)
            {
                if (buffer.Ledger.EpisodeLengths[slot] > 0 && buffer.Store.TaskIds[slot] == t)
                {
                    slots.Add(slot);
                    observed.Add(counts[slot]);
                    drawn += counts[slot];
                }
            }

            Assert.Equal(buffer.SampleableCountOf(t), slots.Count);
            double[] expected = Enumerable.Repeat((double)drawn / slots.Count, slots.Count).ToArray();
            Assert.True(ChiSquare.Statistic(observed.ToArray(), expected) < ChiSquare.Bound(slots.Count - 1), $"task {t}");
        }
    }

    [Fact]
    public void BalancedSamplingFindsARareTaskInsideAnEnvDominatedByAnother()
    {
        // One env; task 1 is only every 20th episode, so random draws in the env mostly miss it and
        // the exact walk over episodes must take over.
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(400, 1, tasks: 2));
        var script = new EpisodeScript(buffer, seed: 2, maxLength: 3, taskChooser: (env, episode) => episode % 20 == 7 ? 1 : 0);
        script.Run(390);
        Assert.InRange(buffer.SampleableCountOf(1) * 10, 1, buffer.SampleableCountOf(0));
        ReplayBatch batch = buffer.CreateBatch(64);
        var seen = new HashSet<int>();
        for (int round = 0; round < 50; round++)
        {
            buffer.SampleBalanced(batch);
            for (int row = batch.TaskRowStarts[1]; row < batch.TaskRowStarts[2]; row++)
            {
                Assert.Equal(1, batch.TaskIds[row]);
                seen.Add(batch.Slots[row]);
            }
        }

        Assert.Equal(buffer.SampleableCountOf(1), seen.Count);
    }

    [Fact]
    public void BalancedSamplingSkipsTasksWithoutData()
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(40, 2, tasks: 4));
        var script = new EpisodeScript(buffer, seed: 1, maxLength: 3);
        script.Run(10); // envs 0 and 1 run tasks 0 and 1; tasks 2 and 3 have nothing
        ReplayBatch batch = buffer.CreateBatch(9);
        buffer.SampleBalanced(batch);
        Assert.Equal(new[] { 0, 5, 9, 9, 9 }, batch.TaskRowStarts);
        buffer.SampleBalanced(batch);
        Assert.Equal(new[] { 0, 4, 9, 9, 9 }, batch.TaskRowStarts);
    }

    [Fact]
    public void EverySamplerGivesIdenticalBatchesOnOneAndTwoThreads()
    {
        using var two = new CpuAccelerator(2, minimumGrain: 1);
        ReplayBufferOptions options = ReplayTestBuffers.Options(3000, 6, tasks: 3, prioritized: true);
        ReplayBuffer one = ReplayTestBuffers.Create(options, CpuAccelerator.Sequential);
        ReplayBuffer parallel = ReplayTestBuffers.Create(options, two);
        new EpisodeScript(one, seed: 4, maxLength: 30, taskPerEpisode: true).Run(700);
        new EpisodeScript(parallel, seed: 4, maxLength: 30, taskPerEpisode: true).Run(700);
        ReplayBatch a = one.CreateBatch(1000);
        ReplayBatch b = parallel.CreateBatch(1000);
        var reward = new Mtrl.Kernels.Replay.ThresholdGoalReward(0f, terminateOnSuccess: true);
        var priorities = Enumerable.Range(0, 1000).Select(i => (float)(i % 13)).ToArray();
        for (int round = 0; round < 3; round++)
        {
            one.SampleUniform(a);
            parallel.SampleUniform(b);
            AssertSame(a, b);
            one.SampleBalanced(a);
            parallel.SampleBalanced(b);
            AssertSame(a, b);
            one.SamplePrioritized(a, 0.4f);
            parallel.SamplePrioritized(b, 0.4f);
            AssertSame(a, b);
            one.UpdatePriorities(a.Slots, priorities);
            parallel.UpdatePriorities(b.Slots, priorities);
            one.SampleHer(a, HerOptions.Default, reward);
            parallel.SampleHer(b, HerOptions.Default, reward);
            AssertSame(a, b);
            one.SamplePrioritized(a, 1f);
            parallel.SamplePrioritized(b, 1f);
            one.Relabel(a, new HerOptions(HerGoalStrategy.Episode, 2), reward);
            parallel.Relabel(b, new HerOptions(HerGoalStrategy.Episode, 2), reward);
            AssertSame(a, b);
        }
    }

    [Fact]
    public void SamplingAllocatesNothing()
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(600, 3, tasks: 2, prioritized: true));
        new EpisodeScript(buffer, seed: 6, maxLength: 10).Run(300);
        ReplayBatch batch = buffer.CreateBatch(128);
        var reward = new Mtrl.Kernels.Replay.ThresholdGoalReward(0f, terminateOnSuccess: false);
        void SampleAll()
        {
            buffer.SampleUniform(batch);
            buffer.SampleBalanced(batch);
            buffer.SamplePrioritized(batch, 0.5f);
            buffer.UpdatePriorities(batch.Slots, batch.Weights);
            buffer.SampleHer(batch, HerOptions.Default, reward);
        }

        SampleAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            SampleAll();
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    internal static void AssertSame(ReplayBatch a, ReplayBatch b)
    {
        Assert.Equal(a.Slots, b.Slots);
        Assert.Equal(a.Observations, b.Observations);
        Assert.Equal(a.NextObservations, b.NextObservations);
        Assert.Equal(a.Actions, b.Actions);
        Assert.Equal(a.Rewards, b.Rewards);
        Assert.Equal(a.Terminated, b.Terminated);
        Assert.Equal(a.Truncated, b.Truncated);
        Assert.Equal(a.TaskIds, b.TaskIds);
        Assert.Equal(a.AchievedGoals, b.AchievedGoals);
        Assert.Equal(a.NextAchievedGoals, b.NextAchievedGoals);
        Assert.Equal(a.DesiredGoals, b.DesiredGoals);
        Assert.Equal(a.GoalSlots, b.GoalSlots);
        Assert.Equal(a.Weights, b.Weights);
        Assert.Equal(a.RelabeledStart, b.RelabeledStart);
    }
}
