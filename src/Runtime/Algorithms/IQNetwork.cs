using System;
using Mtrl.Kernels;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// A network with one Q value per discrete action, as value-based algorithms use it. Generated
/// <c>q_values</c> networks implement it; so can a hand-composed one.
/// </summary>
public interface IQNetwork
{
    /// <summary>Largest batch a call may pass.</summary>
    int MaxBatch { get; }

    /// <summary>Floats per observation row the network reads.</summary>
    int ObservationWidth { get; }

    /// <summary>Floats per goal row the network reads (0 without goals).</summary>
    int GoalWidth { get; }

    /// <summary>Number of discrete actions: Q values per row.</summary>
    int ActionCount { get; }

    /// <summary>Q values of every action, Count × ActionCount, valid until the next call.</summary>
    ReadOnlySpan<float> Forward(scoped in NetworkInputs inputs);

    /// <summary>Runs every matrix product with <paramref name="backend"/> on <paramref name="accelerator"/> (null: the default accelerator).</summary>
    void UseGemm(GemmBackend backend, Accelerator? accelerator);

    /// <summary>Back-propagates ∂L/∂Q of the last Forward, accumulating into the parameter store's gradients.</summary>
    void Backward(ReadOnlySpan<float> outputGradient);
}
