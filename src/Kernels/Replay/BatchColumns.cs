using System;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// Writable views of a sampled batch, the destination of <see cref="TransitionGather"/>: the same
/// fields and widths as <see cref="TransitionColumns"/>, one row per sample, with the flags widened
/// to floats (0 or 1) because the learner multiplies by them in its targets.
/// </summary>
/// <remarks>
/// A field of a compact column (<see cref="ColumnElementType.UInt8"/> or <see cref="ColumnElementType.Bit"/>)
/// can be written in two forms, each only when its span is not empty: decoded into the float span,
/// and copied in the stored encoding into the <c>Encoded…</c> span (rows of
/// <see cref="ColumnEncoding.RowBytes"/> bytes). Float32 columns fill the float spans only.
/// </remarks>
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

    /// <summary>Observations in their stored encoding (rows of the table's observation row bytes), or empty.</summary>
    public Span<byte> EncodedObservations { get; init; }

    /// <summary>Observations after the step in their stored encoding, or empty.</summary>
    public Span<byte> EncodedNextObservations { get; init; }

    /// <summary>Achieved goals in their stored encoding, or empty.</summary>
    public Span<byte> EncodedAchievedGoals { get; init; }

    /// <summary>Next achieved goals in their stored encoding, or empty; an <see cref="IBitGoalReward"/> compares these with <see cref="EncodedDesiredGoals"/>.</summary>
    public Span<byte> EncodedNextAchievedGoals { get; init; }

    /// <summary>Desired goals (after relabeling) in their stored encoding, or empty.</summary>
    public Span<byte> EncodedDesiredGoals { get; init; }

    /// <summary>The storage slot each row was gathered from.</summary>
    public Span<int> Slots { get; init; }
}
