using System;
using Xunit;

namespace Mtrl.Kernels.Tests.Projection;

public sealed class GradNormTests
{
    /// <summary>The paper's L_grad = Σ|w_i·n_i − Ḡ·r_i^α| with the targets held constant, as a function of w.</summary>
    private static double GradientLoss(double[] w, double[] unweightedNorms, double[] targets)
    {
        double loss = 0;
        for (int i = 0; i < w.Length; i++)
        {
            loss += Math.Abs(w[i] * unweightedNorms[i] - targets[i]);
        }

        return loss;
    }

    [Theory]
    [InlineData(1, 1.5)]
    [InlineData(2, 0.5)]
    [InlineData(3, 1.5)]
    [InlineData(10, 3.0)]
    [InlineData(10, 0.0)]
    public void MatchesTheDefinitionAndAFiniteDifferenceGradient(int taskCount, double alpha)
    {
        var random = new Random(taskCount * 7 + (int)(alpha * 10));
        var weights = new double[taskCount];
        var unweighted = new double[taskCount];
        var initial = new double[taskCount];
        var current = new double[taskCount];
        for (int i = 0; i < taskCount; i++)
        {
            weights[i] = 0.5 + random.NextDouble();
            unweighted[i] = 0.1 + 3 * random.NextDouble();
            initial[i] = 1 + random.NextDouble();
            current[i] = initial[i] * (0.2 + random.NextDouble());
        }

        double weightSum = 0;
        foreach (double w in weights)
        {
            weightSum += w;
        }

        for (int i = 0; i < taskCount; i++)
        {
            weights[i] *= taskCount / weightSum;
        }

        var norms = new double[taskCount];
        for (int i = 0; i < taskCount; i++)
        {
            norms[i] = weights[i] * unweighted[i];
        }

        // The definition, step by step.
        double meanRatio = 0, meanNorm = 0;
        for (int i = 0; i < taskCount; i++)
        {
            meanRatio += current[i] / initial[i] / taskCount;
            meanNorm += norms[i] / taskCount;
        }

        var targets = new double[taskCount];
        for (int i = 0; i < taskCount; i++)
        {
            targets[i] = meanNorm * Math.Pow(current[i] / initial[i] / meanRatio, alpha);
        }

        var gradient = new double[taskCount];
        double loss = GradNorm.LossGradient(weights, norms, initial, current, alpha, gradient);
        Assert.Equal(GradientLoss(weights, unweighted, targets), loss, 12);
        for (int i = 0; i < taskCount; i++)
        {
            const double h = 1e-7;
            double[] up = (double[])weights.Clone(), down = (double[])weights.Clone();
            up[i] += h;
            down[i] -= h;
            double numeric = (GradientLoss(up, unweighted, targets) - GradientLoss(down, unweighted, targets)) / (2 * h);
            Assert.Equal(numeric, gradient[i], 5);
        }

        const double lr = 0.025;
        double[] updated = (double[])weights.Clone();
        double returned = GradNorm.UpdateWeights(updated, norms, initial, current, alpha, lr);
        Assert.Equal(loss, returned, 12);
        double sum = 0;
        var expected = new double[taskCount];
        for (int i = 0; i < taskCount; i++)
        {
            expected[i] = weights[i] - lr * gradient[i];
            sum += expected[i];
        }

        for (int i = 0; i < taskCount; i++)
        {
            Assert.Equal(expected[i] * taskCount / sum, updated[i], 12);
        }
    }

    [Fact]
    public void TheSlowerTaskGainsWeight()
    {
        // Equal weights and norms; task 1's loss has fallen less, so its target norm is higher.
        double[] weights = [1, 1];
        GradNorm.UpdateWeights(weights, [2, 2], [1, 1], [0.2, 0.8], alpha: 1.5, learningRate: 0.1);
        Assert.True(weights[1] > weights[0]);
        Assert.Equal(2.0, weights[0] + weights[1], 12);
    }

    [Fact]
    public void ALargeStepIsFlooredBeforeRenormalising()
    {
        double[] weights = [1, 1];
        GradNorm.UpdateWeights(weights, [10, 0.1], [1, 1], [0.1, 1], alpha: 1, learningRate: 100, minimumWeight: 1e-3);
        Assert.All(weights, w => Assert.True(w > 0));
        Assert.Equal(2.0, weights[0] + weights[1], 12);
    }

    [Fact]
    public void AllLossesZeroMeansEveryTaskIsEquallyFarAlong()
    {
        var gradient = new double[2];
        double loss = GradNorm.LossGradient([1, 1], [1, 3], [1, 1], [0, 0], 1.5, gradient);
        Assert.Equal(2.0, loss, 12); // targets = mean norm = 2
        Assert.Equal([-1.0, 3.0], gradient); // sign(G_i − target)·G_i / w_i
    }
}
