using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Learning;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Losses;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>The device TD loss against the CPU trainer's arithmetic (TemporalDifference and Loss): the same float steps, so equal bits.</summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceTdLossTests(IlgpuCpuFixture fixture)
{
    [Theory]
    [InlineData(1, 1, true, DeviceTdLossKind.Huber)]
    [InlineData(33, 3, true, DeviceTdLossKind.Huber)]
    [InlineData(33, 3, false, DeviceTdLossKind.Huber)]
    [InlineData(70, 6, true, DeviceTdLossKind.SquaredError)]
    [InlineData(70, 6, false, DeviceTdLossKind.SquaredError)]
    public void TargetsLossAndGradientHaveTheCpuBits(int batch, int actions, bool doubleDqn, DeviceTdLossKind kind)
    {
        var random = new System.Random((batch * 10) + actions);
        float[] rewards = Uniform(random, batch, -1, 1);
        float[] terminated = new float[batch];
        float[] taken = new float[batch];
        var takenInts = new int[batch];
        for (int i = 0; i < batch; i++)
        {
            terminated[i] = random.Next(3) == 0 ? 1f : 0f;
            takenInts[i] = random.Next(actions);
            taken[i] = takenInts[i];
        }

        // Values on a coarse grid, so argmax ties occur; magnitudes beyond δ = 1 so both Huber branches run.
        float[] q = Grid(random, batch * actions);
        float[] targetNext = Grid(random, batch * actions);
        float[] onlineNext = Grid(random, batch * actions);
        const float gamma = 0.97f;

        var targets = new float[batch];
        var chosen = new float[batch];
        var chosenGradient = new float[batch];
        var qGradient = new float[batch * actions];
        TemporalDifference.Targets(rewards, terminated, targetNext, doubleDqn ? onlineNext : default, batch, actions, gamma, targets);
        TemporalDifference.Chosen(q, takenInts, batch, actions, chosen);
        double loss = kind == DeviceTdLossKind.Huber ? Loss.Huber(chosen, targets, chosenGradient, batch) : Loss.MeanSquaredError(chosen, targets, chosenGradient, batch);
        TemporalDifference.Scatter(chosenGradient, takenInts, batch, actions, qGradient);

        ILGPU.Runtime.Accelerator accelerator = fixture.Device.Accelerator;
        using var td = new DeviceTdLoss(fixture.Device, batch + 5, actions);
        td.QGradient.CopyFromCPU(DeviceLayerOpsTests.Poison((batch + 5) * actions));
        td.Targets.CopyFromCPU(DeviceLayerOpsTests.Poison(batch + 5));
        using MemoryBuffer1D<float, Stride1D.Dense> dRewards = accelerator.Allocate1D(rewards);
        using MemoryBuffer1D<float, Stride1D.Dense> dTerminated = accelerator.Allocate1D(terminated);
        using MemoryBuffer1D<float, Stride1D.Dense> dTaken = accelerator.Allocate1D(taken);
        using MemoryBuffer1D<float, Stride1D.Dense> dQ = accelerator.Allocate1D(q);
        using MemoryBuffer1D<float, Stride1D.Dense> dTargetNext = accelerator.Allocate1D(targetNext);
        using MemoryBuffer1D<float, Stride1D.Dense> dOnlineNext = accelerator.Allocate1D(onlineNext);
        td.Compute(batch, dRewards.View, dTerminated.View, dTaken.View, dQ.View, dTargetNext.View, dOnlineNext.View, gamma, doubleDqn, kind);

        DeviceLayerOpsTests.AssertBits(targets, td.Targets.GetAsArray1D()[..batch]);
        DeviceLayerOpsTests.AssertBits(qGradient, td.QGradient.GetAsArray1D()[..(batch * actions)]);
        Assert.Equal(BitConverter.DoubleToInt64Bits(loss), BitConverter.DoubleToInt64Bits(td.ReadLoss()));
    }

    [Fact]
    public void AnActionOutsideTheRangeMakesTheLossNaN()
    {
        ILGPU.Runtime.Accelerator accelerator = fixture.Device.Accelerator;
        using var td = new DeviceTdLoss(fixture.Device, 4, 2);
        using MemoryBuffer1D<float, Stride1D.Dense> zeros = accelerator.Allocate1D<float>(8);
        zeros.MemSetToZero();
        foreach (float bad in new[] { 2f, -1f, 0.5f, float.NaN })
        {
            using MemoryBuffer1D<float, Stride1D.Dense> taken = accelerator.Allocate1D(new[] { 0f, bad, 1f, 0f });
            td.Compute(4, zeros.View, zeros.View, taken.View, zeros.View, zeros.View, zeros.View, 0.99f, doubleDqn: true);
            Assert.True(double.IsNaN(td.ReadLoss()), $"action {bad}");
        }
    }

    [Fact]
    public void BadArgumentsNameTheParameterAndRange()
    {
        using var td = new DeviceTdLoss(fixture.Device, 4, 3);
        using MemoryBuffer1D<float, Stride1D.Dense> small = fixture.Device.Accelerator.Allocate1D<float>(4);
        using MemoryBuffer1D<float, Stride1D.Dense> large = fixture.Device.Accelerator.Allocate1D<float>(12);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() =>
            td.Compute(5, large.View, large.View, large.View, large.View, large.View, large.View, 0.9f, true)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentOutOfRangeException>(() =>
            td.Compute(4, large.View, large.View, large.View, large.View, large.View, large.View, 1.5f, true)).ParamName);
        var error = Assert.Throws<ArgumentException>(() => td.Compute(4, large.View, large.View, large.View, small.View, large.View, large.View, 0.9f, true));
        Assert.Equal("q", error.ParamName);
        Assert.Contains("the batch needs 12", error.Message, StringComparison.Ordinal);
    }

    private static float[] Uniform(System.Random random, int length, double low, double high)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(low + ((high - low) * random.NextDouble()));
        }

        return values;
    }

    private static float[] Grid(System.Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = random.Next(-8, 9) * 0.75f;
        }

        return values;
    }
}
