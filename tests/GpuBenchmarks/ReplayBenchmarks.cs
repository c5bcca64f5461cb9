using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Replay;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Replay;

namespace Mtrl.GpuBenchmarks;

/// <summary>
/// Uniform sample, HER sample (future, k = 4, threshold 0) and prioritized sample (β = 0.4; alone,
/// and after a priority update of the previous batch's slots, which makes the device rebuild its
/// sum tree) of 40-bit BitFlip-shaped transitions (float32 observations and goals of 40, 8 envs,
/// episodes of 40 steps) from a full, wrapped ring: the device replay against the CPU buffer with
/// the same contents.
/// </summary>
internal static class ReplayBenchmarks
{
    public const int Envs = 8;
    public const int Width = 40;
    private const int EpisodeLength = 40;

    public static IEnumerable<BenchmarkRow> Run(GpuDevice device, BenchmarkSizes sizes)
    {
        foreach (int capacity in sizes.ReplayCapacities)
        {
            var cpu = new ReplayBuffer(new ReplayBufferOptions
            {
                Capacity = capacity, EnvCount = Envs, ObservationWidth = Width, GoalWidth = Width, Seed = 1, Prioritized = true,
            });
            using var gpu = new DeviceReplay(device, new DeviceReplayOptions
            {
                Capacity = capacity, EnvCount = Envs, ObservationWidth = Width, GoalWidth = Width, Seed = 1, Prioritized = true,
            });
            Fill(device, cpu, gpu);
            var reward = new ThresholdGoalReward(0f, terminateOnSuccess: true);
            foreach (int batchSize in sizes.Batches)
            {
                ReplayBatch cpuBatch = cpu.CreateBatch(batchSize);
                using DeviceBatch gpuBatch = gpu.CreateBatch(batchSize);
                string size = $"{capacity:N0} / {batchSize:N0}";
                yield return new BenchmarkRow(
                    "replay uniform sample", size,
                    BenchmarkTimer.MedianMicroseconds(() => { gpu.SampleUniform(gpuBatch); device.Accelerator.Synchronize(); }, 3, sizes.Repetitions),
                    BenchmarkTimer.MedianMicroseconds(() => cpu.SampleUniform(cpuBatch), 3, sizes.Repetitions));
                yield return new BenchmarkRow(
                    "replay HER sample", size,
                    BenchmarkTimer.MedianMicroseconds(() => { gpu.SampleHer(gpuBatch, HerGoalStrategy.Future, 4, reward); device.Accelerator.Synchronize(); }, 3, sizes.Repetitions),
                    BenchmarkTimer.MedianMicroseconds(() => cpu.SampleHer(cpuBatch, HerOptions.Default, reward), 3, sizes.Repetitions));
                yield return new BenchmarkRow(
                    "replay prioritized sample", size,
                    BenchmarkTimer.MedianMicroseconds(() => { gpu.SamplePrioritized(gpuBatch, 0.4f); device.Accelerator.Synchronize(); }, 3, sizes.Repetitions),
                    BenchmarkTimer.MedianMicroseconds(() => cpu.SamplePrioritized(cpuBatch, 0.4f), 3, sizes.Repetitions));

                // Priorities of the last batch's slots (a fixed pattern), then the next sample: one PER step's replay work.
                float[] priorities = new float[batchSize];
                for (int i = 0; i < batchSize; i++)
                {
                    priorities[i] = 0.05f * (i % 41);
                }

                using MemoryBuffer1D<float, Stride1D.Dense> devicePriorities = device.Accelerator.Allocate1D(priorities);
                yield return new BenchmarkRow(
                    "priority update + prioritized sample", size,
                    BenchmarkTimer.MedianMicroseconds(
                        () =>
                        {
                            gpu.UpdatePriorities(gpuBatch.Slots.View, devicePriorities.View);
                            gpu.SamplePrioritized(gpuBatch, 0.4f);
                            device.Accelerator.Synchronize();
                        },
                        3, sizes.Repetitions),
                    BenchmarkTimer.MedianMicroseconds(
                        () =>
                        {
                            cpu.UpdatePriorities(cpuBatch.Slots, priorities);
                            cpu.SamplePrioritized(cpuBatch, 0.4f);
                        },
                        3, sizes.Repetitions));
            }

            gpu.ThrowIfFaulted();
        }
    }

