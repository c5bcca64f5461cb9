namespace Mtrl.Kernels.Environments;

/// <summary>
/// The hidden parameters and regions of one PointMass task: a member of a hidden-parameter MDP
/// family (mass, friction, wind) plus where episodes start and where goals are drawn. Plain
/// numbers, so a kernel can read a task table without touching any runtime object.
/// </summary>
/// <param name="Mass">Mass of the point (kg); acceleration = force / mass.</param>
/// <param name="Friction">Linear drag coefficient: a force −Friction·v opposes the motion.</param>
/// <param name="WindX">Constant wind force along x.</param>
/// <param name="WindY">Constant wind force along y.</param>
/// <param name="StartX">Centre of the square start region, x.</param>
/// <param name="StartY">Centre of the square start region, y.</param>
/// <param name="StartHalfWidth">Half the side of the start region.</param>
/// <param name="GoalX">Centre of the square goal region, x.</param>
/// <param name="GoalY">Centre of the square goal region, y.</param>
/// <param name="GoalHalfWidth">Half the side of the goal region.</param>
public readonly record struct PointMassTask(
    float Mass, float Friction, float WindX, float WindY,
    float StartX, float StartY, float StartHalfWidth,
    float GoalX, float GoalY, float GoalHalfWidth);
