using System;
using System.Collections.Generic;
using Mtrl.Kernels;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// A policy over continuous actions as actor-critic algorithms use it: rows in, the head's raw
/// readout out. Generated <c>gaussian</c> and <c>deterministic</c> networks implement it.
/// </summary>
public interface IPolicyNetwork
{
    /// <summary>Largest batch a call may pass.</summary>
    int MaxBatch { get; }

    /// <summary>Floats per observation row the network reads.</summary>
    int ObservationWidth { get; }

    /// <summary>Floats per goal row the network reads (0 without goals).</summary>
    int GoalWidth { get; }

    /// <summary>Action dimensions d.</summary>
    int ActionSize { get; }

    /// <summary>True for a Gaussian head (readout [μ | log-std], 2d wide); false for a deterministic one (tanh(μ), d wide).</summary>
    bool IsStochastic { get; }

    /// <summary>The slices <see cref="Backward"/> accumulates gradients into: the ones this network's loss trains.</summary>
    IReadOnlyList<ParameterSlice> TrainedSlices { get; }

    /// <summary>The head's readout for every row, valid until the next call.</summary>
    ReadOnlySpan<float> Forward(scoped in NetworkInputs inputs);

    /// <summary>Back-propagates ∂L/∂readout of the last Forward, accumulating into the parameter store's gradients.</summary>
    void Backward(ReadOnlySpan<float> outputGradient);

    /// <summary>Runs every matrix product with <paramref name="backend"/> on <paramref name="accelerator"/> (null: the default accelerator).</summary>
    void UseGemm(GemmBackend backend, Accelerator? accelerator);
}
