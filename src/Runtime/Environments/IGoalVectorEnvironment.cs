using System;

namespace Mtrl.Runtime.Environments;

/// <summary>
/// A goal-conditioned vectorized environment (Gymnasium-Robotics' GoalEnv shape): besides the
/// observation it reports the goal the state achieves and the goal the episode asks for, and it
/// recomputes rewards and terminations for arbitrary (achieved, desired) pairs in bulk — what
/// hindsight experience replay needs to relabel a sampled batch.
/// </summary>
/// <remarks>
/// The reward of a step equals <see cref="ComputeReward"/> applied to the step's achieved goal
/// (the final achieved goal if the environment finished) and the episode's desired goal, so
/// relabeled rewards are exactly what the environment would have paid.
/// </remarks>
public interface IGoalVectorEnvironment : IVectorEnvironment
{
    /// <summary>Floats per goal row.</summary>
    int GoalSize { get; }

    /// <summary>Writes the reward for each (achieved, desired) row pair.</summary>
    /// <param name="achievedGoals">B × GoalSize achieved goals.</param>
    /// <param name="desiredGoals">B × GoalSize desired goals.</param>
    /// <param name="rewards">B rewards, overwritten.</param>
    /// <exception cref="ArgumentException">The spans' lengths do not agree on B.</exception>
    void ComputeReward(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, Span<float> rewards);

    /// <summary>Writes whether each (achieved, desired) pair ends the episode as terminal (false for every pair if the environment never terminates on goals).</summary>
    /// <param name="achievedGoals">B × GoalSize achieved goals.</param>
    /// <param name="desiredGoals">B × GoalSize desired goals.</param>
    /// <param name="terminated">B flags, overwritten.</param>
    /// <exception cref="ArgumentException">The spans' lengths do not agree on B.</exception>
    void ComputeTerminated(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, Span<bool> terminated);
}
