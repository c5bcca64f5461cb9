using System;
using ILGPU;

namespace Mtrl.Kernels.Gpu.Projection;

/// <summary>
/// CAGrad's T×T step on the device, in one thread: <see cref="CaGradWeights"/> with
/// <see cref="CaGradSolver"/>'s accelerated projected-gradient solve and
/// <see cref="SimplexProjection"/>, the same float64 operations in the same order, so on a device
/// that does not contract multiply-adds the weights are the CPU's for the same Gram matrix, bit for bit.
/// The Gram matrix and the weighted sum are <see cref="DevicePcGradKernels"/>' passes.
/// </summary>
/// <remarks>
/// Scratch layout (8·T doubles), as the CPU solver's: q = G·b, y, ∇F, z, previous x, G·v, the
/// sort buffer, the gradient step. The sort is an insertion sort (T is small); it orders the same
/// values the CPU's sort does, so the projection's sums are the same.
/// </remarks>
internal static class DeviceCaGradKernels
{
    private const int Mix = 0;
    private const int Mean = 1;
    private const int Zero = 2;

    /// <summary>
    /// One thread: solves for the task mix x, writes the combination weights w
    /// (w_k = (1/T + λ·x_k)·factor, or the mean or 0 when the gap's best candidate says so), and
    /// stats[0] = solver iterations, stats[1] = the primal–dual gap.
    /// </summary>
    /// <param name="index">Thread index; only thread 0 works.</param>
    /// <param name="gram">T×T Gram matrix.</param>
    /// <param name="scratch">8·T doubles.</param>
    /// <param name="x">T outputs: the task mix.</param>
    /// <param name="weights">T outputs: the combination weights.</param>
    /// <param name="stats">2 outputs: iterations, gap.</param>
    /// <param name="t">T.</param>
    /// <param name="c">Conflict-aversion radius.</param>
    /// <param name="factor">The rescale, times T for a sum reduction (computed on the host as the CPU does).</param>
    public static void Weights(
        Index1D index, ArrayView<double> gram, ArrayView<double> scratch, ArrayView<double> x, ArrayView<double> weights, ArrayView<double> stats,
        int t, double c, double factor)
    {
        if (index != 0)
        {
            return;
        }

        double meanOfGram = 0.0;
        for (int i = 0; i < t * t; i++)
        {
            meanOfGram += gram[i];
        }

        meanOfGram /= (double)t * t;
        double phi = c * Math.Sqrt(Math.Max(meanOfGram, 0.0));
        int iterations = Solve(gram, t, phi, x, scratch);

        int q = 0, work = t, gradient = 2 * t;
        double mixSquared = 0.0;
        for (int i = 0; i < t; i++)
        {
            double meanRow = 0.0, mixRow = 0.0;
            for (int k = 0; k < t; k++)
            {
                meanRow += gram[(i * t) + k] / t;
                mixRow += gram[(i * t) + k] * x[k];
            }

            scratch[q + i] = meanRow;
            mixSquared += x[i] * mixRow;
        }

        Gap gap = PrimalDualGap(gram, t, scratch, q, phi, x, work, gradient);
        double lambda = gap.Best == Mix ? phi / Math.Sqrt(mixSquared) : 0.0;
        for (int k = 0; k < t; k++)
        {
            weights[k] = gap.Best == Zero ? 0.0 : ((1.0 / t) + (lambda * x[k])) * factor;
        }

        stats[0] = iterations;
        stats[1] = gap.Value;
    }

