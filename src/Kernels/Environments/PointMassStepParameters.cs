namespace Mtrl.Kernels.Environments;

/// <summary>
/// The settings PointMass kernels need besides the task table: integration step, force scale,
/// arena, success radius, reward form, time limit and observation layout. Shared by all tasks of
/// a vector.
/// </summary>
/// <param name="TimeStep">Seconds per step of the semi-implicit Euler integration.</param>
/// <param name="MaxForce">Force applied for an action component of ±1.</param>
/// <param name="ArenaHalfSize">The point is kept inside [−ArenaHalfSize, ArenaHalfSize]²; hitting a wall stops that velocity component.</param>
/// <param name="SuccessRadius">Success when the distance to the goal is at most this.</param>
/// <param name="SparseReward">True: reward 0 on success and −1 otherwise; false: reward −distance.</param>
/// <param name="TerminateOnSuccess">Whether reaching the goal ends the episode.</param>
/// <param name="MaxEpisodeSteps">Episode length at which an episode is truncated.</param>
/// <param name="GoalInObservation">True: observations are (x, y, vx, vy, gx, gy), 6 wide, for agents without a goal input; false: (x, y, vx, vy).</param>
public readonly record struct PointMassStepParameters(
    float TimeStep, float MaxForce, float ArenaHalfSize, float SuccessRadius,
    bool SparseReward, bool TerminateOnSuccess, int MaxEpisodeSteps, bool GoalInObservation);
