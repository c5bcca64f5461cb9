using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// Turns a device vector environment's step into a <see cref="DeviceReplayStep"/> without leaving
/// the device: keeps the observations the actions were taken in, and after the step builds the
/// next observations (the final observation where an episode ended, as Gymnasium's same-step
/// autoreset requires of a replay) and the actions as floats.
/// </summary>
public sealed class DeviceStepAssembler : IDisposable
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _previous;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _next;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _actions;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int> _assemble;

    /// <summary>Buffers for <paramref name="environments"/> envs with observations of <paramref name="observationWidth"/> floats and one discrete action each.</summary>
    /// <param name="device">An open device.</param>
    /// <param name="environments">N, at least 1.</param>
    /// <param name="observationWidth">Floats per observation, at least 1.</param>
    public DeviceStepAssembler(GpuDevice device, int environments, int observationWidth)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(environments, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(observationWidth, 1);
        Environments = environments;
        ObservationWidth = observationWidth;
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        _previous = accelerator.Allocate1D<float>((long)environments * observationWidth);
        _next = accelerator.Allocate1D<float>((long)environments * observationWidth);
        _actions = accelerator.Allocate1D<float>(environments);
        _assemble = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int>(Assemble);
    }

    /// <summary>N.</summary>
    public int Environments { get; }

    /// <summary>Floats per observation.</summary>
    public int ObservationWidth { get; }

    /// <summary>Keeps the observations the next actions will be taken in (a device-to-device copy); call before stepping.</summary>
    /// <param name="observations">The environment's current observations, N × width.</param>
    public void Before(ArrayView<float> observations)
    {
        CheckLength(observations.Length, (long)Environments * ObservationWidth, nameof(observations));
        ArrayView<float> target = _previous.View;
        observations.CopyTo(target);
    }

    /// <summary>The replay step of the step just taken; its views stay valid until the next <see cref="Before"/>.</summary>
    /// <param name="observations">Observations after the step (reset ones for finished envs), N × width.</param>
    /// <param name="finalObservations">Last observations of finished episodes, N × width.</param>
    /// <param name="rewards">N rewards.</param>
    /// <param name="terminated">N flags (0 / 1).</param>
    /// <param name="truncated">N flags (0 / 1).</param>
    /// <param name="actions">The N discrete actions taken.</param>
    /// <param name="taskIds">N task ids.</param>
    public DeviceReplayStep After(
        ArrayView<float> observations, ArrayView<float> finalObservations, ArrayView<float> rewards, ArrayView<float> terminated,
        ArrayView<float> truncated, ArrayView<int> actions, ArrayView<int> taskIds)
    {
        long rows = (long)Environments * ObservationWidth;
        CheckLength(observations.Length, rows, nameof(observations));
        CheckLength(finalObservations.Length, rows, nameof(finalObservations));
        CheckLength(terminated.Length, Environments, nameof(terminated));
        CheckLength(truncated.Length, Environments, nameof(truncated));
        CheckLength(actions.Length, Environments, nameof(actions));
        _assemble(Environments, observations, finalObservations, terminated, truncated, actions, _next.View, _actions.View, ObservationWidth);
        return new DeviceReplayStep
        {
            Observations = _previous.View,
            Actions = _actions.View,
            Rewards = rewards,
            NextObservations = _next.View,
            Terminated = terminated,
            Truncated = truncated,
            TaskIds = taskIds,
        };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _previous.Dispose();
        _next.Dispose();
        _actions.Dispose();
    }

    /// <summary>One thread per env: next observation (final where the episode ended) and the action as a float.</summary>
    internal static void Assemble(
        Index1D env, ArrayView<float> observations, ArrayView<float> finalObservations, ArrayView<float> terminated, ArrayView<float> truncated,
        ArrayView<int> actions, ArrayView<float> next, ArrayView<float> actionFloats, int width)
    {
        bool finished = terminated[env] != 0f || truncated[env] != 0f;
        ArrayView<float> source = finished ? finalObservations : observations;
        for (int k = 0; k < width; k++)
        {
            next[(env * width) + k] = source[(env * width) + k];
        }

        actionFloats[env] = actions[env];
    }

    private static void CheckLength(long actual, long expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"{name} has {actual} elements; it needs {expected}", name);
        }
    }
}
