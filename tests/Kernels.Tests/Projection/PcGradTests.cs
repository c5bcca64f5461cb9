using System;
using System.Collections.Generic;
using Xunit;
using Mtrl.Contracts;

namespace Mtrl.Kernels.Tests.Projection;

public sealed class PcGradTests
{
    public static IEnumerable<object[]> Cases => ProjectionCases.All();

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheDirectDefinitionWithExplicitOrders(int taskCount, int parameterCount, GradientPattern pattern)
    {
        float[] gradients = ProjectionCases.Gradients(taskCount, parameterCount, pattern);
        int[] orders = ProjectionCases.RandomOrders(taskCount, seed: taskCount * 31 + parameterCount);
        var workspace = new ProjectionWorkspace(taskCount, parameterCount);
        foreach (GradientReduction reduction in new[] { GradientReduction.Sum, GradientReduction.Mean })
        {
            double[] expected = ProjectionReference.PcGrad(gradients, taskCount, parameterCount, orders, reduction, out double margin);
            Assert.True(margin > 1e-5, $"test data too close to a tie (|cos| = {margin}); pick another seed");
            float[] output = ProjectionCases.Poisoned(parameterCount);
            PcGrad.Project(gradients, taskCount, parameterCount, orders, reduction, output, workspace, CpuAccelerator.Sequential);
            AssertClose(expected, output, ProjectionCases.ColumnScale(gradients, taskCount, parameterCount), $"T={taskCount} P={parameterCount} {pattern} {reduction}");
        }

        if (pattern == GradientPattern.Aligned)
        {
            Assert.Equal(0, workspace.ProjectionCount);
        }
        else if (pattern == GradientPattern.Opposed && taskCount > 1 && parameterCount >= 17)
        {
            Assert.True(workspace.ProjectionCount > 0);
        }
    }

    [Theory]
    [InlineData(2, 40_000)]
    [InlineData(10, 33_001)]
    public void MatchesTheDefinitionAcrossSeveralGramBlocksWithBothVectorWidthsAndBothGramMethods(int taskCount, int parameterCount)
    {
        float[] gradients = ProjectionCases.Gradients(taskCount, parameterCount, GradientPattern.Independent, salt: 7);
        int[] orders = ProjectionCases.RandomOrders(taskCount, seed: 5);
        double[] expected = ProjectionReference.PcGrad(gradients, taskCount, parameterCount, orders, GradientReduction.Mean, out double margin);
        Assert.True(margin > 1e-5, $"test data too close to a tie (|cos| = {margin})");
        double scale = ProjectionCases.ColumnScale(gradients, taskCount, parameterCount);
        var workspace = new ProjectionWorkspace(taskCount, parameterCount);
        using var accelerator = new CpuAccelerator(2);
        foreach (bool narrow in new[] { false, true })
        {
            float[] output = ProjectionCases.Poisoned(parameterCount);
            PcGrad.Run(gradients, taskCount, parameterCount, orders, GradientReduction.Mean, output, workspace, accelerator, GramMethod.Blocked, forceVector256: narrow);
            AssertClose(expected, output, scale, narrow ? "Vector256" : "widest");
        }

        float[] viaGemm = ProjectionCases.Poisoned(parameterCount);
        PcGrad.Project(gradients, taskCount, parameterCount, orders, GradientReduction.Mean, viaGemm, workspace, accelerator, GramMethod.Gemm);
        AssertClose(expected, viaGemm, scale, "Gemm Gram");
    }

    [Fact]
    public void TwoTaskExampleByHand()
    {
        // g0 = (1, 0), g1 = (−1, 1): g0·g1 = −1, so g0' = g0 + ½·g1 = (½, ½) and g1' = g1 + g0 = (0, 1).
        float[] gradients = [1, 0, -1, 1];
        float[] output = ProjectionCases.Poisoned(2);
        PcGrad.Project(gradients, 2, 2, [1, 0], GradientReduction.Sum, output);
        Assert.Equal([0.5f, 1.5f], output);
        PcGrad.Project(gradients, 2, 2, [1, 0], GradientReduction.Mean, output);
        Assert.Equal([0.25f, 0.75f], output);
    }

    [Fact]
    public void OrdersMatterAndProjectionIsAgainstTheOriginalGradients()
    {
        // Exact fractions from the definition; projecting against already-projected g_j instead
        // gives (−599/570, 119/114, 853/285) for the first orders, which this must not match.
        float[] gradients = [2, 0, 1, -1, 2, 0, -1, -1, 1];
        float[] output = ProjectionCases.Poisoned(3);
        PcGrad.Project(gradients, 3, 3, [1, 2, 0, 2, 0, 1], GradientReduction.Sum, output);
        AssertClose([-31.0 / 75, 107.0 / 75, 53.0 / 15], output, 1, "orders 1");
        PcGrad.Project(gradients, 3, 3, [2, 1, 2, 0, 1, 0], GradientReduction.Sum, output);
        AssertClose([4.0 / 25, 5.0 / 3, 256.0 / 75], output, 1, "orders 2");
    }

