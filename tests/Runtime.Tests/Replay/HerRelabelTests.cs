using System;
using System.Collections.Generic;
using Mtrl.Contracts;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Runtime.Tests.Replay;

public sealed class HerRelabelTests
{
    private static readonly ThresholdGoalReward s_reward = new(0f, terminateOnSuccess: true);

    [Theory]
    [InlineData(HerGoalStrategy.Future, 4)]
    [InlineData(HerGoalStrategy.Future, 1)]
    [InlineData(HerGoalStrategy.Final, 4)]
    [InlineData(HerGoalStrategy.Episode, 3)]
    [InlineData(HerGoalStrategy.Future, 0)]
    public void RelabeledGoalsComeFromTheSameEpisodeAtTheStrategysStep(HerGoalStrategy strategy, int k)
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(90, 3, tasks: 2));
        var script = new EpisodeScript(buffer, seed: 12, maxLength: 12, taskPerEpisode: true);
        ReplayBatch batch = buffer.CreateBatch(101);
        var her = new HerOptions(strategy, k);
        for (int round = 0; round < 30; round++)
        {
            script.Run(9); // wraps the 30-row ring several times
            if (buffer.SampleableCount == 0)
            {
                continue;
            }

            ReplayTestBuffers.Poison(batch);
            buffer.SampleHer(batch, her, s_reward);
            ReplayTestBuffers.AssertFullyWritten(batch);
            Assert.Equal(101 - (101 * k / (k + 1)), batch.RelabeledStart);
            for (int row = 0; row < batch.Size; row++)
            {
                AssertRow(buffer, script, batch, row, strategy);
            }
        }
    }

    [Fact]
    public void RelabelingAfterAnySamplerFollowsTheSameRules()
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(200, 4, tasks: 2, prioritized: true));
        var script = new EpisodeScript(buffer, seed: 2, maxLength: 10);
        script.Run(80);
        ReplayBatch batch = buffer.CreateBatch(64);
        var her = new HerOptions(HerGoalStrategy.Future, 2);
        buffer.SamplePrioritized(batch, 0.5f);
        buffer.Relabel(batch, her, s_reward);
        Assert.Equal(64 - 42, batch.RelabeledStart);
        for (int row = 0; row < batch.Size; row++)
        {
            AssertRow(buffer, script, batch, row, HerGoalStrategy.Future);
        }

        buffer.SampleBalanced(batch);
        buffer.Relabel(batch, her, s_reward);
        for (int row = 0; row < batch.Size; row++)
        {
            AssertRow(buffer, script, batch, row, HerGoalStrategy.Future);
        }
    }

    [Fact]
    public void OnePassHerSampleEqualsUniformSampleThenRelabel()
    {
        ReplayBufferOptions options = ReplayTestBuffers.Options(300, 3);
        ReplayBuffer fused = ReplayTestBuffers.Create(options);
        ReplayBuffer separate = ReplayTestBuffers.Create(options);
        new EpisodeScript(fused, seed: 9, maxLength: 20).Run(150);
        new EpisodeScript(separate, seed: 9, maxLength: 20).Run(150);
        ReplayBatch a = fused.CreateBatch(300);
        ReplayBatch b = separate.CreateBatch(300);
        for (int round = 0; round < 3; round++)
        {
            fused.SampleHer(a, HerOptions.Default, s_reward);
            separate.SampleUniform(b);
            separate.Relabel(b, HerOptions.Default, s_reward);
            SamplingTests.AssertSame(a, b);
        }
    }

    [Fact]
    public void FutureGoalStepsAreUniformOverTheRestOfTheEpisode()
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(400, 2));
        var script = new EpisodeScript(buffer, seed: 21, maxLength: 8);
        script.Run(250);
        ReplayBatch batch = buffer.CreateBatch(1000);
        var counts = new Dictionary<(int Step, int Length), long[]>();
        for (int round = 0; round < 100; round++)
        {
            buffer.SampleHer(batch, new HerOptions(HerGoalStrategy.Future, 999), s_reward);
            for (int row = batch.RelabeledStart; row < batch.Size; row++)
            {
                EpisodeRecord episode = script.EpisodeOf(batch.Observations.AsSpan(row * 4, 4));
                int step = (int)batch.Observations[(row * 4) + 3];
                int goalStep = (int)batch.DesiredGoals[(row * 2) + 1] - 1;
                if (!counts.TryGetValue((step, episode.Length), out long[]? cells))
                {
                    cells = new long[episode.Length];
                    counts[(step, episode.Length)] = cells;
                }

                cells[goalStep]++;
            }
        }

        foreach (((int step, int length), long[] cells) in counts)
        {
            long total = 0;
            foreach (long c in cells)
            {
                total += c;
            }

            var expected = new double[length];
            for (int t = step; t < length; t++)
            {
                expected[t] = (double)total / (length - step);
            }

            Assert.True(ChiSquare.Statistic(cells, expected) < ChiSquare.Bound(Math.Max(1, length - step - 1)), $"step {step} of {length}");
        }
    }

    [Fact]
    public void RewardWithoutTerminationLeavesTheStoredFlag()
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(100, 2));
        new EpisodeScript(buffer, seed: 4, maxLength: 5).Run(60);
        ReplayBatch batch = buffer.CreateBatch(200);
        buffer.SampleHer(batch, new HerOptions(HerGoalStrategy.Final, 4), new ThresholdGoalReward(0f, terminateOnSuccess: false));
        for (int row = 0; row < batch.Size; row++)
        {
            Assert.Equal(buffer.Store.Terminated[batch.Slots[row]], batch.Terminated[row]);
        }
    }

    [Fact]
    public void BadHerRequestsAreRefused()
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(100, 2));
        new EpisodeScript(buffer, seed: 4, maxLength: 5).Run(20);
        ReplayBatch batch = buffer.CreateBatch(16);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => buffer.SampleHer(batch, new HerOptions(HerGoalStrategy.Future, -1), s_reward));
        Assert.Equal("GoalsPerTransition", error.ParamName);
        Assert.Contains("[0, 1000]", error.Message);
        error = Assert.Throws<ArgumentOutOfRangeException>(() => buffer.SampleHer(batch, new HerOptions((HerGoalStrategy)7, 4), s_reward));
        Assert.Equal("Strategy", error.ParamName);

        buffer.SampleUniform(batch);
        new EpisodeScript(buffer, seed: 5, maxLength: 5).Run(1);
        InvalidOperationException stale = Assert.Throws<InvalidOperationException>(() => buffer.Relabel(batch, HerOptions.Default, s_reward));
        Assert.Contains("right after sampling", stale.Message);

        ReplayBuffer noGoals = ReplayTestBuffers.Create(ReplayTestBuffers.Options(100, 2) with { GoalWidth = 0 });
        InvalidOperationException missing = Assert.Throws<InvalidOperationException>(() => noGoals.SampleHer(noGoals.CreateBatch(4), HerOptions.Default, s_reward));
        Assert.Contains("GoalWidth", missing.Message);
    }

    private static void AssertRow(ReplayBuffer buffer, EpisodeScript script, ReplayBatch batch, int row, HerGoalStrategy strategy)
    {
        EpisodeRecord episode = script.EpisodeOf(batch.Observations.AsSpan(row * 4, 4));
        Assert.True(script.IsSampleable(episode));
        int step = (int)batch.Observations[(row * 4) + 3];
        int slot = batch.Slots[row];
        if (row < batch.RelabeledStart)
        {
            ReplayTestBuffers.AssertRowMatchesStorage(buffer, batch, row);
            Assert.Equal(-1, batch.GoalSlots[row]);
            Assert.Equal(buffer.Store.Rewards[slot], batch.Rewards[row]);
            return;
        }

        ReplayTestBuffers.AssertRowMatchesStorage(buffer, batch, row, relabeled: true);
        int goalSlot = batch.GoalSlots[row];
        Assert.True(buffer.Store.NextAchievedGoals.Slice(goalSlot * 2, 2).SequenceEqual(batch.DesiredGoals.AsSpan(row * 2, 2)));
        Assert.Equal(slot % buffer.Options.EnvCount, goalSlot % buffer.Options.EnvCount);

        // Next achieved goal of step t' is [episode, t' + 1]: same episode, and the strategy's step.
        Assert.Equal(episode.Id, (int)batch.DesiredGoals[row * 2]);
        int goalStep = (int)batch.DesiredGoals[(row * 2) + 1] - 1;
        switch (strategy)
        {
            case HerGoalStrategy.Future:
                Assert.InRange(goalStep, step, episode.Length - 1); // goal state t' + 1 is strictly after observation t
                break;
            case HerGoalStrategy.Final:
                Assert.Equal(episode.Length - 1, goalStep);
                break;
            default:
                Assert.InRange(goalStep, 0, episode.Length - 1);
                break;
        }

        bool success = goalStep == step;
        Assert.Equal(success ? 0f : -1f, batch.Rewards[row]);
        Assert.Equal(success ? 1f : 0f, batch.Terminated[row]);
    }
}