    /// <summary><see cref="CaGradSolver"/>'s SolveUnchecked, step for step.</summary>
    private static int Solve(ArrayView<double> gram, int t, double phi, ArrayView<double> x, ArrayView<double> s)
    {
        if (!AllFinite(gram, t * t) || !IsFinite(phi))
        {
            for (int k = 0; k < t; k++)
            {
                x[k] = double.NaN;
            }

            return 0;
        }

        for (int k = 0; k < t; k++)
        {
            x[k] = 1.0 / t;
        }

        double scale = 0.0;
        for (int k = 0; k < t; k++)
        {
            scale += gram[(k * t) + k];
        }

        scale /= t;
        if (t == 1 || !(scale > 0.0))
        {
            return 0;
        }

        int q = 0, y = t, gradient = 2 * t, z = 3 * t, previous = 4 * t, work = 5 * t, sorted = 6 * t, step = 7 * t;
        MatrixVector(gram, t, x, 0, s, q);

        double tolerance = CaGradSolver.RelativeTolerance * scale;
        double lipschitz = scale;
        double momentum = 1.0;
        double fx = Objective(gram, t, s, q, phi, x, 0, s, work);
        Copy(x, 0, s, y, t);
        int iteration = 0;
        while (iteration < CaGradSolver.MaximumIterations)
        {
            iteration++;
            double fy = ObjectiveAndGradient(gram, t, s, q, phi, s, y, work, gradient).Value;
            double fz;
            lipschitz *= 0.5;
            while (true)
            {
                for (int k = 0; k < t; k++)
                {
                    s[step + k] = s[y + k] - (s[gradient + k] / lipschitz);
                }

                ProjectOntoSimplex(s, step, z, sorted, t);
                fz = Objective(gram, t, s, q, phi, s, z, s, work);
                double linear = 0.0, squared = 0.0;
                for (int k = 0; k < t; k++)
                {
                    double d = s[z + k] - s[y + k];
                    linear += s[gradient + k] * d;
                    squared += d * d;
                }

                if (fz <= fy + linear + 0.5 * lipschitz * squared + 1e-15 * Math.Abs(fy) || lipschitz > 1e30 * scale)
                {
                    break;
                }

                lipschitz *= 2.0;
            }

            if (fz > fx)
            {
                momentum = 1.0;
                if (!SameValues(s, y, x, t))
                {
                    Copy(x, 0, s, y, t);
                    continue;
                }

                break;
            }

            double nextMomentum = 0.5 * (1.0 + Math.Sqrt(1.0 + 4.0 * momentum * momentum));
            double beta = (momentum - 1.0) / nextMomentum;
            momentum = nextMomentum;
            Copy(x, 0, s, previous, t);
            Copy(s, z, x, 0, t);
            fx = fz;
            for (int k = 0; k < t; k++)
            {
                s[y + k] = x[k] + beta * (x[k] - s[previous + k]);
            }

            if (PrimalDualGap(gram, t, s, q, phi, x, work, gradient).Value <= tolerance)
            {
                break;
            }
        }

        return iteration;
    }

    /// <summary><see cref="CaGradSolver"/>'s PrimalDualGap: F(x) minus the best candidate's worst-task improvement, and which candidate that is.</summary>
    private static Gap PrimalDualGap(ArrayView<double> gram, int t, ArrayView<double> s, int q, double phi, ArrayView<double> x, int work, int gradient)
    {
        Evaluation objective = ObjectiveAndGradient(gram, t, s, q, phi, x, 0, work, gradient);
        double worstMix = double.PositiveInfinity, worstMean = double.PositiveInfinity, meanSquared = 0.0;
        for (int k = 0; k < t; k++)
        {
            worstMix = Math.Min(worstMix, s[gradient + k]);
            worstMean = Math.Min(worstMean, s[q + k]);
            meanSquared += s[q + k] / t;
        }

        int best = Mean;
        double improvement = worstMean;
        if (objective.Norm > 0.0 && worstMix > improvement)
        {
            best = Mix;
            improvement = worstMix;
        }

        if (phi * phi >= meanSquared && 0.0 > improvement)
        {
            best = Zero;
            improvement = 0.0;
        }

        return new Gap { Value = objective.Value - improvement, Best = best };
    }

    /// <summary>F(v) = v·q + φ·√(vᵀG v), v at <paramref name="vOffset"/> of <paramref name="v"/>.</summary>
    private static double Objective(
        ArrayView<double> gram, int t, ArrayView<double> s, int q, double phi, ArrayView<double> v, int vOffset, ArrayView<double> scratch, int work)
    {
        MatrixVector(gram, t, v, vOffset, scratch, work);
        double linear = 0.0, quadratic = 0.0;
        for (int k = 0; k < t; k++)
        {
            linear += v[vOffset + k] * s[q + k];
            quadratic += v[vOffset + k] * scratch[work + k];
        }

        return linear + phi * Math.Sqrt(Math.Max(quadratic, 0.0));
    }

