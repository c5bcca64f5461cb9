using ILGPU;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>A device vector environment with continuous actions: N × <see cref="ActionSize"/> floats in the environment's bounds from a device array per step.</summary>
public interface IDeviceContinuousEnvironment : IDeviceVectorEnvironment
{
    /// <summary>Action dimensions per environment.</summary>
    int ActionSize { get; }

    /// <summary>Each dimension's lower bound (the trainer maps [−1, 1] onto [low, high]).</summary>
    float[] ActionLow { get; }

    /// <summary>Each dimension's upper bound.</summary>
    float[] ActionHigh { get; }

    /// <summary>Steps every environment with its action; finished episodes restart in the same step.</summary>
    /// <param name="actions">N × <see cref="ActionSize"/> actions on the device, env-major.</param>
    void Step(ArrayView<float> actions);
}