    [Fact]
    public void ZeroGradientsNeverProjectAndOneTaskIsItsOwnGradient()
    {
        float[] gradients = [1, -2, 0, 0, -3, 4];
        float[] output = ProjectionCases.Poisoned(2);
        PcGrad.Project(gradients, 3, 2, [1, 2, 0, 2, 0, 1], GradientReduction.Sum, output);
        double[] expected = ProjectionReference.PcGrad(gradients, 3, 2, [1, 2, 0, 2, 0, 1], GradientReduction.Sum, out _);
        AssertClose(expected, output, 10, "with a zero task");

        float[] single = [3, -1, 2];
        float[] singleOutput = ProjectionCases.Poisoned(3);
        PcGrad.Project(single, 1, 3, ReadOnlySpan<int>.Empty, GradientReduction.Mean, singleOutput);
        Assert.Equal(single, singleOutput);
        PcGrad.Project(single, 1, 3, 1, 2, 3, GradientReduction.Sum, singleOutput);
        Assert.Equal(single, singleOutput);

        // P = 0 is legal and writes nothing.
        PcGrad.Project([], 4, 0, 1, 2, 3, GradientReduction.Sum, Span<float>.Empty);
    }

    [Fact]
    public void PhiloxOverloadEqualsExplicitOrdersFromTheSameDraw()
    {
        const int t = 10, p = 1037;
        float[] gradients = ProjectionCases.Gradients(t, p, GradientPattern.Independent, salt: 3);
        int[] orders = new int[t * (t - 1)];
        PcGradOrders.Draw(orders, t, seed: 42, stream: 9, counter: 1234);
        float[] viaOrders = ProjectionCases.Poisoned(p), viaPhilox = ProjectionCases.Poisoned(p);
        PcGrad.Project(gradients, t, p, orders, GradientReduction.Sum, viaOrders);
        PcGrad.Project(gradients, t, p, 42, 9, 1234, GradientReduction.Sum, viaPhilox);
        Assert.Equal(viaOrders, viaPhilox);

        double[] expected = ProjectionReference.PcGrad(gradients, t, p, orders, GradientReduction.Sum, out _);
        AssertClose(expected, viaPhilox, ProjectionCases.ColumnScale(gradients, t, p), "Philox orders");
    }

    [Fact]
    public void IdenticalForOneAndTwoThreads()
    {
        const int t = 10, p = 100_003;
        float[] gradients = ProjectionCases.Gradients(t, p, GradientPattern.Opposed, salt: 11);
        using var one = new CpuAccelerator(1);
        using var two = new CpuAccelerator(2);
        foreach (bool narrow in new[] { false, true })
        {
            float[] a = ProjectionCases.Poisoned(p), b = ProjectionCases.Poisoned(p);
            var orders = new int[t * (t - 1)];
            PcGradOrders.Draw(orders, t, 1, 2, 3);
            PcGrad.Run(gradients, t, p, orders, GradientReduction.Mean, a, new ProjectionWorkspace(t, p), one, GramMethod.Blocked, narrow);
            PcGrad.Run(gradients, t, p, orders, GradientReduction.Mean, b, new ProjectionWorkspace(t, p), two, GramMethod.Blocked, narrow);
            Assert.True(a.AsSpan().SequenceEqual(b), $"1 and 2 threads differ (Vector256 forced: {narrow})");
        }
    }

    [Fact]
    public void InputsAreNotModified()
    {
        float[] gradients = ProjectionCases.Gradients(3, 17, GradientPattern.Opposed);
        float[] copy = (float[])gradients.Clone();
        PcGrad.Project(gradients, 3, 17, 5, 6, 7, GradientReduction.Sum, new float[17]);
        Assert.Equal(copy, gradients);
    }

    internal static void AssertClose(double[] expected, float[] actual, double scale, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double tolerance = 2e-5 * Math.Max(scale, 1e-30);
        for (int p = 0; p < expected.Length; p++)
        {
            double error = Math.Abs(actual[p] - expected[p]);
            if (!(error <= tolerance + 1e-5 * Math.Abs(expected[p])))
            {
                Assert.Fail($"{what}: element {p} is {actual[p]}, expected {expected[p]} (error {error:E2}, tolerance {tolerance:E2})");
            }
        }
    }
}
