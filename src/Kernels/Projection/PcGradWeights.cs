using System;
using Mtrl.Contracts;

namespace Mtrl.Kernels;

/// <summary>
/// PCGrad on the Gram matrix: the whole projection, done in float64 over T×T numbers instead of
/// T×P ones. Every running g_i' stays a linear combination Σ_k A[i, k]·g_k of the original
/// gradients, so its dot with an original g_j is Σ_k A[i, k]·G[k, j], and the reduced result is
/// Σ_k w_k·g_k with w_k = Σ_i A[i, k] (÷ T for the mean).
/// </summary>
/// <remarks>
/// Semantics (Yu et al. 2020, Algorithm 1): for each task i, start from g_i' = g_i; for each j in
/// row i of the orders, if g_i'·g_j &lt; 0 then g_i' ← g_i' − (g_i'·g_j / ‖g_j‖²)·g_j, against
/// the ORIGINAL g_j. A task never projects against itself, and a zero g_j (‖g_j‖ = 0, so the
/// dot is 0) never triggers a projection.
/// </remarks>
public static class PcGradWeights
{
    /// <summary>Derives the coefficient matrix A and the combination weights w from the Gram matrix.</summary>
    /// <param name="gram">T×T Gram matrix G[i, j] = g_i·g_j, row-major.</param>
    /// <param name="taskCount">T ≥ 1.</param>
    /// <param name="orders">T×(T−1) visiting orders (see <see cref="PcGradOrders"/>); validated.</param>
    /// <param name="reduction">Sum or mean of the projected task gradients.</param>
    /// <param name="coefficients">T×T output A, row-major: projected g_i' = Σ_k A[i, k]·g_k.</param>
    /// <param name="weights">T outputs w with result = Σ_k w_k·g_k.</param>
    /// <returns>How many projections were applied (0 when no pair of tasks conflicts).</returns>
    public static int Compute(
        ReadOnlySpan<double> gram, int taskCount, ReadOnlySpan<int> orders, GradientReduction reduction,
        Span<double> coefficients, Span<double> weights)
    {
        if (taskCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(taskCount), taskCount, "taskCount must be at least 1.");
        }

        ProjectionArguments.CheckSquare(gram.Length, taskCount, nameof(gram));
        ProjectionArguments.CheckSquare(coefficients.Length, taskCount, nameof(coefficients));
        ProjectionArguments.CheckPerTask(weights.Length, taskCount, nameof(weights));
        ProjectionArguments.CheckReduction(reduction);
        PcGradOrders.Validate(orders, taskCount);
        return ComputeUnchecked(gram, taskCount, orders, reduction, coefficients, weights);
    }

    /// <summary>The derivation for validated arguments.</summary>
    internal static int ComputeUnchecked(
        ReadOnlySpan<double> gram, int taskCount, ReadOnlySpan<int> orders, GradientReduction reduction,
        Span<double> coefficients, Span<double> weights)
    {
        int others = taskCount - 1;
        int projections = 0;
        coefficients.Clear();
        for (int i = 0; i < taskCount; i++)
        {
            Span<double> a = coefficients.Slice(i * taskCount, taskCount);
            a[i] = 1.0;
            for (int s = 0; s < others; s++)
            {
                int j = orders[i * others + s];
                double squaredNorm = gram[j * taskCount + j];
                if (!(squaredNorm > 0.0))
                {
                    continue;
                }

                // g_i'·g_j = Σ_k A[i, k]·G[k, j]; G is symmetric, so read row j contiguously.
                ReadOnlySpan<double> gramRow = gram.Slice(j * taskCount, taskCount);
                double dot = 0.0;
                for (int k = 0; k < taskCount; k++)
                {
                    dot += a[k] * gramRow[k];
                }

                if (dot < 0.0)
                {
                    a[j] -= dot / squaredNorm;
                    projections++;
                }
            }
        }

        double scale = reduction == GradientReduction.Mean ? 1.0 / taskCount : 1.0;
        for (int k = 0; k < taskCount; k++)
        {
            double sum = 0.0;
            for (int i = 0; i < taskCount; i++)
            {
                sum += coefficients[i * taskCount + k];
            }

            weights[k] = sum * scale;
        }

        return projections;
    }
}
