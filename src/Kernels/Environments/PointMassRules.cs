using System;
using System.Runtime.CompilerServices;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// The per-environment rules of PointMass shared by its reset, step and goal-reward kernels:
/// episode start, observation layout and the goal reward.
/// </summary>
/// <remarks>
/// An episode draws from block 0 of its random stream: start x, y uniform in the task's start
/// square (words 0, 1) and goal x, y uniform in the task's goal square (words 2, 3); velocity
/// starts at zero. Observation = (x, y, vx, vy), followed by the goal (gx, gy) when the goal is
/// in the observation; achieved goal = (x, y); desired goal = the goal.
/// </remarks>
public static class PointMassRules
{
    /// <summary>Observation width: position and velocity.</summary>
    public const int ObservationSize = 4;

    /// <summary>Observation width with the goal in the observation: position, velocity and goal.</summary>
    public const int ObservationWithGoalSize = 6;

    /// <summary>Goal width: a 2-D position.</summary>
    public const int GoalSize = 2;

    /// <summary>Draws start position and goal of episode <paramref name="episode"/> of environment <paramref name="env"/>.</summary>
    /// <param name="state">State of all environments; only element <paramref name="env"/> is written.</param>
    /// <param name="task">The environment's task.</param>
    /// <param name="seed">Seed of the last full reset.</param>
    /// <param name="env">Environment index (the RNG stream).</param>
    /// <param name="episode">Episode index of the environment.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StartEpisode(PointMassState state, in PointMassTask task, ulong seed, int env, uint episode)
    {
        PhiloxBlock block = EnvironmentRandom.Block(seed, env, episode, 0);
        state.PositionX[env] = EnvironmentRandom.Uniform(block.X0, task.StartX - task.StartHalfWidth, task.StartX + task.StartHalfWidth);
        state.PositionY[env] = EnvironmentRandom.Uniform(block.X1, task.StartY - task.StartHalfWidth, task.StartY + task.StartHalfWidth);
        state.GoalX[env] = EnvironmentRandom.Uniform(block.X2, task.GoalX - task.GoalHalfWidth, task.GoalX + task.GoalHalfWidth);
        state.GoalY[env] = EnvironmentRandom.Uniform(block.X3, task.GoalY - task.GoalHalfWidth, task.GoalY + task.GoalHalfWidth);
        state.VelocityX[env] = 0f;
        state.VelocityY[env] = 0f;
        state.Steps[env] = 0;
        state.Episodes[env] = episode;
    }

    /// <summary>Observation width: <see cref="ObservationWithGoalSize"/> with the goal in the observation, else <see cref="ObservationSize"/>.</summary>
    /// <param name="goalInObservation">Whether the observation ends with the goal.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ObservationWidth(bool goalInObservation) => goalInObservation ? ObservationWithGoalSize : ObservationSize;

    /// <summary>Writes environment <paramref name="env"/>'s observation row and goal rows.</summary>
    /// <param name="state">State of all environments.</param>
    /// <param name="env">Environment index.</param>
    /// <param name="goalInObservation">Whether the observation row ends with the goal (6 wide) or not (4 wide).</param>
    /// <param name="observations">N × 4 or N × 6 observations.</param>
    /// <param name="achievedGoals">N × 2 achieved goals.</param>
    /// <param name="desiredGoals">N × 2 desired goals.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(
        PointMassState state, int env, bool goalInObservation, Span<float> observations, Span<float> achievedGoals, Span<float> desiredGoals)
    {
        int width = ObservationWidth(goalInObservation);
        Span<float> row = observations.Slice(env * width, width);
        row[0] = state.PositionX[env];
        row[1] = state.PositionY[env];
        row[2] = state.VelocityX[env];
        row[3] = state.VelocityY[env];
        if (goalInObservation)
        {
            row[4] = state.GoalX[env];
            row[5] = state.GoalY[env];
        }

        achievedGoals[env * GoalSize] = state.PositionX[env];
        achievedGoals[env * GoalSize + 1] = state.PositionY[env];
        desiredGoals[env * GoalSize] = state.GoalX[env];
        desiredGoals[env * GoalSize + 1] = state.GoalY[env];
    }

    /// <summary>Euclidean distance between an achieved and a desired goal.</summary>
    /// <param name="achievedX">Achieved x.</param>
    /// <param name="achievedY">Achieved y.</param>
    /// <param name="desiredX">Desired x.</param>
    /// <param name="desiredY">Desired y.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Distance(float achievedX, float achievedY, float desiredX, float desiredY)
    {
        float dx = achievedX - desiredX;
        float dy = achievedY - desiredY;
        return MathF.Sqrt(dx * dx + dy * dy);
    }

    /// <summary>Whether a distance counts as reaching the goal.</summary>
    /// <param name="distance">Distance to the goal.</param>
    /// <param name="parameters">Settings holding the success radius.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsSuccess(float distance, in PointMassStepParameters parameters) => distance <= parameters.SuccessRadius;

    /// <summary>Reward for ending a step at <paramref name="distance"/> from the goal: sparse (0 / −1) or dense (−distance).</summary>
    /// <param name="distance">Distance to the goal.</param>
    /// <param name="parameters">Settings holding the reward form and success radius.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reward(float distance, in PointMassStepParameters parameters)
        => parameters.SparseReward ? (IsSuccess(distance, parameters) ? 0f : -1f) : -distance;
}
