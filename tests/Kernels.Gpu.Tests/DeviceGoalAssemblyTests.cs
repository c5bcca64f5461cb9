using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Environments;
using Mtrl.Kernels.Gpu.Replay;
using Mtrl.Runtime.Environments;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>
/// Goals through the device step assembler: the achieved and desired goals before a BitFlip step
/// and the next achieved goals after it (the final ones where an episode ended) equal what the CPU
/// loop stores from the CPU environment, step for step through many autoresets.
/// </summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceGoalAssemblyTests(IlgpuCpuFixture fixture)
{
    [Fact]
    public void BitFlipGoalsAreAssembledAsTheCpuLoopStoresThem()
    {
        const int envs = 5, bits = 4, steps = 40;
        var cpu = new BitFlipVectorEnvironment(envs, bits);
        cpu.Reset(9);
        using var device = new DeviceBitFlip(fixture.Device, envs, bits, bits);
        device.Reset(9);
        using var assembler = new DeviceStepAssembler(fixture.Device, envs, bits, bits);
        using MemoryBuffer1D<int, Stride1D.Dense> actions = fixture.Device.Accelerator.Allocate1D<int>(envs);
        using MemoryBuffer1D<int, Stride1D.Dense> tasks = fixture.Device.Accelerator.Allocate1D<int>(envs);
        tasks.MemSetToZero();
        var random = new System.Random(4);
        var nextAchieved = new float[envs * bits];
        int finished = 0;
        for (int step = 0; step < steps; step++)
        {
            float[] achieved = (float[])cpu.Buffers.AchievedGoals.Clone();
            float[] desired = (float[])cpu.Buffers.DesiredGoals.Clone();
            float[] observations = (float[])cpu.Buffers.Observations.Clone();
            int[] chosen = new int[envs];
            for (int e = 0; e < envs; e++)
            {
                chosen[e] = random.Next(bits);
            }

            assembler.Before(device.Observations.View, device.AchievedGoals.View, device.DesiredGoals.View);
            actions.CopyFromCPU(chosen);
            cpu.Step(chosen);
            device.Step(actions.View);
            DeviceReplayStep stored = assembler.After(
                device.Observations.View, device.FinalObservations.View, device.Rewards.View, device.Terminated.View, device.Truncated.View,
                actions.View, tasks.View, device.AchievedGoals.View, device.FinalAchievedGoals.View);
            cpu.Buffers.CopyNextAchievedGoals(nextAchieved);

            Assert.Equal(observations, Read(stored.Observations));
            Assert.Equal(achieved, Read(stored.AchievedGoals));
            Assert.Equal(desired, Read(stored.DesiredGoals));
            Assert.Equal(nextAchieved, Read(stored.NextAchievedGoals));
            Assert.Equal(Array.ConvertAll(chosen, a => (float)a), Read(stored.Actions));
            foreach (bool done in cpu.Buffers.Finished)
            {
                finished += done ? 1 : 0;
            }
        }

        Assert.True(finished > 2 * envs, "episodes must end (and autoreset) many times");
    }

    [Fact]
    public void TheGoalAndPlainOverloadsRefuseEachOthersAssembler()
    {
        using var plain = new DeviceStepAssembler(fixture.Device, 2, 3);
        using var goals = new DeviceStepAssembler(fixture.Device, 2, 3, 3);
        using MemoryBuffer1D<float, Stride1D.Dense> rows = fixture.Device.Accelerator.Allocate1D<float>(6);
        Assert.Contains("Before(observations, achievedGoals, desiredGoals)", Assert.Throws<InvalidOperationException>(() => goals.Before(rows.View)).Message);
        Assert.Contains("GoalWidth 0", Assert.Throws<InvalidOperationException>(() => plain.Before(rows.View, rows.View, rows.View)).Message);
        using MemoryBuffer1D<float, Stride1D.Dense> shortGoals = fixture.Device.Accelerator.Allocate1D<float>(5);
        Assert.Equal("achievedGoals", Assert.Throws<ArgumentException>(() => goals.Before(rows.View, shortGoals.View, rows.View)).ParamName);
    }

    private static float[] Read(ArrayView<float> view) => ArrayViewExtensions.GetAsArray1D((ArrayView1D<float, Stride1D.Dense>)view);
}
