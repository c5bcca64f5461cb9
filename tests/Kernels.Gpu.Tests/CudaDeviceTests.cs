using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Random;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>The device kernels on a real CUDA GPU against the CPU kernels; skipped (with the reason) without one.</summary>
public sealed class CudaDeviceTests
{
    [CudaFact]
    public void PhiloxFillsOnCudaEqualCpuFills()
    {
        using GpuDevice cuda = GpuDevice.Open(GpuDeviceKind.Cuda);
        var fill = new DevicePhiloxFill(cuda);
        const int length = 100_003;
        using MemoryBuffer1D<float, Stride1D.Dense> uniform = cuda.Accelerator.Allocate1D<float>(length);
        using MemoryBuffer1D<int, Stride1D.Dense> indices = cuda.Accelerator.Allocate1D<int>(length);
        fill.Uniform(uniform.View, 5, 6, 0xffff_f000UL);
        fill.Index(indices.View, 1_000_003, 5, 6, 7);
        var expectedUniform = new float[length];
        var expectedIndices = new int[length];
        PhiloxFill.Uniform(expectedUniform, 5, 6, 0xffff_f000UL);
        PhiloxFill.Index(expectedIndices, 1_000_003, 5, 6, 7);
        Assert.Equal(expectedUniform, uniform.GetAsArray1D());
        Assert.Equal(expectedIndices, indices.GetAsArray1D());
    }

    [CudaFact]
    public void DeviceReplayOnCudaSamplesWhatTheCpuBufferSamples()
    {
        using GpuDevice cuda = GpuDevice.Open(GpuDeviceKind.Cuda);
        using var twins = new ReplayTwins(cuda, envs: 64, rows: 256, tasks: 5, usedTasks: 4, maxEpisode: 300, goalWidth: 3, seed: 9);
        for (int step = 1; step <= 1024; step++)
        {
            twins.Step();
            if (step % 128 == 0 && twins.Cpu.SampleableCount > 0)
            {
                twins.AssertSameEpisodes();
                twins.AssertSameSample(4099, balanced: false);
                twins.AssertSameSample(4099, balanced: true);
                twins.AssertSameHerSample(4099, HerGoalStrategy.Future, 4, new Mtrl.Kernels.Replay.ThresholdGoalReward(0f, true));
            }
        }
    }

    [CudaFact]
    public void PcGradOnCudaAgreesWithTheCpuKernel()
    {
        const int taskCount = 10;
        const int parameterCount = 100_003;
        using GpuDevice cuda = GpuDevice.Open(GpuDeviceKind.Cuda);
        var random = new System.Random(1);
        var gradients = new float[taskCount * parameterCount];
        for (int i = 0; i < gradients.Length; i++)
        {
            gradients[i] = (float)((random.NextDouble() * 2) - 1 + (0.3 * Math.Sin(i % parameterCount)));
        }

        using var pcGrad = new Projection.DevicePcGrad(cuda, taskCount, parameterCount);
        using MemoryBuffer1D<float, Stride1D.Dense> device = cuda.Accelerator.Allocate1D(gradients);
        using MemoryBuffer1D<float, Stride1D.Dense> output = cuda.Accelerator.Allocate1D<float>(parameterCount);
        pcGrad.Project(device.View, 3, 11, 5, GradientReduction.Mean, output.View);
        var expected = new float[parameterCount];
        PcGrad.Project(gradients, taskCount, parameterCount, 3, 11, 5, GradientReduction.Mean, expected);
        var orders = new int[taskCount * (taskCount - 1)];
        PcGradOrders.Draw(orders, taskCount, 3, 11, 5);
        Assert.Equal(orders, pcGrad.Orders.GetAsArray1D());
        float[] actual = output.GetAsArray1D();
        for (int p = 0; p < parameterCount; p++)
        {
            Assert.True(Math.Abs(actual[p] - expected[p]) <= 1e-4 * (Math.Abs(expected[p]) + 1), $"output[{p}] = {actual[p]}, CPU {expected[p]}");
        }
    }

    [CudaFact]
    public void GemmOnCudaAgreesWithTheCpuGemm()
    {
        using GpuDevice cuda = GpuDevice.Open(GpuDeviceKind.Cuda);
        DeviceGemmTests.AssertMatchesCpuGemm(cuda, 300, 257, 129);
    }

    [CudaFact]
    public void DqnUpdatesOnCudaAgreeWithTheCpuTrainersUpdate()
    {
        using GpuDevice cuda = GpuDevice.Open(GpuDeviceKind.Cuda);
        DeviceDqnLearnerTests.AssertUpdatesMatchCpu(cuda, doubleDqn: true, clip: 10f, envs: 16, batchSize: 256, log: _ => { });
    }

