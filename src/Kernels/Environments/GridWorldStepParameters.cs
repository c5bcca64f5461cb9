namespace Mtrl.Kernels.Environments;

/// <summary>The settings GridWorld kernels need besides the maze: rewards, time limit and observation encoding.</summary>
/// <param name="GoalReward">Reward for the step that enters the goal cell (the episode then terminates).</param>
/// <param name="StepCost">Subtracted on every other step (0 for the plain sparse task).</param>
/// <param name="MaxEpisodeSteps">Episode length at which an episode is truncated.</param>
/// <param name="Observation">Observation encoding.</param>
public readonly record struct GridWorldStepParameters(float GoalReward, float StepCost, int MaxEpisodeSteps, GridObservationKind Observation);
