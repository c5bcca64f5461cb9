using System;
using System.Collections.Generic;
using Mtrl.Kernels.Environments;

namespace Mtrl.Runtime.Environments;

/// <summary>
/// Settings of <see cref="PointMassVectorEnvironment"/>: the task table (default: the fixed
/// <see cref="PointMassTaskSuite.Ten"/>), the dynamics, reward and time limit shared by all
/// tasks, and whether the observation carries the goal.
/// </summary>
public sealed record PointMassOptions
{
    /// <summary>Tasks the environments can run; environment i runs the task given by its task id.</summary>
    public IReadOnlyList<PointMassTask> Tasks { get; init; } = PointMassTaskSuite.Ten;

    /// <summary>Seconds per semi-implicit Euler step.</summary>
    public float TimeStep { get; init; } = 0.1f;

    /// <summary>Force of an action component of ±1.</summary>
    public float MaxForce { get; init; } = 1f;

    /// <summary>Half the side of the square arena centred on the origin.</summary>
    public float ArenaHalfSize { get; init; } = 1f;

    /// <summary>Distance to the goal at or below which the goal counts as reached.</summary>
    public float SuccessRadius { get; init; } = 0.05f;

    /// <summary>True: reward 0 on success and −1 otherwise (for HER); false: reward −distance to the goal.</summary>
    public bool SparseReward { get; init; }

    /// <summary>Whether reaching the goal terminates the episode.</summary>
    public bool TerminateOnSuccess { get; init; } = true;

    /// <summary>Steps after which an episode is truncated.</summary>
    public int MaxEpisodeSteps { get; init; } = 100;

    /// <summary>
    /// True: observations are (x, y, vx, vy, gx, gy), 6 wide, so an agent without a goal input
    /// sees the goal; final observations carry the goal of the finished episode. False (default):
    /// (x, y, vx, vy), with the goal only in the goal buffers (for UVFA agents).
    /// </summary>
    public bool GoalInObservation { get; init; }

    /// <summary>Throws if a setting or task parameter is out of its range, naming it and the range.</summary>
    public void Validate()
    {
        if (Tasks is null || Tasks.Count == 0)
        {
            throw new ArgumentException("must hold at least one task", nameof(Tasks));
        }

        Positive(TimeStep, nameof(TimeStep));
        Positive(MaxForce, nameof(MaxForce));
        Positive(ArenaHalfSize, nameof(ArenaHalfSize));
        Positive(SuccessRadius, nameof(SuccessRadius));
        if (MaxEpisodeSteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxEpisodeSteps), MaxEpisodeSteps, "must be at least 1");
        }

        for (int t = 0; t < Tasks.Count; t++)
        {
            PointMassTask task = Tasks[t];
            Positive(task.Mass, $"{nameof(Tasks)}[{t}].{nameof(PointMassTask.Mass)}");
            NonNegative(task.Friction, $"{nameof(Tasks)}[{t}].{nameof(PointMassTask.Friction)}");
            Finite(task.WindX, $"{nameof(Tasks)}[{t}].{nameof(PointMassTask.WindX)}");
            Finite(task.WindY, $"{nameof(Tasks)}[{t}].{nameof(PointMassTask.WindY)}");
            InsideArena(task.StartX, task.StartY, task.StartHalfWidth, $"{nameof(Tasks)}[{t}] start region");
            InsideArena(task.GoalX, task.GoalY, task.GoalHalfWidth, $"{nameof(Tasks)}[{t}] goal region");
        }
    }

    /// <summary>The shared settings in the form the kernels take.</summary>
    internal PointMassStepParameters StepParameters()
        => new(TimeStep, MaxForce, ArenaHalfSize, SuccessRadius, SparseReward, TerminateOnSuccess, MaxEpisodeSteps, GoalInObservation);

    private void InsideArena(float x, float y, float halfWidth, string name)
    {
        NonNegative(halfWidth, name + " half width");
        Finite(x, name + " centre x");
        Finite(y, name + " centre y");
        if (Math.Abs(x) + halfWidth > ArenaHalfSize || Math.Abs(y) + halfWidth > ArenaHalfSize)
        {
            throw new ArgumentOutOfRangeException(nameof(Tasks), $"{name} must lie inside the arena [-{ArenaHalfSize}, {ArenaHalfSize}]²");
        }
    }

    private static void Positive(float value, string name)
    {
        if (!(value > 0f && float.IsFinite(value)))
        {
            throw new ArgumentOutOfRangeException(name, value, "must be finite and greater than 0");
        }
    }

    private static void NonNegative(float value, string name)
    {
        if (!(value >= 0f && float.IsFinite(value)))
        {
            throw new ArgumentOutOfRangeException(name, value, "must be finite and at least 0");
        }
    }

    private static void Finite(float value, string name)
    {
        if (!float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "must be finite");
        }
    }
}
