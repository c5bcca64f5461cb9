using System;
using System.Numerics.Tensors;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// The sparse goal reward most goal environments use: 0 when the achieved goal lies within
/// <see cref="Threshold"/> (Euclidean distance) of the desired goal, −1 otherwise. Threshold 0 is
/// BitFlip's exact match; 0.05 is the Fetch tasks' tolerance. Optionally success terminates.
/// </summary>
public readonly struct ThresholdGoalReward : IGoalReward
{
    /// <summary>Creates the reward.</summary>
    /// <param name="threshold">Largest distance that still counts as success; finite and at least 0.</param>
    /// <param name="terminateOnSuccess">Whether success ends the episode (true for BitFlip).</param>
    public ThresholdGoalReward(float threshold, bool terminateOnSuccess)
    {
        if (!(threshold >= 0f) || float.IsInfinity(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be a finite number ≥ 0");
        }

        Threshold = threshold;
        DefinesTermination = terminateOnSuccess;
    }

    /// <summary>Largest Euclidean distance counted as reaching the goal.</summary>
    public float Threshold { get; }

    /// <inheritdoc />
    public bool DefinesTermination { get; }

    /// <inheritdoc />
    public void Compute(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, int goalWidth, Span<float> rewards, Span<float> terminated)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(goalWidth, 1);
        int rows = rewards.Length;
        if (achievedGoals.Length < rows * goalWidth || desiredGoals.Length < rows * goalWidth)
        {
            throw new ArgumentException($"goal spans must hold {rows} rows of {goalWidth} floats", nameof(achievedGoals));
        }

        if (DefinesTermination && terminated.Length < rows)
        {
            throw new ArgumentException($"terminated must hold {rows} flags", nameof(terminated));
        }

        for (int i = 0; i < rows; i++)
        {
            // Euclidean distance as numpy.linalg.norm computes it (SIMD in TensorPrimitives).
            float distance = TensorPrimitives.Distance(achievedGoals.Slice(i * goalWidth, goalWidth), desiredGoals.Slice(i * goalWidth, goalWidth));
            bool success = distance <= Threshold;
            rewards[i] = success ? 0f : -1f;
            if (DefinesTermination)
            {
                terminated[i] = success ? 1f : 0f;
            }
        }
    }
}
