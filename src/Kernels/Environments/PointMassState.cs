using System;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// Struct-of-arrays state of N PointMass environments: position, velocity and goal of each,
/// episode counters, and the task each environment runs.
/// </summary>
public readonly ref struct PointMassState
{
    /// <summary>Bundles the state spans; all have one element per environment.</summary>
    /// <param name="positionX">Positions, x.</param>
    /// <param name="positionY">Positions, y.</param>
    /// <param name="velocityX">Velocities, x.</param>
    /// <param name="velocityY">Velocities, y.</param>
    /// <param name="goalX">Goals of the current episodes, x.</param>
    /// <param name="goalY">Goals of the current episodes, y.</param>
    /// <param name="steps">Steps taken in the current episodes.</param>
    /// <param name="episodes">Episodes started since the last full reset.</param>
    /// <param name="taskIds">Task of each environment (an index into the task table).</param>
    public PointMassState(
        Span<float> positionX, Span<float> positionY, Span<float> velocityX, Span<float> velocityY,
        Span<float> goalX, Span<float> goalY, Span<int> steps, Span<uint> episodes, ReadOnlySpan<int> taskIds)
    {
        PositionX = positionX;
        PositionY = positionY;
        VelocityX = velocityX;
        VelocityY = velocityY;
        GoalX = goalX;
        GoalY = goalY;
        Steps = steps;
        Episodes = episodes;
        TaskIds = taskIds;
    }

    /// <summary>Position, x.</summary>
    public Span<float> PositionX { get; }

    /// <summary>Position, y.</summary>
    public Span<float> PositionY { get; }

    /// <summary>Velocity, x.</summary>
    public Span<float> VelocityX { get; }

    /// <summary>Velocity, y.</summary>
    public Span<float> VelocityY { get; }

    /// <summary>Goal of the current episode, x.</summary>
    public Span<float> GoalX { get; }

    /// <summary>Goal of the current episode, y.</summary>
    public Span<float> GoalY { get; }

    /// <summary>Steps taken in the current episode.</summary>
    public Span<int> Steps { get; }

    /// <summary>Index of the current episode since the last full reset.</summary>
    public Span<uint> Episodes { get; }

    /// <summary>Task each environment runs.</summary>
    public ReadOnlySpan<int> TaskIds { get; }
}
