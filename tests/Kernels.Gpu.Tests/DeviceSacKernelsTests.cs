using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Learning;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>
/// The SAC row kernels against plain loops written as <c>SacTrainer</c> and <c>ActorCriticTrainer</c>
/// write them (targets, critic rows, actor rows, the float64 means, the temperature gradient, row
/// and Soft-Module task weights): bits equal on the ILGPU CPU accelerator, outputs poisoned first,
/// batches that fill no whole group, ties between the critics, per-task and single temperatures.
/// </summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceSacKernelsTests(IlgpuCpuFixture fixture)
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(13, 3, 3)]
    [InlineData(37, 4, 1)]
    public void RowKernelsHaveTheCpuLoopsBits(int rows, int tasks, int slots)
    {
        var random = new System.Random((rows * 10) + tasks);
        float[] rewards = Values(random, rows, 2f);
        float[] terminated = Enumerable.Range(0, rows).Select(i => i % 3 == 0 ? 1f : 0f).ToArray();
        int[] taskIds = Enumerable.Range(0, rows).Select(_ => random.Next(tasks)).ToArray();
        float[] q = Values(random, rows, 3f);
        float[] twinQ = Values(random, rows, 3f);
        twinQ[0] = q[0]; // a tie: the first critic takes the gradient
        float[] logp = Values(random, rows, 4f);
        float[] logAlpha = Values(random, slots, 1f);
        float[] targets = Values(random, rows, 2f);
        var settings = new DeviceSacSettings(rows, tasks, slots, 0.97f, -2.5);

        // The CPU's loops.
        double[] taskWeights = new double[tasks];
        double max = double.NegativeInfinity;
        float[] perTaskLogAlpha = Enumerable.Range(0, tasks).Select(t => logAlpha[slots == 1 ? 0 : t]).ToArray();
        for (int t = 0; t < tasks; t++) max = Math.Max(max, -perTaskLogAlpha[t]);
        double sum = 0;
        for (int t = 0; t < tasks; t++)
        {
            taskWeights[t] = Math.Exp(-perTaskLogAlpha[t] - max);
            sum += taskWeights[t];
        }

        for (int t = 0; t < tasks; t++) taskWeights[t] = tasks * taskWeights[t] / sum;
        float[] rowWeights = taskIds.Select(t => (float)taskWeights[t]).ToArray();
        float Alpha(int task) => (float)Math.Exp(logAlpha[slots == 1 ? 0 : task]);
        var expectedTargets = new float[rows];
        var criticGradient = new float[rows];
        var criticRowLoss = new double[rows];
        var actorRowLoss = new double[rows];
        var logpGradient = new float[rows];
        var firstGradient = new float[rows];
        var secondGradient = new float[rows];
        var alphaGradient = new float[slots];
        double alphaLoss = 0, criticLoss = 0;
        for (int i = 0; i < rows; i++)
        {
            float value = MathF.Min(q[i], twinQ[i]) - Alpha(taskIds[i]) * logp[i];
            expectedTargets[i] = rewards[i] + 0.97f * (1f - terminated[i]) * value;
            float error = q[i] - targets[i];
            criticRowLoss[i] = (double)rowWeights[i] * error * error;
            criticLoss += criticRowLoss[i];
            criticGradient[i] = 2f * rowWeights[i] * error / rows;
            float alpha = Alpha(taskIds[i]);
            bool first = q[i] <= twinQ[i];
            float rowLoss = alpha * logp[i] - (first ? q[i] : twinQ[i]);
            actorRowLoss[i] = rowWeights[i] * rowLoss;
            logpGradient[i] = rowWeights[i] * alpha / rows;
            firstGradient[i] = first ? -rowWeights[i] / rows : 0f;
            secondGradient[i] = first ? 0f : -rowWeights[i] / rows;
            int slot = slots == 1 ? 0 : taskIds[i];
            double excess = logp[i] + -2.5;
            alphaGradient[slot] -= (float)(excess / rows);
            alphaLoss -= logAlpha[slot] * excess;
        }

        // The device kernels, outputs poisoned.
        ILGPU.Runtime.Accelerator accelerator = fixture.Device.Accelerator;
        using var dRewards = accelerator.Allocate1D(rewards);
        using var dTerminated = accelerator.Allocate1D(terminated);
        using var dTasks = accelerator.Allocate1D(taskIds);
        using var dQ = accelerator.Allocate1D(q);
        using var dTwinQ = accelerator.Allocate1D(twinQ);
        using var dLogp = accelerator.Allocate1D(logp);
        using var dLogAlpha = accelerator.Allocate1D(logAlpha);
        using var dTargetsIn = accelerator.Allocate1D(targets);
        using var dAlphas = accelerator.Allocate1D(Poison(slots));
        using var dTaskWeights = accelerator.Allocate1D(Enumerable.Repeat(double.NaN, tasks).ToArray());
        using var dRowWeights = accelerator.Allocate1D(Poison(rows));
        using var dTargets = accelerator.Allocate1D(Poison(rows));
        using var dCriticGradient = accelerator.Allocate1D(Poison(rows));
        using var dRowLosses = accelerator.Allocate1D(Enumerable.Repeat(double.NaN, rows).ToArray());
        using var dLosses = accelerator.Allocate1D(Enumerable.Repeat(double.NaN, 3).ToArray());
        using var dLogpGradient = accelerator.Allocate1D(Poison(rows));
        using var dFirst = accelerator.Allocate1D(Poison(rows));
        using var dSecond = accelerator.Allocate1D(Poison(rows));
        using var dAlphaGradient = accelerator.Allocate1D(Poison(slots));
        using var dAlphaLoss = accelerator.Allocate1D(new[] { double.NaN, double.NaN });

        accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(DeviceSacKernels.Temperatures)(slots, dLogAlpha.View, dAlphas.View);
        using var dPerTaskLogAlpha = accelerator.Allocate1D(perTaskLogAlpha);
        accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, int>(DeviceSacKernels.SoftmaxTaskWeights)(1, dPerTaskLogAlpha.View, dTaskWeights.View, tasks);
        accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<double>, ArrayView<float>, DeviceSacSettings>(DeviceSacKernels.RowWeights)(
            rows, dTasks.View, dTaskWeights.View, dRowWeights.View, settings);
        accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, DeviceSacSettings>(DeviceSacKernels.Targets)(
            rows, dRewards.View, dTerminated.View, dTasks.View, dQ.View, dTwinQ.View, dLogp.View, dAlphas.View, dTargets.View, settings);
        accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, DeviceSacSettings>(
            DeviceSacKernels.CriticRows)(rows, dQ.View, dTargetsIn.View, dRowWeights.View, dCriticGradient.View, dRowLosses.View, settings);
        var meanLoss = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, int, int>(DeviceSacKernels.MeanLoss);
        meanLoss(1, dRowLosses.View, dLosses.View, 0, rows);
        Assert.Equal(criticRowLoss, dRowLosses.GetAsArray1D());
        accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, DeviceSacSettings>(DeviceSacKernels.ActorRows)(
            rows, dQ.View, dTwinQ.View, dLogp.View, dTasks.View, dAlphas.View, dRowWeights.View, dLogpGradient.View, dFirst.View, dSecond.View, dRowLosses.View, settings);
        meanLoss(1, dRowLosses.View, dLosses.View, 2, rows);
        accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<double>, ArrayView<double>,
            DeviceSacSettings>(DeviceSacKernels.TemperatureGradient)(1, dLogp.View, dTasks.View, dLogAlpha.View, dAlphaGradient.View, dAlphaLoss.View, dLosses.View.SubView(2, 1), settings);

        Assert.Equal(taskWeights, dTaskWeights.GetAsArray1D());
        AssertBits(rowWeights, dRowWeights.GetAsArray1D());
        AssertBits(expectedTargets, dTargets.GetAsArray1D());
        AssertBits(criticGradient, dCriticGradient.GetAsArray1D());
        AssertBits(logpGradient, dLogpGradient.GetAsArray1D());
        AssertBits(firstGradient, dFirst.GetAsArray1D());
        AssertBits(secondGradient, dSecond.GetAsArray1D());
        Assert.Equal(actorRowLoss, dRowLosses.GetAsArray1D());
        double[] losses = dLosses.GetAsArray1D();
        Assert.Equal(criticLoss / rows, losses[0]);
        Assert.True(double.IsNaN(losses[1]), "only the asked loss cell is written");
        Assert.Equal(actorRowLoss.Sum() / rows, losses[2], 15);
        AssertBits(alphaGradient, dAlphaGradient.GetAsArray1D());
        Assert.Equal(new[] { alphaLoss / rows, alphaLoss / rows }, dAlphaLoss.GetAsArray1D());
    }

    [Fact]
    public void MinKeepsNaNAndATaskOutsideTheRangeMakesTheRowNaN()
    {
        ILGPU.Runtime.Accelerator accelerator = fixture.Device.Accelerator;
        var settings = new DeviceSacSettings(3, 2, 2, 0.9f, -1);
        using var rewards = accelerator.Allocate1D(new[] { 1f, 1f, 1f });
        using var terminated = accelerator.Allocate1D(new float[3]);
        using var tasks = accelerator.Allocate1D(new[] { 0, 2, 1 });
        using var q = accelerator.Allocate1D(new[] { float.NaN, 0f, 0f });
        using var twinQ = accelerator.Allocate1D(new[] { 0f, 0f, float.NaN });
        using var logp = accelerator.Allocate1D(new float[3]);
        using var alphas = accelerator.Allocate1D(new[] { 1f, 1f });
        using var targets = accelerator.Allocate1D<float>(3);
        accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, DeviceSacSettings>(DeviceSacKernels.Targets)(
            3, rewards.View, terminated.View, tasks.View, q.View, twinQ.View, logp.View, alphas.View, targets.View, settings);
        Assert.All(targets.GetAsArray1D(), t => Assert.True(float.IsNaN(t)));
    }

    private static float[] Values(System.Random random, int length, float scale)
        => Enumerable.Range(0, length).Select(_ => (float)(((random.NextDouble() * 2) - 1) * scale)).ToArray();

    private static float[] Poison(int length) => Enumerable.Repeat(float.NaN, length).ToArray();

    private static void AssertBits(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"[{i}] device {actual[i]:R}, CPU {expected[i]:R}");
        }
    }
}
