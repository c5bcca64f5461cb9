using ILGPU;

namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// The replay's storage as kernels see it: one flat device array per field (slot s of a field of
/// width w at [s·w, (s+1)·w)), the device form of the CPU <c>TransitionColumns</c>. Goal arrays
/// hold one dummy element when the replay has no goals (a view must not be empty on every back end).
/// </summary>
internal struct DeviceRingViews
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
    public int ObservationWidth;
    public int ActionWidth;
    public int GoalWidth;
}
