using System.Collections.Generic;
using Mtrl.Kernels.Environments;

namespace Mtrl.Runtime.Environments;

/// <summary>
/// The fixed PointMass task suites, so multi-task results are comparable across runs and papers
/// using this toolkit. See docs/environments.md for the table.
/// </summary>
public static class PointMassTaskSuite
{
    private const float StartHalfWidth = 0.1f;
    private const float GoalHalfWidth = 0.1f;

    /// <summary>
    /// Ten tasks of a hidden-parameter family: every task starts in the square of half width 0.1
    /// around the origin and draws its goal from its own square of half width 0.1 centred on a
    /// ring of radius 0.7 (task t at angle 36°·t, so goal regions are disjoint); masses range
    /// 0.5–2, friction 0.1–1.5, and four tasks feel a constant wind of up to 0.32 (below the
    /// maximum force of 1, so every goal stays reachable).
    /// </summary>
    public static IReadOnlyList<PointMassTask> Ten { get; } =
    [
        Task(mass: 1.0f, friction: 0.5f, windX: 0.0f, windY: 0.0f, goalX: 0.700f, goalY: 0.000f),
        Task(mass: 0.5f, friction: 0.5f, windX: 0.0f, windY: 0.0f, goalX: 0.566f, goalY: 0.411f),
        Task(mass: 2.0f, friction: 0.5f, windX: 0.0f, windY: 0.0f, goalX: 0.216f, goalY: 0.666f),
        Task(mass: 1.0f, friction: 0.1f, windX: 0.0f, windY: 0.0f, goalX: -0.216f, goalY: 0.666f),
        Task(mass: 1.0f, friction: 1.5f, windX: 0.0f, windY: 0.0f, goalX: -0.566f, goalY: 0.411f),
        Task(mass: 1.0f, friction: 0.5f, windX: 0.3f, windY: 0.0f, goalX: -0.700f, goalY: 0.000f),
        Task(mass: 1.0f, friction: 0.5f, windX: 0.0f, windY: -0.3f, goalX: -0.566f, goalY: -0.411f),
        Task(mass: 1.5f, friction: 0.2f, windX: -0.2f, windY: 0.2f, goalX: -0.216f, goalY: -0.666f),
        Task(mass: 0.7f, friction: 1.0f, windX: 0.2f, windY: 0.2f, goalX: 0.216f, goalY: -0.666f),
        Task(mass: 1.2f, friction: 0.8f, windX: -0.3f, windY: -0.1f, goalX: 0.566f, goalY: -0.411f),
    ];

    private static PointMassTask Task(float mass, float friction, float windX, float windY, float goalX, float goalY)
        => new(mass, friction, windX, windY, 0f, 0f, StartHalfWidth, goalX, goalY, GoalHalfWidth);
}
