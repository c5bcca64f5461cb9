using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Environments;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceBitFlipTests(IlgpuCpuFixture fixture)
{
    [Theory]
    [InlineData(11, 3, 3)]
    [InlineData(4, 64, 64)]
    [InlineData(1, 1, 2)]
    [InlineData(6, 40, 5)]
    public void EpisodesEqualTheCpuKernelsBitForBit(int n, int bits, int maxSteps)
    {
        var cpu = new CpuBitFlip(n, bits);
        using var device = new DeviceBitFlip(fixture.Device, n, bits, maxSteps);
        cpu.Reset(seed: 13);
        device.Reset(13);
        cpu.AssertSame(device);
        var random = new System.Random(bits);
        using MemoryBuffer1D<int, Stride1D.Dense> actions = fixture.Device.Accelerator.Allocate1D<int>(n);
        int successes = 0;
        for (int step = 0; step < 40; step++)
        {
            var chosen = new int[n];
            for (int env = 0; env < n; env++)
            {
                chosen[env] = random.Next(bits);
            }

            actions.CopyFromCPU(chosen);
            cpu.Step(chosen, maxSteps);
            device.Step(actions.View);
            cpu.AssertSame(device);
            successes += Array.FindAll(cpu.Terminated, t => t).Length;
        }

        if (bits <= 3)
        {
            Assert.True(successes > 0, "no episode reached its goal: the success path was not exercised");
        }
    }

    [Fact]
    public void RefusesBadBitsSizesAndStepsBeforeReset()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceBitFlip(fixture.Device, 2, 65, 10));
        Assert.Contains("bits must be in [1, 64]", error.Message, StringComparison.Ordinal);
        using var device = new DeviceBitFlip(fixture.Device, 2, 8, 8);
        using MemoryBuffer1D<int, Stride1D.Dense> actions = fixture.Device.Accelerator.Allocate1D<int>(3);
        Assert.Throws<InvalidOperationException>(() => device.Step(actions.View));
        device.Reset(1);
        Assert.Throws<ArgumentException>(() => device.Step(actions.View));
    }

    /// <summary>The CPU kernels on plain arrays.</summary>
    private sealed class CpuBitFlip(int n, int bits)
    {
        private readonly ulong[] _states = new ulong[n], _goals = new ulong[n];
        private readonly int[] _steps = new int[n];
        private readonly uint[] _episodes = new uint[n];
        private readonly float[] _observations = new float[n * bits], _finals = new float[n * bits], _rewards = new float[n];
        private readonly bool[] _truncated = new bool[n], _finished = new bool[n];
        private readonly float[] _achieved = new float[n * bits], _desired = new float[n * bits], _finalAchieved = new float[n * bits], _finalDesired = new float[n * bits];
        private ulong _seed;

        public bool[] Terminated { get; } = new bool[n];

        public void Reset(ulong seed)
        {
            _seed = seed;
            var kernel = new BitFlipResetKernel(State(), Outputs(), Goals(), bits, seed);
            CpuAccelerator.Sequential.LaunchChunked(n, 1, in kernel);
        }

        public void Step(int[] actions, int maxSteps)
        {
            var kernel = new BitFlipStepKernel(State(), actions, Outputs(), Goals(), bits, maxSteps, _seed);
            CpuAccelerator.Sequential.LaunchChunked(n, 1, in kernel);
        }

        public void AssertSame(DeviceBitFlip device)
        {
            Assert.Equal(_observations, device.Observations.GetAsArray1D());
            Assert.Equal(_finals, device.FinalObservations.GetAsArray1D());
            Assert.Equal(_rewards, device.Rewards.GetAsArray1D());
            Assert.Equal(Array.ConvertAll(Terminated, f => f ? 1f : 0f), device.Terminated.GetAsArray1D());
            Assert.Equal(Array.ConvertAll(_truncated, f => f ? 1f : 0f), device.Truncated.GetAsArray1D());
            Assert.Equal(_achieved, device.AchievedGoals.GetAsArray1D());
            Assert.Equal(_desired, device.DesiredGoals.GetAsArray1D());
            Assert.Equal(_finalAchieved, device.FinalAchievedGoals.GetAsArray1D());
            Assert.Equal(_finalDesired, device.FinalDesiredGoals.GetAsArray1D());
            Assert.Equal(_steps, device.Steps.GetAsArray1D());
            Assert.Equal(_episodes, device.Episodes.GetAsArray1D());
        }

        private BitFlipState State() => new(_states, _goals, _steps, _episodes);

        private StepOutputs Outputs() => new(_observations, _rewards, Terminated, _truncated, _finished, _finals);

        private GoalOutputs Goals() => new(_achieved, _desired, _finalAchieved, _finalDesired);
    }
}
