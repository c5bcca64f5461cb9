using ILGPU;

namespace Mtrl.Kernels.Gpu.Environments;

/// <summary>
/// State, per-env physics ranges and step outputs of N device CartPoles, as kernels see them: the
/// CPU <c>CartPoleState</c> and <c>StepOutputs</c>, with flags as floats (0 / 1) so they feed a
/// <see cref="Replay.DeviceReplayStep"/> directly.
/// </summary>
internal struct DeviceCartPoleViews
{
    public ArrayView<float> X;
    public ArrayView<float> XDot;
    public ArrayView<float> Theta;
    public ArrayView<float> ThetaDot;
    public ArrayView<int> Steps;
    public ArrayView<uint> Episodes;
    public ArrayView<float> ForceMagnitude;
    public ArrayView<float> MassPole;
    public ArrayView<float> TotalMass;
    public ArrayView<float> HalfPoleLength;
    public ArrayView<float> PoleMassLength;

    /// <summary>Per env 8 floats: low and high of cart mass, pole mass, half pole length, force magnitude.</summary>
    public ArrayView<float> Ranges;

    public ArrayView<float> Observations;
    public ArrayView<float> FinalObservations;
    public ArrayView<float> Rewards;
    public ArrayView<float> Terminated;
    public ArrayView<float> Truncated;
}