    /// <summary>Adds capacity / envs + 20 rows of 0/1 data to both (so the ring has wrapped), one upload per row.</summary>
    public static void Fill(GpuDevice device, ReplayBuffer cpu, DeviceReplay gpu)
    {
        var random = new Random(7);
        float[] observations = new float[Envs * Width];
        float[] next = new float[Envs * Width];
        float[] achieved = new float[Envs * Width];
        float[] nextAchieved = new float[Envs * Width];
        float[] desired = new float[Envs * Width];
        float[] actions = new float[Envs];
        float[] rewards = new float[Envs];
        float[] terminated = new float[Envs];
        float[] truncated = new float[Envs];
        int[] tasks = new int[Envs];
        Accelerator accelerator = device.Accelerator;
        using MemoryBuffer1D<float, Stride1D.Dense> dObservations = accelerator.Allocate1D<float>(observations.Length);
        using MemoryBuffer1D<float, Stride1D.Dense> dNext = accelerator.Allocate1D<float>(next.Length);
        using MemoryBuffer1D<float, Stride1D.Dense> dAchieved = accelerator.Allocate1D<float>(achieved.Length);
        using MemoryBuffer1D<float, Stride1D.Dense> dNextAchieved = accelerator.Allocate1D<float>(nextAchieved.Length);
        using MemoryBuffer1D<float, Stride1D.Dense> dDesired = accelerator.Allocate1D<float>(desired.Length);
        using MemoryBuffer1D<float, Stride1D.Dense> dActions = accelerator.Allocate1D<float>(Envs);
        using MemoryBuffer1D<float, Stride1D.Dense> dRewards = accelerator.Allocate1D<float>(Envs);
        using MemoryBuffer1D<float, Stride1D.Dense> dTerminated = accelerator.Allocate1D<float>(Envs);
        using MemoryBuffer1D<float, Stride1D.Dense> dTruncated = accelerator.Allocate1D<float>(Envs);
        using MemoryBuffer1D<int, Stride1D.Dense> dTasks = accelerator.Allocate1D<int>(Envs);
        dTasks.CopyFromCPU(tasks);
        var step = new DeviceReplayStep
        {
            Observations = dObservations.View, NextObservations = dNext.View, Actions = dActions.View, Rewards = dRewards.View,
            Terminated = dTerminated.View, Truncated = dTruncated.View, TaskIds = dTasks.View,
            AchievedGoals = dAchieved.View, NextAchievedGoals = dNextAchieved.View, DesiredGoals = dDesired.View,
        };
        int rows = (cpu.Options.Capacity / Envs) + 20;
        for (int row = 0; row < rows; row++)
        {
            foreach (float[] field in new[] { observations, next, achieved, nextAchieved, desired })
            {
                for (int i = 0; i < field.Length; i++)
                {
                    field[i] = random.Next(2);
                }
            }

            bool end = (row + 1) % EpisodeLength == 0;
            for (int env = 0; env < Envs; env++)
            {
                actions[env] = random.Next(Width);
                rewards[env] = -1f;
                terminated[env] = 0f;
                truncated[env] = end ? 1f : 0f;
            }

            cpu.Add(new ReplayStep
            {
                Observations = observations, NextObservations = next, Actions = actions, Rewards = rewards,
                Terminated = Array.ConvertAll(terminated, f => f != 0f), Truncated = Array.ConvertAll(truncated, f => f != 0f), TaskIds = tasks,
                AchievedGoals = achieved, NextAchievedGoals = nextAchieved, DesiredGoals = desired,
            });
            dObservations.CopyFromCPU(observations);
            dNext.CopyFromCPU(next);
            dAchieved.CopyFromCPU(achieved);
            dNextAchieved.CopyFromCPU(nextAchieved);
            dDesired.CopyFromCPU(desired);
            dActions.CopyFromCPU(actions);
            dRewards.CopyFromCPU(rewards);
            dTerminated.CopyFromCPU(terminated);
            dTruncated.CopyFromCPU(truncated);
            gpu.Add(step);
        }

        gpu.ThrowIfFaulted();
    }
}
