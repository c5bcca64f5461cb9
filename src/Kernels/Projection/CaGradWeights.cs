using System;
using Mtrl.Contracts;

namespace Mtrl.Kernels;

/// <summary>
/// CAGrad on the Gram matrix: turns the solved task mix x into combination weights, so the update
/// d = g0 + λ·g_x (λ = φ/‖g_x‖, φ = c·‖g0‖) — the solution of "maximise the worst task's
/// improvement min_i g_i·d within the ball ‖d − g0‖ ≤ c‖g0‖" — is one weighted sum of the task
/// gradients: w_k = (1/T + λ·x_k)·rescale·(T for a sum reduction).
/// </summary>
/// <remarks>
/// Follows the official <c>cagrad</c> (Cranial-XIX/CAGrad, <c>nyuv2/utils.py</c>): same objective,
/// same λ, same rescale options; the mean-scale direction is multiplied by T for
/// <see cref="GradientReduction.Sum"/> (the official trainer's <c>overwrite_grad</c> does this
/// "to match the sum loss"). Where the official code leans on 1e-8 guards we pick, among the
/// candidate updates of <see cref="CaGradSolver.PrimalDualGap"/>, the one with the best worst-task
/// improvement: normally the paper's g0 + λ·g_x; when the optimal mix is g_x = 0 (0 lies in the
/// convex hull of the task gradients: a Pareto-stationary point, where λ·g_x has no direction and
/// the official code returns an arbitrary one of length φ) it is d = 0 if the ball contains 0
/// (c ≥ 1 — the regime the paper proves converges to Pareto-stationary points) and the mean
/// otherwise. ‖g0‖ = 0 gives φ = 0 and the mean.
/// </remarks>
public static class CaGradWeights
{
    /// <summary>Solves the inner problem and writes the T combination weights.</summary>
    /// <param name="gram">T×T Gram matrix, row-major.</param>
    /// <param name="taskCount">T ≥ 1.</param>
    /// <param name="c">Conflict-aversion radius c ≥ 0 (0 gives the plain mean or sum).</param>
    /// <param name="reduction">Mean (the paper's scale) or sum (× T).</param>
    /// <param name="rescale">Final division by 1, 1 + c² or 1 + c.</param>
    /// <param name="weights">T outputs w: the update is Σ_k w_k·g_k.</param>
    /// <param name="simplexWeights">T outputs x: the solved task mix.</param>
    /// <param name="scratch">At least 8·T doubles.</param>
    /// <returns>Solver iterations.</returns>
    public static int Compute(
        ReadOnlySpan<double> gram, int taskCount, double c, GradientReduction reduction, CaGradRescale rescale,
        Span<double> weights, Span<double> simplexWeights, Span<double> scratch)
    {
        if (taskCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(taskCount), taskCount, "taskCount must be at least 1.");
        }

        ProjectionArguments.CheckSquare(gram.Length, taskCount, nameof(gram));
        ProjectionArguments.CheckPerTask(weights.Length, taskCount, nameof(weights));
        ProjectionArguments.CheckPerTask(simplexWeights.Length, taskCount, nameof(simplexWeights));
        CheckOptions(c, reduction, rescale);
        if (scratch.Length < CaGradSolver.ScratchPerTask * taskCount)
        {
            throw new ArgumentException($"scratch must hold at least {CaGradSolver.ScratchPerTask} × taskCount = {CaGradSolver.ScratchPerTask * taskCount} doubles; it holds {scratch.Length}.", nameof(scratch));
        }

        return ComputeUnchecked(gram, taskCount, c, reduction, rescale, weights, simplexWeights, scratch);
    }

    /// <summary>Throws for a negative or non-finite c or an undefined enum value.</summary>
    internal static void CheckOptions(double c, GradientReduction reduction, CaGradRescale rescale)
    {
        if (!(c >= 0.0) || double.IsInfinity(c))
        {
            throw new ArgumentOutOfRangeException(nameof(c), c, "c must be finite and at least 0 (the paper uses 0.2 to 0.8).");
        }

        ProjectionArguments.CheckReduction(reduction);
        if (rescale is not (CaGradRescale.None or CaGradRescale.OnePlusCSquared or CaGradRescale.OnePlusC))
        {
            throw new ArgumentOutOfRangeException(nameof(rescale), rescale, "rescale must be CaGradRescale.None, OnePlusCSquared or OnePlusC.");
        }
    }

    internal static int ComputeUnchecked(
        ReadOnlySpan<double> gram, int taskCount, double c, GradientReduction reduction, CaGradRescale rescale,
        Span<double> weights, Span<double> simplexWeights, Span<double> scratch)
        => ComputeUnchecked(gram, taskCount, c, reduction, rescale, weights, simplexWeights, scratch, out _);

    internal static int ComputeUnchecked(
        ReadOnlySpan<double> gram, int taskCount, double c, GradientReduction reduction, CaGradRescale rescale,
        Span<double> weights, Span<double> simplexWeights, Span<double> scratch, out double gap)
    {
        int t = taskCount;
        double meanOfGram = 0.0;
        for (int i = 0; i < t * t; i++)
        {
            meanOfGram += gram[i];
        }

        meanOfGram /= (double)t * t; // = ‖g0‖²
        double phi = c * Math.Sqrt(Math.Max(meanOfGram, 0.0));
        int iterations = CaGradSolver.SolveUnchecked(gram, t, phi, simplexWeights, scratch);

        Span<double> q = scratch.Slice(0, t);
        Span<double> work = scratch.Slice(t, t);
        Span<double> gradient = scratch.Slice(2 * t, t);
        double mixSquared = 0.0;
        for (int i = 0; i < t; i++)
        {
            double meanRow = 0.0, mixRow = 0.0;
            for (int k = 0; k < t; k++)
            {
                meanRow += gram[i * t + k] / t;
                mixRow += gram[i * t + k] * simplexWeights[k];
            }

            q[i] = meanRow;
            mixSquared += simplexWeights[i] * mixRow;
        }

        gap = CaGradSolver.PrimalDualGap(gram, t, q, phi, simplexWeights, work, gradient, out CaGradCandidate best);
        double factor = rescale switch
        {
            CaGradRescale.OnePlusCSquared => 1.0 / (1.0 + c * c),
            CaGradRescale.OnePlusC => 1.0 / (1.0 + c),
            _ => 1.0,
        };
        if (reduction == GradientReduction.Sum)
        {
            factor *= t;
        }

        double lambda = best == CaGradCandidate.Mix ? phi / Math.Sqrt(mixSquared) : 0.0;
        for (int k = 0; k < t; k++)
        {
            weights[k] = best == CaGradCandidate.Zero ? 0.0 : (1.0 / t + lambda * simplexWeights[k]) * factor;
        }

        return iterations;
    }
}
