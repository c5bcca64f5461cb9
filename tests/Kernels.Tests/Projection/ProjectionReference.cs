using System;
using Mtrl.Contracts;

namespace Mtrl.Kernels.Tests.Projection;

/// <summary>
/// The definitions, written the direct way in float64 over whole vectors (no Gram matrix, no
/// blocking), for the projection kernels to be checked against.
/// </summary>
internal static class ProjectionReference
{
    /// <summary>Row k of the task block as float64.</summary>
    public static double[][] Rows(float[] gradients, int taskCount, int parameterCount)
    {
        var rows = new double[taskCount][];
        for (int k = 0; k < taskCount; k++)
        {
            rows[k] = new double[parameterCount];
            for (int p = 0; p < parameterCount; p++)
            {
                rows[k][p] = gradients[k * parameterCount + p];
            }
        }

        return rows;
    }

    public static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int p = 0; p < a.Length; p++)
        {
            sum += a[p] * b[p];
        }

        return sum;
    }

    /// <summary>
    /// PCGrad as in the paper's Algorithm 1: for each task i, g_i' starts as g_i; for j in row i of
    /// the orders, if g_i'·g_j &lt; 0, g_i' −= (g_i'·g_j / ‖g_j‖²)·g_j against the ORIGINAL g_j;
    /// then sum (or mean) the g_i'. <paramref name="smallestMargin"/> reports the smallest
    /// |cos(g_i', g_j)| among the sign decisions, so tests can tell a genuine difference from a
    /// decision that float32 rounding could flip.
    /// </summary>
    public static double[] PcGrad(float[] gradients, int taskCount, int parameterCount, int[] orders, GradientReduction reduction, out double smallestMargin)
    {
        double[][] original = Rows(gradients, taskCount, parameterCount);
        var result = new double[parameterCount];
        smallestMargin = double.PositiveInfinity;
        for (int i = 0; i < taskCount; i++)
        {
            double[] running = (double[])original[i].Clone();
            for (int s = 0; s < taskCount - 1; s++)
            {
                double[] other = original[orders[i * (taskCount - 1) + s]];
                double dot = Dot(running, other);
                double normSquared = Dot(other, other);
                double runningNorm = Math.Sqrt(Dot(running, running));
                if (normSquared > 0 && runningNorm > 0)
                {
                    smallestMargin = Math.Min(smallestMargin, Math.Abs(dot) / (runningNorm * Math.Sqrt(normSquared)));
                }

                if (dot < 0)
                {
                    for (int p = 0; p < parameterCount; p++)
                    {
                        running[p] -= dot / normSquared * other[p];
                    }
                }
            }

            for (int p = 0; p < parameterCount; p++)
            {
                result[p] += running[p];
            }
        }

        if (reduction == GradientReduction.Mean)
        {
            for (int p = 0; p < parameterCount; p++)
            {
                result[p] /= taskCount;
            }
        }

        return result;
    }

    /// <summary>Σ_k g_k (or the mean).</summary>
    public static double[] Reduce(float[] gradients, int taskCount, int parameterCount, GradientReduction reduction)
    {
        var result = new double[parameterCount];
        for (int k = 0; k < taskCount; k++)
        {
            for (int p = 0; p < parameterCount; p++)
            {
                result[p] += gradients[k * parameterCount + p];
            }
        }

        if (reduction == GradientReduction.Mean)
        {
            for (int p = 0; p < parameterCount; p++)
            {
                result[p] /= taskCount;
            }
        }

        return result;
    }

    /// <summary>The mean gradient g0.</summary>
    public static double[] Mean(double[][] rows)
    {
        var mean = new double[rows[0].Length];
        foreach (double[] row in rows)
        {
            for (int p = 0; p < mean.Length; p++)
            {
                mean[p] += row[p] / rows.Length;
            }
        }

        return mean;
    }

    /// <summary>g_x = Σ_k x_k g_k.</summary>
    public static double[] Mix(double[][] rows, ReadOnlySpan<double> x)
    {
        var mix = new double[rows[0].Length];
        for (int k = 0; k < rows.Length; k++)
        {
            for (int p = 0; p < mix.Length; p++)
            {
                mix[p] += x[k] * rows[k][p];
            }
        }

        return mix;
    }

    /// <summary>CAGrad's dual objective F(x) = g_x·g0 + c‖g0‖·‖g_x‖, from the vectors.</summary>
    public static double CaGradDual(double[][] rows, ReadOnlySpan<double> x, double c)
    {
        double[] g0 = Mean(rows);
        double[] gx = Mix(rows, x);
        return Dot(gx, g0) + c * Math.Sqrt(Dot(g0, g0)) * Math.Sqrt(Dot(gx, gx));
    }

    /// <summary>CAGrad's primal objective: the worst task's improvement min_i g_i·d.</summary>
    public static double CaGradPrimal(double[][] rows, double[] d)
    {
        double worst = double.PositiveInfinity;
        foreach (double[] row in rows)
        {
            worst = Math.Min(worst, Dot(row, d));
        }

        return worst;
    }

    /// <summary>
    /// CAGrad for two tasks by golden-section search on x = (t, 1 − t) (F is convex in t), then
    /// d = g0 + c‖g0‖·g_x/‖g_x‖: the definition with an independent one-dimensional solver.
    /// </summary>
    public static double[] CaGradTwoTasks(double[][] rows, double c)
    {
        double Objective(double t) => CaGradDual(rows, [t, 1 - t], c);
        double lo = 0, hi = 1;
        double ratio = (Math.Sqrt(5) - 1) / 2;
        for (int iteration = 0; iteration < 200; iteration++)
        {
            double a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo);
            if (Objective(a) <= Objective(b))
            {
                hi = b;
            }
            else
            {
                lo = a;
            }
        }

        double best = 0.5 * (lo + hi);
        double[] g0 = Mean(rows);
        double[] gx = Mix(rows, [best, 1 - best]);
        double scale = c * Math.Sqrt(Dot(g0, g0)) / Math.Sqrt(Dot(gx, gx));
        var d = new double[g0.Length];
        for (int p = 0; p < d.Length; p++)
        {
            d[p] = g0[p] + scale * gx[p];
        }

        return d;
    }
}
