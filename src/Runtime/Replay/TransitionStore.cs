using System;
using Mtrl.Kernels.Replay;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// The struct-of-arrays storage of a replay ring: one flat array per field, slot s of a field of
/// width w at elements [s·w, (s+1)·w), slot = row · envs + env. No per-transition objects, so ten
/// million transitions cost exactly their fields' bytes and a row of a vector-env step is one
/// contiguous copy per field. Every field starts on a cache-line boundary (<see cref="PinnedColumn{T}"/>).
/// </summary>
internal sealed class TransitionStore
{
    private readonly ReplayBufferOptions _options;
    private readonly PinnedColumn<float> _observations;
    private readonly PinnedColumn<float> _nextObservations;
    private readonly PinnedColumn<float> _actions;
    private readonly PinnedColumn<int> _discreteActions;
    private readonly PinnedColumn<float> _rewards;
    private readonly PinnedColumn<byte> _terminated;
    private readonly PinnedColumn<byte> _truncated;
    private readonly PinnedColumn<int> _taskIds;
    private readonly PinnedColumn<float> _achievedGoals;
    private readonly PinnedColumn<float> _nextAchievedGoals;
    private readonly PinnedColumn<float> _desiredGoals;

    public TransitionStore(ReplayBufferOptions options)
    {
        _options = options;
        int c = options.Capacity;
        int o = options.ObservationWidth;
        int a = options.ActionWidth;
        int g = options.GoalWidth;

        // Slots are only read after they have been written, so the columns skip zeroing.
        _observations = new PinnedColumn<float>((long)c * o);
        _nextObservations = new PinnedColumn<float>((long)c * o);
        _actions = new PinnedColumn<float>(options.DiscreteActions ? 0 : (long)c * a);
        _discreteActions = new PinnedColumn<int>(options.DiscreteActions ? (long)c * a : 0);
        _rewards = new PinnedColumn<float>(c);
        _terminated = new PinnedColumn<byte>(c);
        _truncated = new PinnedColumn<byte>(c);
        _taskIds = new PinnedColumn<int>(c);
        _achievedGoals = new PinnedColumn<float>((long)c * g);
        _nextAchievedGoals = new PinnedColumn<float>((long)c * g);
        _desiredGoals = new PinnedColumn<float>((long)c * g);
    }

    public Span<float> Observations => _observations.Span;

    public Span<float> NextObservations => _nextObservations.Span;

    public Span<float> Actions => _actions.Span;

    public Span<int> DiscreteActions => _discreteActions.Span;

    public Span<float> Rewards => _rewards.Span;

    public Span<byte> Terminated => _terminated.Span;

    public Span<byte> Truncated => _truncated.Span;

    public Span<int> TaskIds => _taskIds.Span;

    public Span<float> AchievedGoals => _achievedGoals.Span;

    public Span<float> NextAchievedGoals => _nextAchievedGoals.Span;

    public Span<float> DesiredGoals => _desiredGoals.Span;

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
            step.DiscreteActions.CopyTo(DiscreteActions[(first * _options.ActionWidth)..]);
        }
        else
        {
            Copy(step.Actions, Actions, first, _options.ActionWidth);
        }

        step.Rewards.CopyTo(Rewards[first..]);
        Span<byte> terminated = Terminated.Slice(first, n);
        Span<byte> truncated = Truncated.Slice(first, n);
        for (int e = 0; e < n; e++)
        {
            terminated[e] = step.Terminated[e] ? (byte)1 : (byte)0;
            truncated[e] = step.Truncated[e] ? (byte)1 : (byte)0;
        }

        if (step.TaskIds.IsEmpty)
        {
            TaskIds.Slice(first, n).Clear();
        }
        else
        {
            step.TaskIds.CopyTo(TaskIds[first..]);
        }

        int g = _options.GoalWidth;
        if (g > 0)
        {
            Copy(step.AchievedGoals, AchievedGoals, first, g);
            Copy(step.NextAchievedGoals, NextAchievedGoals, first, g);
            Copy(step.DesiredGoals, DesiredGoals, first, g);
        }
    }

    private static void Copy(ReadOnlySpan<float> source, Span<float> destination, int firstSlot, int width)
        => source.CopyTo(destination[(firstSlot * width)..]);
}
