using System;

namespace Mtrl.Kernels;

/// <summary>Which update certifies a CAGrad solution (see <see cref="CaGradSolver.PrimalDualGap"/>).</summary>
internal enum CaGradCandidate
{
    /// <summary>d = g0 + φ·g_x/‖g_x‖, the update the paper's formula gives.</summary>
    Mix,

    /// <summary>d = g0, the mean gradient.</summary>
    Mean,

    /// <summary>d = 0: no direction improves every task and the ball contains 0.</summary>
    Zero,
}

/// <summary>
/// CAGrad's inner problem over the task weights (Liu et al. 2021, dual of Eq. 2): with b the
/// uniform weights (g0 = g_b the mean gradient) and φ = c·‖g0‖,
/// x* = argmin over the simplex of F(x) = g_x·g0 + φ·‖g_x‖ = xᵀG b + φ·√(xᵀG x), where g_x = Σ x_k g_k.
/// Everything is a quadratic form in the T×T Gram matrix G, so the solve costs O(T²) per
/// iteration and never touches the P-sized gradients.
/// </summary>
/// <remarks>
/// Method: accelerated projected gradient (FISTA, Beck and Teboulle 2009) with backtracking on
/// the step size (the curvature of φ‖g_x‖ grows as ‖g_x‖ shrinks, so no fixed step is safe),
/// function-value restart of the momentum (O'Donoghue and Candès 2015), Euclidean projection onto
/// the simplex by sorting, and start at the uniform weights (as the official code's
/// <c>x_start</c>). It stops when the primal–dual gap (F(x) minus the worst-task improvement of the
/// best candidate update, see <see cref="PrimalDualGap"/>) — an upper bound on F(x) − F(x*) —
/// falls below <see cref="RelativeTolerance"/>·mean_k ‖g_k‖², or after
/// <see cref="MaximumIterations"/> iterations. The official code calls SciPy's SLSQP with default
/// settings on the same objective (plus 1e-8 guards, which we do not add: they are not scale-free).
/// </remarks>
public static class CaGradSolver
{
    /// <summary>Iteration cap; well-conditioned problems stop after tens of iterations.</summary>
    public const int MaximumIterations = 5_000;

    /// <summary>
    /// Gap tolerance relative to the mean squared task-gradient norm: below the ~1e-7 relative
    /// precision of a float32 Gram matrix, above the ~1e-10 rounding floor of the float64 solve.
    /// </summary>
    public const double RelativeTolerance = 1e-9;

    /// <summary>Scratch doubles needed per task (T·this in total).</summary>
    internal const int ScratchPerTask = 8;

    /// <summary>Solves for x* and returns the number of iterations run.</summary>
    /// <param name="gram">T×T Gram matrix, row-major.</param>
    /// <param name="taskCount">T ≥ 1.</param>
    /// <param name="phi">φ = c·‖g0‖ ≥ 0.</param>
    /// <param name="x">T outputs: the simplex weights.</param>
    /// <param name="scratch">At least 8·T doubles of scratch.</param>
    public static int Solve(ReadOnlySpan<double> gram, int taskCount, double phi, Span<double> x, Span<double> scratch)
    {
        if (taskCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(taskCount), taskCount, "taskCount must be at least 1.");
        }

        ProjectionArguments.CheckSquare(gram.Length, taskCount, nameof(gram));
        ProjectionArguments.CheckPerTask(x.Length, taskCount, nameof(x));
        if (!(phi >= 0.0) || double.IsInfinity(phi))
        {
            throw new ArgumentOutOfRangeException(nameof(phi), phi, "phi must be finite and at least 0.");
        }

        if (scratch.Length < ScratchPerTask * taskCount)
        {
            throw new ArgumentException($"scratch must hold at least {ScratchPerTask} × taskCount = {ScratchPerTask * taskCount} doubles; it holds {scratch.Length}.", nameof(scratch));
        }

