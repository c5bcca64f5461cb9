using System;
using Xunit;

namespace Mtrl.Kernels.Tests.Projection;

public sealed class GradientGramTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 17)]
    [InlineData(10, 1037)]
    [InlineData(5, 40_001)]
    [InlineData(17, 3)]
    public void BothMethodsMatchFloat64DotProducts(int taskCount, int parameterCount)
    {
        float[] gradients = ProjectionCases.Gradients(taskCount, parameterCount, GradientPattern.Independent, salt: 5);
        double[][] rows = ProjectionReference.Rows(gradients, taskCount, parameterCount);
        var workspace = new ProjectionWorkspace(taskCount, parameterCount);
        using var accelerator = new CpuAccelerator(2);
        foreach (GramMethod method in new[] { GramMethod.Blocked, GramMethod.Gemm })
        {
            var gram = new double[taskCount * taskCount];
            Array.Fill(gram, double.NaN);
            GradientGram.Compute(gradients, taskCount, parameterCount, gram, workspace, accelerator, method);
            for (int i = 0; i < taskCount; i++)
            {
                for (int j = 0; j < taskCount; j++)
                {
                    double expected = ProjectionReference.Dot(rows[i], rows[j]);
                    double bound = Math.Sqrt(ProjectionReference.Dot(rows[i], rows[i]) * ProjectionReference.Dot(rows[j], rows[j]));
                    Assert.True(Math.Abs(gram[i * taskCount + j] - expected) <= 1e-5 * bound, $"{method} G[{i},{j}] = {gram[i * taskCount + j]}, expected {expected}");
                    Assert.Equal(gram[i * taskCount + j], gram[j * taskCount + i]);
                }
            }
        }
    }

    [Fact]
    public void BlockedGramIsIdenticalForOneAndTwoThreadsAndBothVectorWidthsAgree()
    {
        const int t = 7, p = 150_001;
        float[] gradients = ProjectionCases.Gradients(t, p, GradientPattern.Opposed, salt: 6);
        using var one = new CpuAccelerator(1);
        using var two = new CpuAccelerator(2);
        var workspace = new ProjectionWorkspace(t, p);
        double[] a = new double[t * t], b = new double[t * t], narrow = new double[t * t];
        GradientGram.ComputeUnchecked(gradients, t, p, a, workspace, one, GramMethod.Blocked);
        GradientGram.ComputeUnchecked(gradients, t, p, b, workspace, two, GramMethod.Blocked);
        GradientGram.ComputeUnchecked(gradients, t, p, narrow, workspace, two, GramMethod.Blocked, forceVector256: true);
        Assert.Equal(a, b);
        for (int e = 0; e < a.Length; e++)
        {
            Assert.Equal(a[e], narrow[e], Math.Abs(a[e]) * 1e-5 + 1e-3);
        }
    }

    [Fact]
    public void WeightedSumMatchesFloat64AndIsIdenticalForOneAndTwoThreads()
    {
        const int t = 6, p = 100_019;
        float[] gradients = ProjectionCases.Gradients(t, p, GradientPattern.Independent, salt: 8);
        double[] weights = [0.5, -1.25, 2, 0, 1e-3, -0.75];
        using var one = new CpuAccelerator(1);
        using var two = new CpuAccelerator(2);
        float[] a = ProjectionCases.Poisoned(p), b = ProjectionCases.Poisoned(p), narrow = ProjectionCases.Poisoned(p);
        WeightedGradientSum.Combine(gradients, t, p, weights, a, one);
        WeightedGradientSum.Combine(gradients, t, p, weights, b, two);
        WeightedGradientSum.CombineUnchecked(gradients, t, p, weights, new float[t], narrow, two, forceVector256: true);
        Assert.True(a.AsSpan().SequenceEqual(b));
        Assert.True(a.AsSpan().SequenceEqual(narrow), "vector body and scalar tail must round alike (fused multiply-adds)");
        var expected = new double[p];
        for (int k = 0; k < t; k++)
        {
            for (int i = 0; i < p; i++)
            {
                expected[i] += weights[k] * gradients[k * p + i];
            }
        }

        PcGradTests.AssertClose(expected, a, 2 * ProjectionCases.ColumnScale(gradients, t, p), "weighted sum");
    }
}
