using System;

namespace Mtrl.Kernels;

/// <summary>
/// Euclidean projection onto the probability simplex {x : x ≥ 0, Σ x = 1} by sorting (Held, Wolfe
/// and Crowder 1974; Duchi et al. 2008): the step that keeps CAGrad's task weights feasible.
/// </summary>
internal static class SimplexProjection
{
    /// <summary>
    /// x = argmin_{y ∈ Δ} ‖y − v‖: x_k = max(v_k − θ, 0) with θ chosen so Σ x = 1.
    /// <paramref name="sorted"/> is scratch of the same length (overwritten); allocation-free.
    /// </summary>
    public static void Project(ReadOnlySpan<double> v, Span<double> x, Span<double> sorted)
    {
        int n = v.Length;
        v.CopyTo(sorted);
        sorted.Sort();
        double cumulative = 0.0;
        double theta = 0.0;
        for (int r = 1; r <= n; r++)
        {
            double u = sorted[n - r]; // r-th largest
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
            x[k] = Math.Max(v[k] - theta, 0.0);
        }
    }
}
