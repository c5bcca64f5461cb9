using ILGPU;

namespace Mtrl.Kernels.Gpu.Environments;

/// <summary>
/// State, maze tables and outputs of N device GridWorlds: the CPU <c>GridWorldState</c>,
/// <c>GridWorldMaze</c> and <c>StepOutputs</c> with 0 / 1 float flags, plus a fault cell.
/// </summary>
internal struct DeviceGridWorldViews
{
    public ArrayView<int> Cells;
    public ArrayView<int> Steps;
    public ArrayView<uint> Episodes;
    public ArrayView<int> TaskIds;
    public ArrayView<int> Transitions;
    public ArrayView<int> TaskGoals;
    public ArrayView<int> StartCells;
    public ArrayView<int> StartOffsets;
    public ArrayView<float> Observations;
    public ArrayView<float> FinalObservations;
    public ArrayView<float> Rewards;
    public ArrayView<float> Terminated;
    public ArrayView<float> Truncated;

    /// <summary>[0] 1 once a step was refused, [1] the first bad env, [2] its action.</summary>
    public ArrayView<int> Fault;

    public int Width;
    public int Height;
    public int ObservationWidth;

    /// <summary>1 for one-hot observations, 0 for coordinates.</summary>
    public int OneHot;
    public float GoalReward;
    public float StepCost;
    public int MaxSteps;
}