    /// <summary>The GPU evaluates exp, log, sin and cos with its approximate instructions, so the tolerance is 10⁻⁵ rather than the emulator's 10⁻⁶.</summary>
    [CudaFact]
    public void SacUpdatesOnCudaAgreeWithSacTrainersUpdates()
    {
        using GpuDevice cuda = GpuDevice.Open(GpuDeviceKind.Cuda);
        DeviceSacLearnerTests.AssertUpdatesMatchSacTrainer(
            cuda, Mtrl.Contracts.TemperatureMode.PerTask, tasks: 2, oneHot: true, actorEvery: 1, targetEvery: 1, clip: 0f, softmaxWeights: false,
            batchSize: 256, hidden: 64, tolerance: 1e-5, log: _ => { });
    }

    [CudaFact]
    public void PrioritizedReplayOnCudaSamplesWhatTheCpuBufferSamples()
    {
        using GpuDevice cuda = GpuDevice.Open(GpuDeviceKind.Cuda);
        using var twins = new ReplayTwins(cuda, envs: 64, rows: 256, tasks: 5, usedTasks: 4, maxEpisode: 300, goalWidth: 0, seed: 9,
            prioritized: true, taskBalancedPriorities: true);
        var random = new System.Random(2);
        for (int step = 1; step <= 1024; step++)
        {
            twins.Step();
            if (step % 128 == 0 && twins.Cpu.SampleableCount > 0)
            {
                int[] slots = DevicePrioritizedReplayTests.AssertSameSample(twins, 4099, 0.4f, balanced: false);
                DevicePrioritizedReplayTests.Update(twins, slots, random);
                DevicePrioritizedReplayTests.AssertSameSample(twins, 4099, 0.6f, balanced: true);
            }
        }
    }

    [CudaFact]
    public void CaGradOnCudaAgreesWithTheCpuKernel()
    {
        const int taskCount = 10;
        const int parameterCount = 100_003;
        using GpuDevice cuda = GpuDevice.Open(GpuDeviceKind.Cuda);
        var random = new System.Random(4);
        var gradients = new float[taskCount * parameterCount];
        for (int i = 0; i < gradients.Length; i++)
        {
            gradients[i] = (float)((random.NextDouble() * 2) - 1 + (0.3 * Math.Sin(i % parameterCount)));
        }

        using var caGrad = new Projection.DeviceCaGrad(cuda, taskCount, parameterCount);
        using MemoryBuffer1D<float, Stride1D.Dense> device = cuda.Accelerator.Allocate1D(gradients);
        using MemoryBuffer1D<float, Stride1D.Dense> output = cuda.Accelerator.Allocate1D<float>(parameterCount);
        caGrad.Combine(device.View, 0.5, GradientReduction.Mean, output.View);
        var workspace = new ProjectionWorkspace(taskCount, parameterCount);
        var expected = new float[parameterCount];
        CaGrad.Combine(gradients, taskCount, parameterCount, 0.5, GradientReduction.Mean, expected, CaGradRescale.OnePlusCSquared, workspace);
        double[] weights = caGrad.Weights.GetAsArray1D();
        double largest = 0;
        for (int k = 0; k < taskCount; k++)
        {
            largest = Math.Max(largest, Math.Abs(workspace.Weights[k]));
        }

        for (int k = 0; k < taskCount; k++)
        {
            Assert.True(Math.Abs(weights[k] - workspace.Weights[k]) <= 1e-5 * largest, $"w[{k}] = {weights[k]}, CPU {workspace.Weights[k]}");
        }

        float[] actual = output.GetAsArray1D();
        for (int p = 0; p < parameterCount; p++)
        {
            Assert.True(Math.Abs(actual[p] - expected[p]) <= 1e-4 * (Math.Abs(expected[p]) + 1), $"output[{p}] = {actual[p]}, CPU {expected[p]}");
        }
    }

    [CudaFact]
    public void GridWorldOnCudaEqualsTheCpuEnvironment()
    {
        using GpuDevice cuda = GpuDevice.Open(GpuDeviceKind.Cuda);
        var options = new Mtrl.Runtime.Environments.GridWorldOptions { MaxEpisodeSteps = 30, StepCost = 0.1f };
        DeviceGridWorldTests.RunInLockstep(cuda, 4099, options, taskIds: null, steps: 100, expectSuccess: false);
    }
}
