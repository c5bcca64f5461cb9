using System;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// The extra output spans of goal-conditioned environments (N rows of goal-width floats each),
/// which hindsight relabeling needs beside the observation: the goal the state achieves and the
/// goal the episode asks for, plus both as they were at the end of a finished episode.
/// </summary>
public readonly ref struct GoalOutputs
{
    /// <summary>Bundles the goal output spans of one step.</summary>
    /// <param name="achievedGoals">N × goal width goals achieved by the current state (after any autoreset).</param>
    /// <param name="desiredGoals">N × goal width goals of the current episode (after any autoreset).</param>
    /// <param name="finalAchievedGoals">N × goal width achieved goals at the end of finished episodes.</param>
    /// <param name="finalDesiredGoals">N × goal width desired goals of finished episodes.</param>
    public GoalOutputs(Span<float> achievedGoals, Span<float> desiredGoals, Span<float> finalAchievedGoals, Span<float> finalDesiredGoals)
    {
        AchievedGoals = achievedGoals;
        DesiredGoals = desiredGoals;
        FinalAchievedGoals = finalAchievedGoals;
        FinalDesiredGoals = finalDesiredGoals;
    }

    /// <summary>Goal achieved by each environment's current state; for finished environments that of the new episode's first state.</summary>
    public Span<float> AchievedGoals { get; }

    /// <summary>Goal of each environment's current episode; for finished environments the new episode's goal.</summary>
    public Span<float> DesiredGoals { get; }

    /// <summary>Achieved goal of the last state of a finished episode (rows of unfinished environments untouched).</summary>
    public Span<float> FinalAchievedGoals { get; }

    /// <summary>Desired goal of a finished episode (rows of unfinished environments untouched).</summary>
    public Span<float> FinalDesiredGoals { get; }
}
