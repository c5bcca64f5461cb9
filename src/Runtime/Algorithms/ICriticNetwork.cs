using System;
using System.Collections.Generic;
using Mtrl.Kernels;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// A state-action value Q(s, a) over continuous actions, as actor-critic algorithms use it: it
/// also returns ∂L/∂a, through which the actor learns. Generated <c>q_values</c> networks that
/// read the action implement it.
/// </summary>
public interface ICriticNetwork
{
    /// <summary>Largest batch a call may pass.</summary>
    int MaxBatch { get; }

    /// <summary>Floats per observation row the network reads.</summary>
    int ObservationWidth { get; }

    /// <summary>Floats per goal row the network reads (0 without goals).</summary>
    int GoalWidth { get; }

    /// <summary>Action dimensions d.</summary>
    int ActionSize { get; }

    /// <summary>The slices <see cref="Backward"/> accumulates gradients into: the ones this network's loss trains.</summary>
    IReadOnlyList<ParameterSlice> TrainedSlices { get; }

    /// <summary>Q(s, a) for every row (one value each), valid until the next call.</summary>
    ReadOnlySpan<float> Forward(scoped in NetworkInputs inputs, ReadOnlySpan<float> actions);

    /// <summary>Back-propagates ∂L/∂Q of the last Forward, accumulating parameter gradients and writing <see cref="ActionGradient"/>.</summary>
    void Backward(ReadOnlySpan<float> outputGradient);

    /// <summary>∂L/∂a of the last Backward, rows × d.</summary>
    ReadOnlySpan<float> ActionGradient { get; }

    /// <summary>Runs every matrix product with <paramref name="backend"/> on <paramref name="accelerator"/> (null: the default accelerator).</summary>
    void UseGemm(GemmBackend backend, Accelerator? accelerator);
}
