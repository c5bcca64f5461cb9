using System;
using System.Threading;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>
/// What a host drives of a device training loop, whatever the algorithm: step it, train it to a
/// transition count, and read its counters. The loop's state stays on the device.
/// </summary>
public interface IDeviceTraining : IDisposable
{
    /// <summary>Collection, replay, episode log and schedule.</summary>
    DeviceOffPolicyLoop Loop { get; }

    /// <summary>Transitions collected so far, over all environments.</summary>
    long Transitions { get; }

    /// <summary>Gradient updates made so far.</summary>
    long Updates { get; }

    /// <summary>The transition count <see cref="Train"/> reaches by default: the options' steps.</summary>
    long TargetTransitions { get; }

    /// <summary>One vector step and the updates that fall due; all launches, no reads.</summary>
    void Step();

    /// <summary>Steps until <see cref="Transitions"/> reaches <paramref name="transitions"/> (default <see cref="TargetTransitions"/>) or cancellation.</summary>
    void Train(long? transitions = null, CancellationToken cancellation = default);
}
