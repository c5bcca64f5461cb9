using ILGPU;

namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>A sampled batch as kernels see it, the device form of the CPU <c>BatchColumns</c> (float fields only).</summary>
internal struct DeviceBatchViews
{
    public ArrayView<float> Observations;
    public ArrayView<float> NextObservations;
    public ArrayView<float> Actions;
    public ArrayView<float> Rewards;
    public ArrayView<float> Terminated;
    public ArrayView<float> Truncated;
    public ArrayView<int> TaskIds;
    public ArrayView<float> AchievedGoals;
    public ArrayView<float> NextAchievedGoals;
    public ArrayView<float> DesiredGoals;
    public ArrayView<int> Slots;
    public ArrayView<int> GoalSlots;
    public ArrayView<float> Weights;
}
