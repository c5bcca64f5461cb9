using System;
using Mtrl.Kernels.Environments;

namespace Mtrl.Runtime.Environments;

/// <summary>Settings of <see cref="GridWorldVectorEnvironment"/>: map and tasks, observation encoding, rewards and time limit.</summary>
public sealed record GridWorldOptions
{
    /// <summary>Map and task goals; default: the four-room map with one goal per room.</summary>
    public GridWorldLayout Layout { get; init; } = GridWorldLayout.FourRooms();

    /// <summary>One-hot cell (tabular agents, width × height floats) or normalized (row, column).</summary>
    public GridObservationKind Observation { get; init; } = GridObservationKind.OneHot;

    /// <summary>Reward for entering the goal cell (which terminates the episode).</summary>
    public float GoalReward { get; init; } = 1f;

    /// <summary>Cost subtracted on every step that does not reach the goal (0 = none).</summary>
    public float StepCost { get; init; }

    /// <summary>Steps after which an episode is truncated.</summary>
    public int MaxEpisodeSteps { get; init; } = 100;

    /// <summary>Throws if a setting is out of its range, naming it and the range.</summary>
    public void Validate()
    {
        if (Layout is null)
        {
            throw new ArgumentNullException(nameof(Layout));
        }

        if (!Enum.IsDefined(Observation))
        {
            throw new ArgumentOutOfRangeException(nameof(Observation), Observation, "must be OneHot or Coordinates");
        }

        if (!float.IsFinite(GoalReward))
        {
            throw new ArgumentOutOfRangeException(nameof(GoalReward), GoalReward, "must be finite");
        }

        if (!(StepCost >= 0f && float.IsFinite(StepCost)))
        {
            throw new ArgumentOutOfRangeException(nameof(StepCost), StepCost, "must be finite and at least 0");
        }

        if (MaxEpisodeSteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxEpisodeSteps), MaxEpisodeSteps, "must be at least 1");
        }
    }

    /// <summary>The settings in the form the kernels take (public so a device back end can use them).</summary>
    public GridWorldStepParameters StepParameters() => new(GoalReward, StepCost, MaxEpisodeSteps, Observation);
}