        int bad = FirstNonFinite(gram.Slice(0, taskCount * taskCount));
        if (bad >= 0)
        {
            throw new ArgumentException($"gram must be finite; element ({bad / taskCount}, {bad % taskCount}) is {gram[bad]}.", nameof(gram));
        }

        return SolveUnchecked(gram, taskCount, phi, x, scratch);
    }

    /// <summary>
    /// As <see cref="Solve"/> without argument checks; a Gram matrix holding NaN or ±∞ (a task
    /// gradient that overflowed) gives NaN weights at once instead of a search that never meets its
    /// stopping tests, so the caller's optimizer skips the step.
    /// </summary>
    internal static int SolveUnchecked(ReadOnlySpan<double> gram, int taskCount, double phi, Span<double> x, Span<double> scratch)
    {
        int t = taskCount;
        if (FirstNonFinite(gram.Slice(0, t * t)) >= 0 || !double.IsFinite(phi))
        {
            x.Slice(0, t).Fill(double.NaN);
            return 0;
        }

        x.Fill(1.0 / t);
        double scale = 0.0;
        for (int k = 0; k < t; k++)
        {
            scale += gram[k * t + k];
        }

        scale /= t;
        if (t == 1 || !(scale > 0.0))
        {
            return 0; // one task, or every gradient is zero: nothing to choose
        }

        Span<double> q = scratch.Slice(0, t);          // G·b
        Span<double> y = scratch.Slice(t, t);          // extrapolated point
        Span<double> gradient = scratch.Slice(2 * t, t);
        Span<double> z = scratch.Slice(3 * t, t);      // trial point
        Span<double> previous = scratch.Slice(4 * t, t);
        Span<double> work = scratch.Slice(5 * t, t);   // G·v
        Span<double> sorted = scratch.Slice(6 * t, t);
        Span<double> step = scratch.Slice(7 * t, t);
        MatrixVector(gram, t, x, q); // x is uniform here: q = G·b

        double tolerance = RelativeTolerance * scale;
        double lipschitz = scale;
        double momentum = 1.0;
        double fx = Objective(gram, t, q, phi, x, work);
        x.CopyTo(y);
        int iteration = 0;
        while (iteration < MaximumIterations)
        {
            iteration++;
            double fy = ObjectiveAndGradient(gram, t, q, phi, y, work, gradient, out _);
            double fz;
            lipschitz *= 0.5; // let the step grow again after a hard region
            while (true)
            {
                for (int k = 0; k < t; k++)
                {
                    step[k] = y[k] - gradient[k] / lipschitz;
                }

                SimplexProjection.Project(step, z, sorted);
                fz = Objective(gram, t, q, phi, z, work);
                double linear = 0.0, squared = 0.0;
                for (int k = 0; k < t; k++)
                {
                    double d = z[k] - y[k];
                    linear += gradient[k] * d;
                    squared += d * d;
                }

                // Sufficient decrease (with a rounding allowance), or a step too small to matter.
                if (fz <= fy + linear + 0.5 * lipschitz * squared + 1e-15 * Math.Abs(fy) || lipschitz > 1e30 * scale)
                {
                    break;
                }

                lipschitz *= 2.0;
            }

            if (fz > fx)
            {
                // Momentum overshot: restart from the last iterate without it.
                momentum = 1.0;
                if (!y.SequenceEqual(x))
                {
                    x.CopyTo(y);
                    continue;
                }

                // A plain projected-gradient step from x did not decrease F: x is optimal to rounding.
                break;
            }

            double nextMomentum = 0.5 * (1.0 + Math.Sqrt(1.0 + 4.0 * momentum * momentum));
            double beta = (momentum - 1.0) / nextMomentum;
            momentum = nextMomentum;
            x.CopyTo(previous);
            z.CopyTo(x);
            fx = fz;
            for (int k = 0; k < t; k++)
            {
                y[k] = x[k] + beta * (x[k] - previous[k]);
            }

            if (PrimalDualGap(gram, t, q, phi, x, work, gradient, out _) <= tolerance)
            {
                break;
            }
        }

        return iteration;
    }

    /// <summary>
    /// The primal–dual gap of x: F(x) minus the best worst-task improvement min_i g_i·d among the
    /// candidate updates d, which is ≥ F(x) − F(x*) and zero exactly at the optimum. Candidates:
    /// the update x implies, d = g0 + φ·g_x/‖g_x‖ (its improvements g_i·d are exactly ∇F(x)_i,
    /// so this part is the Frank–Wolfe gap ∇F(x)·x − min_k ∇F(x)_k); the mean d = g0
    /// (improvements (G b)_i); and d = 0 when the ball contains it (φ ≥ ‖g0‖, improvement 0).
    /// The last two certify optima where g_x = 0 — the convex hull of the task gradients contains
    /// 0, F is not differentiable there and the implied update has no direction.
    /// </summary>
    internal static double PrimalDualGap(
        ReadOnlySpan<double> gram, int t, ReadOnlySpan<double> q, double phi, ReadOnlySpan<double> x,
        Span<double> work, Span<double> gradient, out CaGradCandidate best)
    {
        double objective = ObjectiveAndGradient(gram, t, q, phi, x, work, gradient, out double mixNorm);
        double worstMix = double.PositiveInfinity, worstMean = double.PositiveInfinity, meanSquared = 0.0;
        for (int k = 0; k < t; k++)
        {
            worstMix = Math.Min(worstMix, gradient[k]);
            worstMean = Math.Min(worstMean, q[k]);
            meanSquared += q[k] / t; // b·G·b = ‖g0‖²
        }

        best = CaGradCandidate.Mean;
        double improvement = worstMean;
        if (mixNorm > 0.0 && worstMix > improvement)
        {
            best = CaGradCandidate.Mix;
            improvement = worstMix;
        }

        if (phi * phi >= meanSquared && 0.0 > improvement)
        {
            best = CaGradCandidate.Zero;
            improvement = 0.0;
        }

        return objective - improvement;
    }

    /// <summary>F(v) = v·q + φ·√(vᵀG v).</summary>
    private static double Objective(ReadOnlySpan<double> gram, int t, ReadOnlySpan<double> q, double phi, ReadOnlySpan<double> v, Span<double> work)
    {
        MatrixVector(gram, t, v, work);
        double linear = 0.0, quadratic = 0.0;
        for (int k = 0; k < t; k++)
        {
            linear += v[k] * q[k];
            quadratic += v[k] * work[k];
        }

        return linear + phi * Math.Sqrt(Math.Max(quadratic, 0.0));
    }

    /// <summary>F(v) and ∇F(v) = q + φ·G v / √(vᵀG v) (just q where g_v = 0, a subgradient).</summary>
    private static double ObjectiveAndGradient(
        ReadOnlySpan<double> gram, int t, ReadOnlySpan<double> q, double phi, ReadOnlySpan<double> v, Span<double> work, Span<double> gradient,
        out double norm)
    {
        MatrixVector(gram, t, v, work);
        double linear = 0.0, quadratic = 0.0;
        for (int k = 0; k < t; k++)
        {
            linear += v[k] * q[k];
            quadratic += v[k] * work[k];
        }

        norm = Math.Sqrt(Math.Max(quadratic, 0.0));
        double factor = norm > 0.0 ? phi / norm : 0.0;
        for (int k = 0; k < t; k++)
        {
            gradient[k] = q[k] + factor * work[k];
        }

        return linear + phi * norm;
    }

    private static void MatrixVector(ReadOnlySpan<double> gram, int t, ReadOnlySpan<double> v, Span<double> result)
    {
        for (int i = 0; i < t; i++)
        {
            ReadOnlySpan<double> row = gram.Slice(i * t, t);
            double sum = 0.0;
            for (int k = 0; k < t; k++)
            {
                sum += row[k] * v[k];
            }

            result[i] = sum;
        }
    }

    /// <summary>Index of the first NaN or ±∞, or −1.</summary>
    private static int FirstNonFinite(ReadOnlySpan<double> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
