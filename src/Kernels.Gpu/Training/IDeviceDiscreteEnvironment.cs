using ILGPU;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>A device vector environment with discrete actions: N action indices from a device array per step.</summary>
public interface IDeviceDiscreteEnvironment : IDeviceVectorEnvironment
{
    /// <summary>Discrete actions per environment.</summary>
    int ActionCount { get; }

    /// <summary>Steps every environment with its action; finished episodes restart in the same step.</summary>
    /// <param name="actions">N actions on the device, each in [0, <see cref="ActionCount"/>).</param>
    void Step(ArrayView<int> actions);
}