    /// <summary>F(v) and ∇F(v) = q + φ·G v / √(vᵀG v) into the gradient slice; also √(vᵀG v).</summary>
    private static Evaluation ObjectiveAndGradient(
        ArrayView<double> gram, int t, ArrayView<double> s, int q, double phi, ArrayView<double> v, int vOffset, int work, int gradient)
    {
        MatrixVector(gram, t, v, vOffset, s, work);
        double linear = 0.0, quadratic = 0.0;
        for (int k = 0; k < t; k++)
        {
            linear += v[vOffset + k] * s[q + k];
            quadratic += v[vOffset + k] * s[work + k];
        }

        double norm = Math.Sqrt(Math.Max(quadratic, 0.0));
        double factor = norm > 0.0 ? phi / norm : 0.0;
        for (int k = 0; k < t; k++)
        {
            s[gradient + k] = s[q + k] + factor * s[work + k];
        }

        return new Evaluation { Value = linear + phi * norm, Norm = norm };
    }

    /// <summary><see cref="SimplexProjection.Project"/>: x_k = max(v_k − θ, 0) with θ from the sorted values.</summary>
    private static void ProjectOntoSimplex(ArrayView<double> s, int v, int x, int sorted, int n)
    {
        for (int k = 0; k < n; k++)
        {
            double value = s[v + k];
            int position = k;
            while (position > 0 && s[sorted + position - 1] > value)
            {
                s[sorted + position] = s[sorted + position - 1];
                position--;
            }

            s[sorted + position] = value;
        }

        double cumulative = 0.0;
        double theta = 0.0;
        for (int r = 1; r <= n; r++)
        {
            double u = s[sorted + n - r];
            cumulative += u;
            double candidate = (cumulative - 1.0) / r;
            if (u - candidate > 0.0)
            {
                theta = candidate;
            }
            else
            {
                break;
            }
        }

        for (int k = 0; k < n; k++)
        {
            s[x + k] = Math.Max(s[v + k] - theta, 0.0);
        }
    }

    private static void MatrixVector(ArrayView<double> gram, int t, ArrayView<double> v, int vOffset, ArrayView<double> result, int resultOffset)
    {
        for (int i = 0; i < t; i++)
        {
            double sum = 0.0;
            for (int k = 0; k < t; k++)
            {
                sum += gram[(i * t) + k] * v[vOffset + k];
            }

            result[resultOffset + i] = sum;
        }
    }

    private static void Copy(ArrayView<double> source, int sourceOffset, ArrayView<double> destination, int destinationOffset, int count)
    {
        for (int k = 0; k < count; k++)
        {
            destination[destinationOffset + k] = source[sourceOffset + k];
        }
    }

    /// <summary>Span.SequenceEqual on doubles: equal values (0 = −0), or both NaN.</summary>
    private static bool SameValues(ArrayView<double> s, int y, ArrayView<double> x, int t)
    {
        for (int k = 0; k < t; k++)
        {
            double a = s[y + k], b = x[k];
            if (!(a == b || (IsNaN(a) && IsNaN(b))))
            {
                return false;
            }
        }

        return true;
    }

    private static bool AllFinite(ArrayView<double> values, int count)
    {
        for (int i = 0; i < count; i++)
        {
            if (!IsFinite(values[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Exponent not all ones: neither NaN nor ±∞ (integer test, the same on every back end).</summary>
    private static bool IsFinite(double value) => (Interop.FloatAsInt(value) & 0x7FF0_0000_0000_0000UL) != 0x7FF0_0000_0000_0000UL;

    /// <summary>Exponent all ones and a non-zero mantissa.</summary>
    private static bool IsNaN(double value) => (Interop.FloatAsInt(value) & 0x7FFF_FFFF_FFFF_FFFFUL) > 0x7FF0_0000_0000_0000UL;

    private struct Evaluation
    {
        public double Value;
        public double Norm;
    }

    private struct Gap
    {
        public double Value;
        public int Best;
    }
}
