using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Environments;
using Mtrl.Kernels.Gpu.Replay;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>Device CartPole steps go into the device replay without a host copy, and the replay holds what a CPU buffer fed the same transitions holds.</summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceCollectionTests(IlgpuCpuFixture fixture)
{
    [Fact]
    public void CartPoleStepsCollectedOnTheDeviceSampleLikeTheCpuBuffer()
    {
        const int n = 5;
        const int tasks = 2;
        ILGPU.Runtime.Accelerator accelerator = fixture.Device.Accelerator;
        var ranges = new CartPolePhysicsRanges(
            new UniformRange(0.5f, 1.5f), new UniformRange(0.05f, 0.2f), new UniformRange(0.3f, 0.7f), new UniformRange(5f, 15f));
        using var env = new DeviceCartPole(fixture.Device, n, ranges, maxEpisodeSteps: 12);
        using var assembler = new DeviceStepAssembler(fixture.Device, n, CartPoleRules.ObservationSize);
        var options = new DeviceReplayOptions { Capacity = n * 32, EnvCount = n, ObservationWidth = 4, TaskCount = tasks, Seed = 3 };
        using var replay = new DeviceReplay(fixture.Device, options);
        var cpu = new ReplayBuffer(new ReplayBufferOptions { Capacity = n * 32, EnvCount = n, ObservationWidth = 4, TaskCount = tasks, Seed = 3 });
        int[] taskIds = [0, 1, 1, 0, 1];
        using MemoryBuffer1D<int, Stride1D.Dense> deviceTasks = accelerator.Allocate1D(taskIds);
        using MemoryBuffer1D<int, Stride1D.Dense> actions = accelerator.Allocate1D<int>(n);
        var random = new System.Random(2);
        env.Reset(9);
        int finished = 0;
        for (int step = 0; step < 60; step++)
        {
            var chosen = new int[n];
            for (int e = 0; e < n; e++)
            {
                chosen[e] = random.Next(2);
            }

            actions.CopyFromCPU(chosen);
            assembler.Before(env.Observations.View);
            env.Step(actions.View);
            DeviceReplayStep deviceStep = env.ReplayStep(assembler, actions.View, deviceTasks.View);
            replay.Add(deviceStep);

            // The same transition, read back, for the CPU buffer and for checking the assembly.
            float[] previous = deviceStep.Observations.GetAsArray();
            float[] next = deviceStep.NextObservations.GetAsArray();
            float[] terminated = env.Terminated.GetAsArray1D();
            float[] truncated = env.Truncated.GetAsArray1D();
            float[] observations = env.Observations.GetAsArray1D();
            float[] finals = env.FinalObservations.GetAsArray1D();
            for (int e = 0; e < n; e++)
            {
                bool ended = terminated[e] != 0f || truncated[e] != 0f;
                finished += ended ? 1 : 0;
                for (int k = 0; k < 4; k++)
                {
                    Assert.Equal(ended ? finals[(e * 4) + k] : observations[(e * 4) + k], next[(e * 4) + k]);
                }
            }

            Assert.Equal(Array.ConvertAll(chosen, a => (float)a), deviceStep.Actions.GetAsArray());
            cpu.Add(new ReplayStep
            {
                Observations = previous, Actions = deviceStep.Actions.GetAsArray(), Rewards = env.Rewards.GetAsArray1D(), NextObservations = next,
                Terminated = Array.ConvertAll(terminated, f => f != 0f), Truncated = Array.ConvertAll(truncated, f => f != 0f), TaskIds = taskIds,
            });
        }

        Assert.True(finished > n, "too few episodes ended to exercise the final observations");
        replay.ThrowIfFaulted();
        DeviceEpisodeSnapshot episodes = replay.ReadEpisodes();
        Assert.Equal(cpu.Episodes.EpisodeLengths.ToArray(), episodes.EpisodeLengths);
        Assert.Equal(cpu.Episodes.ValidCounts.ToArray(), episodes.ValidCounts);
        foreach (bool balanced in new[] { false, true })
        {
            ReplayBatch cpuBatch = cpu.CreateBatch(50);
            using DeviceBatch batch = replay.CreateBatch(50);
            ReplayTwins.Poison(batch);
            if (balanced)
            {
                cpu.SampleBalanced(cpuBatch);
                replay.SampleBalanced(batch);
            }
            else
            {
                cpu.SampleUniform(cpuBatch);
                replay.SampleUniform(batch);
            }

            Assert.Equal(cpuBatch.Slots, batch.Slots.GetAsArray1D());
            Assert.Equal(cpuBatch.Observations, batch.Observations.GetAsArray1D());
            Assert.Equal(cpuBatch.NextObservations, batch.NextObservations.GetAsArray1D());
            Assert.Equal(cpuBatch.Actions, batch.Actions.GetAsArray1D());
            Assert.Equal(cpuBatch.Rewards, batch.Rewards.GetAsArray1D());
            Assert.Equal(cpuBatch.Terminated, batch.Terminated.GetAsArray1D());
            Assert.Equal(cpuBatch.Truncated, batch.Truncated.GetAsArray1D());
            Assert.Equal(cpuBatch.TaskIds, batch.TaskIds.GetAsArray1D());
        }
    }

    [Fact]
    public void AssemblerRefusesViewsOfTheWrongLength()
    {
        using var assembler = new DeviceStepAssembler(fixture.Device, 3, 4);
        using MemoryBuffer1D<float, Stride1D.Dense> shortRows = fixture.Device.Accelerator.Allocate1D<float>(11);
        var error = Assert.Throws<ArgumentException>(() => assembler.Before(shortRows.View));
        Assert.Contains("observations has 11 elements; it needs 12", error.Message, StringComparison.Ordinal);
    }
}
