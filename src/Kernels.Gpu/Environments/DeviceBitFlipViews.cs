using ILGPU;

namespace Mtrl.Kernels.Gpu.Environments;

/// <summary>State and outputs of N device BitFlip(n) environments, the CPU <c>BitFlipState</c>, <c>StepOutputs</c> and <c>GoalOutputs</c> with 0 / 1 float flags.</summary>
internal struct DeviceBitFlipViews
{
    public ArrayView<ulong> States;
    public ArrayView<ulong> Goals;
    public ArrayView<int> Steps;
    public ArrayView<uint> Episodes;
    public ArrayView<float> Observations;
    public ArrayView<float> FinalObservations;
    public ArrayView<float> Rewards;
    public ArrayView<float> Terminated;
    public ArrayView<float> Truncated;
    public ArrayView<float> AchievedGoals;
    public ArrayView<float> DesiredGoals;
    public ArrayView<float> FinalAchievedGoals;
    public ArrayView<float> FinalDesiredGoals;
    public int Bits;
    public int MaxSteps;
}
