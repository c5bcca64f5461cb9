using System;
using Mtrl.Kernels;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// A network whose output is a row of features rather than one value per action: a teacher's
/// hidden layer h_E(s), or the student's prediction f_i(h_AMN(s)) of it in Actor-Mimic's feature
/// regression (<see cref="ActorMimicFeatures"/>).
/// </summary>
public interface IFeatureNetwork
{
    /// <summary>Largest batch a call may pass.</summary>
    int MaxBatch { get; }

    /// <summary>Features per row.</summary>
    int Width { get; }

    /// <summary>The features of every row, Count × <see cref="Width"/>, valid until the next call.</summary>
    ReadOnlySpan<float> Forward(scoped in NetworkInputs inputs);

    /// <summary>Runs every matrix product with <paramref name="backend"/> on <paramref name="accelerator"/> (null: the default accelerator).</summary>
    void UseGemm(GemmBackend backend, Accelerator? accelerator);

    /// <summary>Back-propagates ∂L/∂features of the last Forward, accumulating into the parameter store's gradients (never called on a teacher).</summary>
    void Backward(ReadOnlySpan<float> outputGradient);
}
