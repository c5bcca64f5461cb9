using System;
using Mtrl.Kernels.Replay;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// The struct-of-arrays storage of a replay ring: one flat array per field, slot s of a field of
/// width w at elements [s·w, (s+1)·w), slot = row · envs + env. No per-transition objects, so ten
/// million transitions cost exactly their fields' bytes and a row of a vector-env step is one
/// contiguous copy per field.
/// </summary>
internal sealed class TransitionStore
{
    private readonly ReplayBufferOptions _options;

    public TransitionStore(ReplayBufferOptions options)
    {
        _options = options;
        int c = options.Capacity;
        int o = options.ObservationWidth;
        int a = options.ActionWidth;
        int g = options.GoalWidth;

        // Slots are only read after they have been written, so the columns skip zeroing; they are
        // pinned and advised onto huge pages because sampling reads them at random places.
        Observations = HugePageAdvice.Allocate<float>((long)c * o);
        NextObservations = HugePageAdvice.Allocate<float>((long)c * o);
        Actions = options.DiscreteActions ? [] : HugePageAdvice.Allocate<float>((long)c * a);
        DiscreteActions = options.DiscreteActions ? HugePageAdvice.Allocate<int>((long)c * a) : [];
        Rewards = HugePageAdvice.Allocate<float>(c);
        Terminated = HugePageAdvice.Allocate<byte>(c);
        Truncated = HugePageAdvice.Allocate<byte>(c);
        TaskIds = HugePageAdvice.Allocate<int>(c);
        AchievedGoals = HugePageAdvice.Allocate<float>((long)c * g);
        NextAchievedGoals = HugePageAdvice.Allocate<float>((long)c * g);
        DesiredGoals = HugePageAdvice.Allocate<float>((long)c * g);
    }

    public float[] Observations { get; }

    public float[] NextObservations { get; }

    public float[] Actions { get; }

    public int[] DiscreteActions { get; }

    public float[] Rewards { get; }

    public byte[] Terminated { get; }

    public byte[] Truncated { get; }

    public int[] TaskIds { get; }

    public float[] AchievedGoals { get; }

    public float[] NextAchievedGoals { get; }

    public float[] DesiredGoals { get; }

    /// <summary>Read-only views for the kernels.</summary>
    public TransitionColumns Columns => new()
    {
        Observations = Observations,
        NextObservations = NextObservations,
        Actions = Actions,
        DiscreteActions = DiscreteActions,
        Rewards = Rewards,
        Terminated = Terminated,
        Truncated = Truncated,
        TaskIds = TaskIds,
        AchievedGoals = AchievedGoals,
        NextAchievedGoals = NextAchievedGoals,
        DesiredGoals = DesiredGoals,
        ObservationWidth = _options.ObservationWidth,
        ActionWidth = _options.ActionWidth,
        GoalWidth = _options.GoalWidth,
    };

    /// <summary>Writes one vector-env step (already validated) into row <paramref name="row"/>.</summary>
    public void Write(int row, in ReplayStep step)
    {
        int n = _options.EnvCount;
        int first = row * n;
        Copy(step.Observations, Observations, first, _options.ObservationWidth);
        Copy(step.NextObservations, NextObservations, first, _options.ObservationWidth);
        if (_options.DiscreteActions)
        {
            step.DiscreteActions.CopyTo(DiscreteActions.AsSpan(first * _options.ActionWidth));
        }
        else
        {
            Copy(step.Actions, Actions, first, _options.ActionWidth);
        }

        step.Rewards.CopyTo(Rewards.AsSpan(first));
        for (int e = 0; e < n; e++)
        {
            Terminated[first + e] = step.Terminated[e] ? (byte)1 : (byte)0;
            Truncated[first + e] = step.Truncated[e] ? (byte)1 : (byte)0;
        }

        if (step.TaskIds.IsEmpty)
        {
            TaskIds.AsSpan(first, n).Clear();
        }
        else
        {
            step.TaskIds.CopyTo(TaskIds.AsSpan(first));
        }

        int g = _options.GoalWidth;
        if (g > 0)
        {
            Copy(step.AchievedGoals, AchievedGoals, first, g);
            Copy(step.NextAchievedGoals, NextAchievedGoals, first, g);
            Copy(step.DesiredGoals, DesiredGoals, first, g);
        }
    }

    private static void Copy(ReadOnlySpan<float> source, float[] destination, int firstSlot, int width)
        => source.CopyTo(destination.AsSpan(firstSlot * width));
}
