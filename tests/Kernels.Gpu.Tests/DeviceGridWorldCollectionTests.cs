using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Environments;
using Mtrl.Kernels.Gpu.Replay;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>Device GridWorld steps go into a prioritized device replay without a host copy, and sample, update and sample again as a CPU buffer fed the same transitions.</summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceGridWorldCollectionTests(IlgpuCpuFixture fixture)
{
    [Fact]
    public void GridWorldStepsCollectedIntoAPrioritizedReplaySampleLikeTheCpuBuffer()
    {
        const int n = 6;
        var options = new GridWorldOptions
        {
            Layout = new GridWorldLayout(["....", ".#..", "...."], [new GridCell(0, 0), new GridCell(2, 3)]),
            Observation = Kernels.Environments.GridObservationKind.Coordinates,
            MaxEpisodeSteps = 7,
            StepCost = 0.1f,
        };
        int[] taskIds = [0, 1, 1, 0, 1, 0];
        ILGPU.Runtime.Accelerator accelerator = fixture.Device.Accelerator;
        using var env = new DeviceGridWorld(fixture.Device, options.Layout.Maze(), taskIds, options.StepParameters());
        using var assembler = new DeviceStepAssembler(fixture.Device, n, env.ObservationWidth);
        var replayOptions = new DeviceReplayOptions
        {
            Capacity = n * 16, EnvCount = n, ObservationWidth = 2, TaskCount = 2, Seed = 5, Prioritized = true, TaskBalancedPriorities = true,
        };
        using var replay = new DeviceReplay(fixture.Device, replayOptions);
        var cpu = new ReplayBuffer(new ReplayBufferOptions
        {
            Capacity = n * 16, EnvCount = n, ObservationWidth = 2, TaskCount = 2, Seed = 5, Prioritized = true, TaskBalancedPriorities = true,
        });
        using MemoryBuffer1D<int, Stride1D.Dense> actions = accelerator.Allocate1D<int>(n);
        var random = new System.Random(4);
        env.Reset(2);
        for (int step = 0; step < 40; step++)
        {
            int[] chosen = Enumerable.Range(0, n).Select(_ => random.Next(4)).ToArray();
            actions.CopyFromCPU(chosen);
            assembler.Before(env.Observations.View);
            env.Step(actions.View);
            DeviceReplayStep deviceStep = env.ReplayStep(assembler, actions.View);
            replay.Add(deviceStep);
            cpu.Add(new ReplayStep
            {
                Observations = deviceStep.Observations.GetAsArray(), Actions = deviceStep.Actions.GetAsArray(), Rewards = env.Rewards.GetAsArray1D(),
                NextObservations = deviceStep.NextObservations.GetAsArray(),
                Terminated = Array.ConvertAll(env.Terminated.GetAsArray1D(), f => f != 0f), Truncated = Array.ConvertAll(env.Truncated.GetAsArray1D(), f => f != 0f),
                TaskIds = taskIds,
            });
        }

        env.ThrowIfFaulted();
        replay.ThrowIfFaulted();
        foreach (bool balanced in new[] { false, true, false })
        {
            ReplayBatch cpuBatch = cpu.CreateBatch(45);
            using DeviceBatch batch = replay.CreateBatch(45);
            ReplayTwins.Poison(batch);
            if (balanced)
            {
                cpu.SamplePrioritizedBalanced(cpuBatch, 0.5f);
                replay.SamplePrioritizedBalanced(batch, 0.5f);
            }
            else
            {
                cpu.SamplePrioritized(cpuBatch, 0.5f);
                replay.SamplePrioritized(batch, 0.5f);
            }

            replay.ThrowIfFaulted();
            Assert.Equal(cpuBatch.Slots, batch.Slots.GetAsArray1D());
            Assert.Equal(cpuBatch.Observations, batch.Observations.GetAsArray1D());
            Assert.Equal(cpuBatch.NextObservations, batch.NextObservations.GetAsArray1D());
            Assert.Equal(cpuBatch.Actions, batch.Actions.GetAsArray1D());
            Assert.Equal(cpuBatch.Rewards, batch.Rewards.GetAsArray1D());
            Assert.Equal(cpuBatch.TaskIds, batch.TaskIds.GetAsArray1D());
            Assert.Equal(cpuBatch.Weights, batch.Weights.GetAsArray1D());

            // |reward| as the new priorities, as a learner would write |δ|.
            float[] priorities = cpuBatch.Rewards.Select(Math.Abs).ToArray();
            cpu.UpdatePriorities(cpuBatch.Slots, priorities);
            using MemoryBuffer1D<float, Stride1D.Dense> devicePriorities = accelerator.Allocate1D(priorities);
            replay.UpdatePriorities(batch.Slots.View, devicePriorities.View);
            replay.ThrowIfFaulted();
            Assert.Equal(cpu.MaxPriority, replay.ReadMaxPriority());
        }
    }
}
