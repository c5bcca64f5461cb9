using System;
using ILGPU;
using ILGPU.Runtime;
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
                twins.AssertSameHerSample(4099, Mtrl.Kernels.Replay.HerGoalStrategy.Future, 4, new Mtrl.Kernels.Replay.ThresholdGoalReward(0f, true));
            }
        }
    }
}
