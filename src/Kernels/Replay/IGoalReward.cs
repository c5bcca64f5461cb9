using System;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// An environment's goal reward in bulk (Gymnasium-robotics' <c>compute_reward</c>): the reward,
/// and optionally the termination, of reaching given achieved goals when aiming at given desired
/// goals. Hindsight relabeling changes a transition's goal, so its reward must be recomputed; doing
/// it for all relabeled rows in one call keeps the cost a single pass over the batch.
/// </summary>
/// <remarks>
/// Implement it on a struct for the JIT to specialise callers, or on the environment class itself.
/// Rows are row-major: row i of <c>achievedGoals</c> is elements [i·goalWidth, (i+1)·goalWidth).
/// </remarks>
public interface IGoalReward
{
    /// <summary>
    /// True when reaching the goal ends the episode (BitFlip terminates on success), so relabeled
    /// rows also get a recomputed termination flag; false leaves the stored flag (SB3's behaviour).
    /// </summary>
    bool DefinesTermination { get; }

    /// <summary>Writes one reward (and, if <see cref="DefinesTermination"/>, one 0/1 termination flag) per row.</summary>
    /// <param name="achievedGoals">Achieved goals after the step, rows × goalWidth.</param>
    /// <param name="desiredGoals">Desired goals, rows × goalWidth.</param>
    /// <param name="goalWidth">Floats per goal.</param>
    /// <param name="rewards">One reward per row, overwritten.</param>
    /// <param name="terminated">One flag per row (1 = terminated), overwritten only when <see cref="DefinesTermination"/>.</param>
    void Compute(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, int goalWidth, Span<float> rewards, Span<float> terminated);
}
