using ILGPU;

namespace Mtrl.Kernels.Gpu.Environments;

/// <summary>
/// State, task table and outputs of N device PointMasses as kernels see them: the CPU
/// <c>PointMassState</c>, <c>StepOutputs</c> and <c>GoalOutputs</c>, with flags as floats (0 / 1),
/// plus the step settings as plain numbers.
/// </summary>
internal struct DevicePointMassViews
{
    public ArrayView<float> PositionX;
    public ArrayView<float> PositionY;
    public ArrayView<float> VelocityX;
    public ArrayView<float> VelocityY;
    public ArrayView<float> GoalX;
    public ArrayView<float> GoalY;
    public ArrayView<int> Steps;
    public ArrayView<uint> Episodes;
    public ArrayView<int> TaskIds;

    /// <summary>Per task 10 floats: mass, friction, wind x, wind y, start x, start y, start half width, goal x, goal y, goal half width.</summary>
    public ArrayView<float> Tasks;

    public ArrayView<float> Observations;
    public ArrayView<float> FinalObservations;
    public ArrayView<float> Rewards;
    public ArrayView<float> Terminated;
    public ArrayView<float> Truncated;
    public ArrayView<float> AchievedGoals;
    public ArrayView<float> DesiredGoals;
    public ArrayView<float> FinalAchievedGoals;
    public ArrayView<float> FinalDesiredGoals;

    public float TimeStep;
    public float MaxForce;
    public float ArenaHalfSize;
    public float SuccessRadius;
    public int SparseReward;
    public int TerminateOnSuccess;
    public int MaxEpisodeSteps;
    public int GoalInObservation;
}
