using System;
using System.Collections.Generic;
using Xunit;
using Mtrl.Contracts;

namespace Mtrl.Kernels.Tests.Projection;

public sealed class CaGradTests
{
    public static IEnumerable<object[]> Cases => ProjectionCases.All();

    /// <summary>
    /// CAGrad's definition is an optimisation problem: d* = argmax min_i g_i·d over the ball
    /// ‖d − g0‖ ≤ c‖g0‖, with the dual min over the simplex of F(x) = g_x·g0 + c‖g0‖‖g_x‖ and
    /// F(x) ≥ max_d (…) = min_i g_i·d* ≥ min_i g_i·d for every feasible d. So a feasible output d
    /// with min_i g_i·d ≈ F(x) for the returned x certifies that both are optimal — computed here
    /// from the vectors in float64, independent of the Gram matrix and the solver.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void OutputIsCertifiedOptimalByTheDualityGap(int taskCount, int parameterCount, GradientPattern pattern)
    {
        float[] gradients = ProjectionCases.Gradients(taskCount, parameterCount, pattern, salt: 1);
        double[][] rows = ProjectionReference.Rows(gradients, taskCount, parameterCount);
        var workspace = new ProjectionWorkspace(taskCount, parameterCount);
        double meanSquaredNorm = 0;
        foreach (double[] row in rows)
        {
            meanSquaredNorm += ProjectionReference.Dot(row, row) / taskCount;
        }

        foreach (double c in new[] { 0.2, 0.5, 1.5 })
        {
            float[] output = ProjectionCases.Poisoned(parameterCount);
            CaGrad.Combine(gradients, taskCount, parameterCount, c, GradientReduction.Mean, output, CaGradRescale.None, workspace, CpuAccelerator.Sequential);
            Assert.True(workspace.SolverGap <= 1e-7 * meanSquaredNorm, $"solver gap {workspace.SolverGap / meanSquaredNorm:E2} of the mean squared norm (c = {c}, {workspace.SolverIterations} iterations)");
            var d = Array.ConvertAll(output, v => (double)v);
            double[] g0 = ProjectionReference.Mean(rows);
            double radius = c * Math.Sqrt(ProjectionReference.Dot(g0, g0));
            var offset = new double[parameterCount];
            for (int p = 0; p < parameterCount; p++)
            {
                offset[p] = d[p] - g0[p];
            }

            double tolerance = 1e-5 * meanSquaredNorm;
            string what = $"T={taskCount} P={parameterCount} {pattern} c={c}";
            Assert.True(Math.Sqrt(ProjectionReference.Dot(offset, offset)) <= radius * (1 + 1e-4) + 1e-6 * Math.Sqrt(meanSquaredNorm), $"{what}: d is outside the ball");
            double dual = ProjectionReference.CaGradDual(rows, workspace.SimplexWeights, c);
            double primal = ProjectionReference.CaGradPrimal(rows, d);
            Assert.True(primal >= dual - tolerance, $"{what}: duality gap {dual - primal:E3} (dual {dual}, primal {primal})");
            double simplexSum = 0;
            foreach (double x in workspace.SimplexWeights)
            {
                Assert.True(x >= 0);
                simplexSum += x;
            }

            Assert.Equal(1.0, simplexSum, 12);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(1037)]
    public void TwoTasksMatchAGoldenSectionSolveOfTheDefinition(int parameterCount)
    {
        foreach (GradientPattern pattern in new[] { GradientPattern.Independent, GradientPattern.Opposed })
        {
            float[] gradients = ProjectionCases.Gradients(2, parameterCount, pattern, salt: 2);
            double[][] rows = ProjectionReference.Rows(gradients, 2, parameterCount);
            double[] d = ProjectionReference.CaGradTwoTasks(rows, 0.4);
            var expected = Array.ConvertAll(d, v => v / (1 + 0.4 * 0.4) * 2); // rescale 1, sum reduction
            float[] output = ProjectionCases.Poisoned(parameterCount);
            CaGrad.Combine(gradients, 2, parameterCount, 0.4, GradientReduction.Sum, output);
            PcGradTests.AssertClose(expected, output, 10 * ProjectionCases.ColumnScale(gradients, 2, parameterCount), $"P={parameterCount} {pattern}");
        }
    }

    [Fact]
    public void ZeroRadiusIsTheMeanAndReductionAndRescaleScaleTheSameDirection()
    {
        const int t = 3, p = 1037;
        float[] gradients = ProjectionCases.Gradients(t, p, GradientPattern.Opposed, salt: 3);
        float[] output = ProjectionCases.Poisoned(p);
        CaGrad.Combine(gradients, t, p, 0, GradientReduction.Mean, output);
        double scale = ProjectionCases.ColumnScale(gradients, t, p);
        PcGradTests.AssertClose(ProjectionReference.Reduce(gradients, t, p, GradientReduction.Mean), output, scale, "c = 0");

        var workspace = new ProjectionWorkspace(t, p);
        float[] none = new float[p], squared = new float[p], linear = new float[p], summed = new float[p];
        CaGrad.Combine(gradients, t, p, 0.5, GradientReduction.Mean, none, CaGradRescale.None, workspace);
        CaGrad.Combine(gradients, t, p, 0.5, GradientReduction.Mean, squared, CaGradRescale.OnePlusCSquared, workspace);
        CaGrad.Combine(gradients, t, p, 0.5, GradientReduction.Mean, linear, CaGradRescale.OnePlusC, workspace);
        CaGrad.Combine(gradients, t, p, 0.5, GradientReduction.Sum, summed, CaGradRescale.None, workspace);
        var noneD = Array.ConvertAll(none, v => (double)v);
        PcGradTests.AssertClose(Array.ConvertAll(noneD, v => v / 1.25), squared, scale, "÷(1 + c²)");
        PcGradTests.AssertClose(Array.ConvertAll(noneD, v => v / 1.5), linear, scale, "÷(1 + c)");
        PcGradTests.AssertClose(Array.ConvertAll(noneD, v => v * t), summed, t * scale, "sum = T × mean");
    }

    [Fact]
    public void ParetoStationaryTasksWithLargeRadiusGiveZeroAndOneTaskScalesItsGradient()
    {
        // 0 is inside the convex hull of (1, 0), (−1, 1), (−1, −2): no direction improves all three.
        float[] gradients = [1, 0, -1, 1, -1, -2];
        float[] output = ProjectionCases.Poisoned(2);
        CaGrad.Combine(gradients, 3, 2, 2.0, GradientReduction.Mean, output);
        Assert.Equal([0f, 0f], output);

        // One task: d = g0 + c·g0, rescaled by 1/(1 + c²).
        float[] single = [2, -4];
        CaGrad.Combine(single, 1, 2, 0.5, GradientReduction.Mean, output);
        PcGradTests.AssertClose([2 * 1.5 / 1.25, -4 * 1.5 / 1.25], output, 1, "one task");

        // All gradients zero: zero, not NaN.
        CaGrad.Combine(new float[6], 3, 2, 0.5, GradientReduction.Mean, output);
        Assert.Equal([0f, 0f], output);
    }

    [Fact]
    public void IdenticalForOneAndTwoThreads()
    {
        const int t = 10, p = 70_001;
        float[] gradients = ProjectionCases.Gradients(t, p, GradientPattern.Independent, salt: 4);
        using var one = new CpuAccelerator(1);
        using var two = new CpuAccelerator(2);
        float[] a = ProjectionCases.Poisoned(p), b = ProjectionCases.Poisoned(p);
        CaGrad.Combine(gradients, t, p, 0.5, GradientReduction.Mean, a, accelerator: one);
        CaGrad.Combine(gradients, t, p, 0.5, GradientReduction.Mean, b, accelerator: two);
        Assert.True(a.AsSpan().SequenceEqual(b));
    }

    [Fact]
    public void SolverReachesTheOptimumOnAnIllConditionedGram()
    {
        // Nearly parallel gradients of very different lengths: a narrow valley for the solver.
        double[][] vectors = [[100, 0, 0], [0.999, 0.04, 0], [-0.5, 0.01, 0.2], [-0.49, 0.011, 0.2]];
        const int t = 4;
        var gram = new double[t * t];
        for (int i = 0; i < t; i++)
        {
            for (int j = 0; j < t; j++)
            {
                gram[i * t + j] = ProjectionReference.Dot(vectors[i], vectors[j]);
            }
        }

        foreach (double c in new[] { 0.1, 0.5, 0.9, 3 })
        {
            var x = new double[t];
            double phi = c * Math.Sqrt(Mean(gram));
            int iterations = CaGradSolver.Solve(gram, t, phi, x, new double[8 * t]);
            Assert.True(iterations < CaGradSolver.MaximumIterations, $"c = {c}: hit the cap");
            double gap = CaGradSolver.PrimalDualGap(gram, t, MatrixTimesUniform(gram), phi, x, new double[t], new double[t], out _);
            Assert.True(gap <= 1e-9 * 1e4 / t, $"c = {c}: gap {gap}");
        }
    }

    private static double Mean(double[] gram)
    {
        double sum = 0;
        foreach (double value in gram)
        {
            sum += value;
        }

        return sum / gram.Length;
    }

    private static double[] MatrixTimesUniform(double[] gram)
    {
        int t = (int)Math.Sqrt(gram.Length);
        var q = new double[t];
        for (int i = 0; i < t; i++)
        {
            for (int k = 0; k < t; k++)
            {
                q[i] += gram[i * t + k] / t;
            }
        }

        return q;
    }
}
