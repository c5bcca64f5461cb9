using System;
using Mtrl.Kernels;
using Mtrl.Runtime.Replay;

namespace Mtrl.Runtime.Tests.Replay;

/// <summary>Small buffer shapes shared by the replay tests, and batch poisoning.</summary>
internal static class ReplayTestBuffers
{
    public static ReplayBufferOptions Options(int capacity, int envs, int tasks = 1, bool prioritized = false, bool discrete = false) => new()
    {
        Capacity = capacity,
        EnvCount = envs,
        ObservationWidth = 4,
        ActionWidth = 2,
        DiscreteActions = discrete,
        GoalWidth = 2,
        TaskCount = tasks,
        Prioritized = prioritized,
        Seed = 11,
    };

    public static ReplayBuffer Create(ReplayBufferOptions options, Accelerator? accelerator = null)
        => new(options, accelerator ?? CpuAccelerator.Sequential);

    /// <summary>Fills every batch field with NaN (floats) or int.MinValue (ints), so an element a sampler forgets stays visible.</summary>
    public static void Poison(ReplayBatch batch)
    {
        foreach (float[] array in new[]
        {
            batch.Observations, batch.NextObservations, batch.Actions, batch.Rewards, batch.Terminated, batch.Truncated,
            batch.AchievedGoals, batch.NextAchievedGoals, batch.DesiredGoals, batch.Weights,
        })
        {
            array.AsSpan().Fill(float.NaN);
        }

        foreach (int[] array in new[] { batch.DiscreteActions, batch.TaskIds, batch.Slots, batch.GoalSlots })
        {
            array.AsSpan().Fill(int.MinValue);
        }

        // Encoded fields are checked against the encoding of a reference batch, which random rows never fill with 0xFF.
        foreach (byte[] array in new[]
        {
            batch.EncodedObservations, batch.EncodedNextObservations, batch.EncodedAchievedGoals, batch.EncodedNextAchievedGoals, batch.EncodedDesiredGoals,
        })
        {
            array.AsSpan().Fill(0xFF);
        }
    }

    /// <summary>Asserts no element of the batch is still poisoned.</summary>
    public static void AssertFullyWritten(ReplayBatch batch)
    {
        foreach ((string name, float[] array) in new[]
        {
            ("Observations", batch.Observations), ("NextObservations", batch.NextObservations), ("Actions", batch.Actions),
            ("Rewards", batch.Rewards), ("Terminated", batch.Terminated), ("Truncated", batch.Truncated),
            ("AchievedGoals", batch.AchievedGoals), ("NextAchievedGoals", batch.NextAchievedGoals),
            ("DesiredGoals", batch.DesiredGoals), ("Weights", batch.Weights),
        })
        {
            int index = Array.FindIndex(array, float.IsNaN);
            Xunit.Assert.True(index < 0, $"{name}[{index}] was not written");
        }

        foreach ((string name, int[] array) in new[]
        {
            ("DiscreteActions", batch.DiscreteActions), ("TaskIds", batch.TaskIds), ("Slots", batch.Slots), ("GoalSlots", batch.GoalSlots),
        })
        {
            int index = Array.IndexOf(array, int.MinValue);
            Xunit.Assert.True(index < 0, $"{name}[{index}] was not written");
        }
    }

    /// <summary>Asserts that batch row <paramref name="row"/> holds exactly the stored fields of its slot (for a relabeled row: except desired goal, reward and termination).</summary>
    public static void AssertRowMatchesStorage(ReplayBuffer buffer, ReplayBatch batch, int row, bool relabeled = false)
    {
        ReplayBufferOptions o = buffer.Options;
        int slot = batch.Slots[row];
        TransitionStore s = buffer.Store;
        Same(s.Observations, slot, batch.Observations, row, o.ObservationWidth);
        Same(s.NextObservations, slot, batch.NextObservations, row, o.ObservationWidth);
        if (o.DiscreteActions)
        {
            Xunit.Assert.True(s.DiscreteActions.Slice(slot * o.ActionWidth, o.ActionWidth).SequenceEqual(batch.DiscreteActions.AsSpan(row * o.ActionWidth, o.ActionWidth)));
        }
        else
        {
            Same(s.Actions, slot, batch.Actions, row, o.ActionWidth);
        }

        if (!relabeled)
        {
            Xunit.Assert.Equal(s.Rewards[slot], batch.Rewards[row]);
            Xunit.Assert.Equal(s.Terminated[slot], batch.Terminated[row]);
        }

        Xunit.Assert.Equal(s.Truncated[slot], batch.Truncated[row]);
        Xunit.Assert.Equal(s.TaskIds[slot], batch.TaskIds[row]);
        Same(s.AchievedGoals, slot, batch.AchievedGoals, row, o.GoalWidth);
        Same(s.NextAchievedGoals, slot, batch.NextAchievedGoals, row, o.GoalWidth);
        if (!relabeled)
        {
            Same(s.DesiredGoals, slot, batch.DesiredGoals, row, o.GoalWidth);
        }
    }

    private static void Same(Span<float> storage, int slot, float[] batch, int row, int width) =>
        Xunit.Assert.True(
            storage.Slice(slot * width, width).SequenceEqual(batch.AsSpan(row * width, width)),
            $"row {row} differs from slot {slot}");
}
