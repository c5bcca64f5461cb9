using System;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// A goal reward that can also be computed on bit-packed goals (<see cref="ColumnElementType.Bit"/>
/// rows), with exactly the result <see cref="IGoalReward.Compute"/> gives on the decoded floats. A
/// buffer whose goals are stored as bits uses it for relabeled rows: comparing a few packed bytes
/// per row instead of a row of floats.
/// </summary>
public interface IBitGoalReward : IGoalReward
{
    /// <summary>Writes one reward (and, if <see cref="IGoalReward.DefinesTermination"/>, one 0/1 termination flag) per row.</summary>
    /// <param name="achievedGoals">Achieved goals after the step, rows × ⌈goalWidth / 8⌉ packed bytes.</param>
    /// <param name="desiredGoals">Desired goals, rows × ⌈goalWidth / 8⌉ packed bytes.</param>
    /// <param name="goalWidth">Bits per goal.</param>
    /// <param name="rewards">One reward per row, overwritten.</param>
    /// <param name="terminated">One flag per row (1 = terminated), overwritten only when <see cref="IGoalReward.DefinesTermination"/>.</param>
    void ComputePacked(ReadOnlySpan<byte> achievedGoals, ReadOnlySpan<byte> desiredGoals, int goalWidth, Span<float> rewards, Span<float> terminated);
}
