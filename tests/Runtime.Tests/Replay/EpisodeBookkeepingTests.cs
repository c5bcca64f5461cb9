using System;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Runtime.Tests.Replay;

public sealed class EpisodeBookkeepingTests
{
    [Theory]
    [InlineData(1, 12, 5)]
    [InlineData(3, 30, 9)]
    [InlineData(4, 40, 15)] // episodes can be longer than the ring's 10 rows
    public void SampleableSlotsMatchSb3RulesStepByStepThroughWraparound(int envs, int capacity, int maxLength)
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(capacity, envs));
        var script = new EpisodeScript(buffer, seed: envs, maxLength);
        for (int step = 0; step < 10 * buffer.Rows; step++)
        {
            script.Run(1);
            AssertLedgerMatchesModel(buffer, script);
        }
    }

    [Fact]
    public void OverwritingTheFirstStepOfAnEpisodeInvalidatesItsWholeRest()
    {
        // One env, 10 rows, episodes of 4 steps: A on rows 0-3, B on 4-7, C on 8, 9, 0, 1 (wrapping).
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(10, 1));
        AddEpisodes(buffer, 4, 4);
        AddSteps(buffer, 2, done: false);
        Assert.Equal(new[] { 4, 4, 4, 4, 4, 4, 4, 4, 0, 0 }, buffer.Ledger.EpisodeLengths);

        // C's third step overwrites row 0, A's first step: all of A goes, not only row 0.
        AddSteps(buffer, 1, done: false);
        Assert.Equal(new[] { 0, 0, 0, 0, 4, 4, 4, 4, 0, 0 }, buffer.Ledger.EpisodeLengths);
        Assert.Equal(4, buffer.SampleableCount);

        AddSteps(buffer, 1, done: true);
        Assert.Equal(new[] { 4, 4, 0, 0, 4, 4, 4, 4, 4, 4 }, buffer.Ledger.EpisodeLengths);
        Assert.Equal(8, buffer.SampleableCount);
        Assert.Equal(new[] { 8, 8 }, buffer.Ledger.EpisodeStarts[0..2]);
        Assert.Equal(new[] { 8, 8 }, buffer.Ledger.EpisodeStarts[8..10]);

        // Sampling never returns A's remnant (rows 2 and 3).
        ReplayBatch batch = buffer.CreateBatch(200);
        buffer.SampleUniform(batch);
        Assert.DoesNotContain(2, batch.Slots);
        Assert.DoesNotContain(3, batch.Slots);
    }

    [Fact]
    public void AnEpisodeLongerThanTheRingIsNeverSampleable()
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(6, 1));
        AddEpisodes(buffer, 2, 9, 3); // rows 0-1; 2-5, 0-4; 5, 0-1
        Assert.Equal(new[] { 3, 3, 0, 0, 0, 3 }, buffer.Ledger.EpisodeLengths);
        Assert.Equal(3, buffer.SampleableCount);
    }

    [Fact]
    public void NothingIsSampledBeforeTheFirstEpisodeEnds()
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(20, 2));
        ReplayBatch batch = buffer.CreateBatch(4);
        AddSteps(buffer, 3, done: false);
        Assert.Equal(0, buffer.SampleableCount);
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => buffer.SampleUniform(batch));
        Assert.Contains("episode", error.Message);
    }

    [Fact]
    public void TruncatingUnfinishedEpisodesMakesThemSampleableAndMarksTheirLastStep()
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(20, 2));
        AddSteps(buffer, 3, done: false);
        buffer.TruncateUnfinishedEpisodes();
        Assert.Equal(6, buffer.SampleableCount);
        Assert.Equal(1, buffer.Store.Truncated[4]);
        Assert.Equal(1, buffer.Store.Truncated[5]);
        Assert.Equal(0, buffer.Store.Truncated[3]);
        AddSteps(buffer, 1, done: true);
        Assert.Equal(8, buffer.SampleableCount);
        Assert.Equal(new[] { 3, 3 }, buffer.Ledger.EpisodeStarts[6..8]);
    }

    internal static void AssertLedgerMatchesModel(ReplayBuffer buffer, EpisodeScript script)
    {
        Assert.Equal(script.SampleableCount(), buffer.SampleableCount);
        int[] lengths = buffer.Ledger.EpisodeLengths;
        int[] starts = buffer.Ledger.EpisodeStarts;
        for (int slot = 0; slot < buffer.Count; slot++)
        {
            ReadOnlySpan<float> observation = buffer.Store.Observations.Slice(slot * 4, 4);
            EpisodeRecord episode = script.EpisodeOf(observation);
            int expected = script.IsSampleable(episode) ? episode.Length : 0;
            Assert.True(expected == lengths[slot], $"slot {slot}: length {lengths[slot]}, model says {expected} (episode {episode.Id})");
            if (expected > 0)
            {
                int step = (int)observation[3];
                int row = slot / buffer.Options.EnvCount;
                Assert.Equal(((row - step) % buffer.Rows + buffer.Rows) % buffer.Rows, starts[slot]);
            }
        }

        // Per task counts agree with the per-slot lengths.
        var perTask = new int[buffer.Options.TaskCount];
        for (int slot = 0; slot < buffer.Count; slot++)
        {
            if (lengths[slot] > 0)
            {
                perTask[buffer.Store.TaskIds[slot]]++;
            }
        }

        for (int t = 0; t < perTask.Length; t++)
        {
            Assert.Equal(perTask[t], buffer.SampleableCountOf(t));
        }
    }

    /// <summary>Adds consecutive episodes of the given lengths to a single-env buffer.</summary>
    internal static void AddEpisodes(ReplayBuffer buffer, params int[] lengths)
    {
        foreach (int length in lengths)
        {
            for (int t = 0; t < length; t++)
            {
                AddSteps(buffer, 1, done: t == length - 1);
            }
        }
    }

    internal static void AddSteps(ReplayBuffer buffer, int count, bool done)
    {
        ReplayBufferOptions o = buffer.Options;
        int n = o.EnvCount;
        var flags = new bool[n];
        Array.Fill(flags, done);
        for (int i = 0; i < count; i++)
        {
            buffer.Add(new ReplayStep
            {
                Observations = new float[n * o.ObservationWidth],
                NextObservations = new float[n * o.ObservationWidth],
                Actions = new float[n * o.ActionWidth],
                Rewards = new float[n],
                Terminated = new bool[n],
                Truncated = flags,
                AchievedGoals = new float[n * o.GoalWidth],
                NextAchievedGoals = new float[n * o.GoalWidth],
                DesiredGoals = new float[n * o.GoalWidth],
            });
        }
    }
}
