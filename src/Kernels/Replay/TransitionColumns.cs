using System;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// Read-only views of a transition table stored struct-of-arrays: one flat span per field, row s
/// of a field of width w at elements [s·w, (s+1)·w). Kernels take the table as spans so they stay
/// free of the objects that own it, and so a GPU backend could receive the same views.
/// </summary>
/// <remarks>
/// Optional fields are empty spans: <see cref="Actions"/> or <see cref="DiscreteActions"/> (one
/// of them), and the three goal fields when <see cref="GoalWidth"/> is 0. Observations and goals
/// are stored either as floats (the float spans) or compactly (the <c>Encoded…</c> spans, rows of
/// <see cref="ColumnEncoding.RowBytes"/> bytes), as <see cref="ObservationElementType"/> and
/// <see cref="GoalElementType"/> say; the other representation's spans are empty.
/// </remarks>
public readonly ref struct TransitionColumns
{
    /// <summary>Observations before the step, slots × <see cref="ObservationWidth"/>.</summary>
    public ReadOnlySpan<float> Observations { get; init; }

    /// <summary>Observations after the step, slots × <see cref="ObservationWidth"/>.</summary>
    public ReadOnlySpan<float> NextObservations { get; init; }

    /// <summary>Continuous actions, slots × <see cref="ActionWidth"/>; empty for discrete actions.</summary>
    public ReadOnlySpan<float> Actions { get; init; }

    /// <summary>Discrete actions, slots × <see cref="ActionWidth"/>; empty for continuous actions.</summary>
    public ReadOnlySpan<int> DiscreteActions { get; init; }

    /// <summary>One reward per slot.</summary>
    public ReadOnlySpan<float> Rewards { get; init; }

    /// <summary>One termination flag per slot (0 or 1), bytes to keep ten million of them small.</summary>
    public ReadOnlySpan<byte> Terminated { get; init; }

    /// <summary>One truncation flag per slot (0 or 1).</summary>
    public ReadOnlySpan<byte> Truncated { get; init; }

    /// <summary>The task each slot's episode belongs to.</summary>
    public ReadOnlySpan<int> TaskIds { get; init; }

    /// <summary>Achieved goals before the step, slots × <see cref="GoalWidth"/>.</summary>
    public ReadOnlySpan<float> AchievedGoals { get; init; }

    /// <summary>Achieved goals after the step, slots × <see cref="GoalWidth"/>; HER takes new goals from here.</summary>
    public ReadOnlySpan<float> NextAchievedGoals { get; init; }

    /// <summary>Desired goals, slots × <see cref="GoalWidth"/>.</summary>
    public ReadOnlySpan<float> DesiredGoals { get; init; }

    /// <summary>Observations before the step when stored compactly, slots × observation row bytes.</summary>
    public ReadOnlySpan<byte> EncodedObservations { get; init; }

    /// <summary>Observations after the step when stored compactly, slots × observation row bytes.</summary>
    public ReadOnlySpan<byte> EncodedNextObservations { get; init; }

    /// <summary>Achieved goals before the step when stored compactly, slots × goal row bytes.</summary>
    public ReadOnlySpan<byte> EncodedAchievedGoals { get; init; }

    /// <summary>Achieved goals after the step when stored compactly, slots × goal row bytes.</summary>
    public ReadOnlySpan<byte> EncodedNextAchievedGoals { get; init; }

    /// <summary>Desired goals when stored compactly, slots × goal row bytes.</summary>
    public ReadOnlySpan<byte> EncodedDesiredGoals { get; init; }

    /// <summary>How both observation fields are stored; <see cref="ColumnElementType.Float32"/> uses the float spans.</summary>
    public ColumnElementType ObservationElementType { get; init; }

    /// <summary>How the three goal fields are stored; <see cref="ColumnElementType.Float32"/> uses the float spans.</summary>
    public ColumnElementType GoalElementType { get; init; }

    /// <summary>
    /// Optional copy of every slot's fields as one record per slot (<see cref="RecordLayout"/>,
    /// record s at bytes [s·stride, (s+1)·stride)); empty when the table keeps none. When present it
    /// must agree with the columns and <see cref="EpisodeIndex"/>, and the gathers read it instead of
    /// the columns: one cache line per sampled slot instead of one per field.
    /// </summary>
    public ReadOnlySpan<byte> SlotRecords { get; init; }

    /// <summary>Layout of <see cref="SlotRecords"/>; ignored when they are empty.</summary>
    public SlotRecordLayout RecordLayout { get; init; }

    /// <summary>Elements per observation.</summary>
    public int ObservationWidth { get; init; }

    /// <summary>Elements per action.</summary>
    public int ActionWidth { get; init; }

    /// <summary>Elements per goal; 0 when the table has no goals.</summary>
    public int GoalWidth { get; init; }
}
