using System;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// Writable views of a sampled batch, the destination of <see cref="TransitionGather"/>: the same
/// fields and widths as <see cref="TransitionColumns"/>, one row per sample, with the flags widened
/// to floats (0 or 1) because the learner multiplies by them in its targets. Observations and goals
/// are always float rows, whatever their storage type: compact columns are decoded on the gather.
/// </summary>
public readonly ref struct BatchColumns
{
    /// <summary>Observations before the step, rows × observation width.</summary>
    public Span<float> Observations { get; init; }

    /// <summary>Observations after the step, rows × observation width.</summary>
    public Span<float> NextObservations { get; init; }

    /// <summary>Continuous actions; empty for discrete actions.</summary>
    public Span<float> Actions { get; init; }

    /// <summary>Discrete actions; empty for continuous actions.</summary>
    public Span<int> DiscreteActions { get; init; }

    /// <summary>One reward per row.</summary>
    public Span<float> Rewards { get; init; }

    /// <summary>One termination flag per row, 0 or 1.</summary>
    public Span<float> Terminated { get; init; }

    /// <summary>One truncation flag per row, 0 or 1.</summary>
    public Span<float> Truncated { get; init; }

    /// <summary>One task id per row.</summary>
    public Span<int> TaskIds { get; init; }

    /// <summary>Achieved goals before the step; empty without goals.</summary>
    public Span<float> AchievedGoals { get; init; }

    /// <summary>Achieved goals after the step; empty without goals.</summary>
    public Span<float> NextAchievedGoals { get; init; }

    /// <summary>Desired goals (of both the observation and the next observation); empty without goals.</summary>
    public Span<float> DesiredGoals { get; init; }

    /// <summary>
    /// Bit-packed next achieved goals (rows × ⌈goal width / 8⌉ bytes), written when the table's goals
    /// are <see cref="ColumnElementType.Bit"/> so an <see cref="IBitGoalReward"/> can compare packed
    /// rows; empty otherwise.
    /// </summary>
    public Span<byte> PackedNextAchievedGoals { get; init; }

    /// <summary>Bit-packed desired goals (after relabeling), like <see cref="PackedNextAchievedGoals"/>.</summary>
    public Span<byte> PackedDesiredGoals { get; init; }

    /// <summary>The storage slot each row was gathered from.</summary>
    public Span<int> Slots { get; init; }
}
