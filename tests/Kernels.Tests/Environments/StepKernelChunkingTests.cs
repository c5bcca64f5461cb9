using System;
using Mtrl.Kernels.Environments;
using Xunit;

namespace Mtrl.Kernels.Tests.Environments;

/// <summary>
/// Launches the step kernels directly, once inline and once with every launch index its own chunk
/// on two threads: the outputs must agree bit for bit, whatever the chunk boundaries.
/// </summary>
public sealed class StepKernelChunkingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(203)]
    public void CartPoleStepIsIndependentOfChunking(int environments)
    {
        var ranges = new CartPolePhysicsRanges(new(0.5f, 2f), new(0.05f, 0.5f), new(0.25f, 1f), new(5f, 15f));
        var inline = new CartPoleArrays(environments);
        var chunked = new CartPoleArrays(environments);
        using var two = new CpuAccelerator(2, minimumGrain: 1);
        var random = new Random(1);
        int resets = 0;
        CpuAccelerator.Sequential.LaunchChunked(environments, 1, new CartPoleResetKernel(inline.State(), inline.Outputs(), ranges, 5));
        two.LaunchChunked(environments, 1, new CartPoleResetKernel(chunked.State(), chunked.Outputs(), ranges, 5));
        for (int t = 0; t < 150; t++)
        {
            int[] actions = new int[environments];
            for (int i = 0; i < environments; i++)
            {
                actions[i] = random.Next(2);
            }

            int groups = CartPoleStepKernel.GroupCount(environments);
            CpuAccelerator.Sequential.LaunchChunked(groups, 1, new CartPoleStepKernel(inline.State(), actions, inline.Outputs(), ranges, 40, 5));
            two.LaunchChunked(groups, 1, new CartPoleStepKernel(chunked.State(), actions, chunked.Outputs(), ranges, 40, 5));
            inline.AssertSame(chunked);
            resets += Array.FindAll(inline.Finished, f => f).Length;
        }

        Assert.True(resets >= environments, "every environment should have been autoreset at least once");
    }

    [Fact]
    public void BitFlipStepIsIndependentOfChunking()
    {
        const int environments = 300, bits = 7;
        var a = new BitFlipArrays(environments, bits);
        var b = new BitFlipArrays(environments, bits);
        using var two = new CpuAccelerator(2, minimumGrain: 1);
        var random = new Random(2);
        CpuAccelerator.Sequential.LaunchChunked(environments, 1, new BitFlipResetKernel(a.State(), a.Outputs(), a.Goals(), bits, 9));
        two.LaunchChunked(environments, 1, new BitFlipResetKernel(b.State(), b.Outputs(), b.Goals(), bits, 9));
        for (int t = 0; t < 60; t++)
        {
            int[] actions = new int[environments];
            for (int i = 0; i < environments; i++)
            {
                actions[i] = random.Next(bits);
            }

            CpuAccelerator.Sequential.LaunchChunked(environments, 1, new BitFlipStepKernel(a.State(), actions, a.Outputs(), a.Goals(), bits, bits, 9));
            two.LaunchChunked(environments, 1, new BitFlipStepKernel(b.State(), actions, b.Outputs(), b.Goals(), bits, bits, 9));
            Assert.Equal(a.Observations, b.Observations);
            Assert.Equal(a.Rewards, b.Rewards);
            Assert.Equal(a.Finished, b.Finished);
            Assert.Equal(a.DesiredGoals, b.DesiredGoals);
        }
    }

    [Fact]
    public void GoalRewardKernelSkipsEmptyOutputs()
    {
        float[] achieved = [1, 0, 1, 1, 0, 0];
        float[] desired = [1, 0, 1, 0, 0, 0];
        var rewards = new float[2];
        var success = new bool[2];
        CpuAccelerator.Sequential.LaunchChunked(2, 1, new BitFlipGoalRewardKernel(achieved, desired, 3, rewards, default));
        CpuAccelerator.Sequential.LaunchChunked(2, 1, new BitFlipGoalRewardKernel(achieved, desired, 3, default, success));
        Assert.Equal([0f, -1f], rewards);
        Assert.Equal([true, false], success);
    }

    private sealed class CartPoleArrays(int n)
    {
        private readonly float[] _x = new float[n], _xDot = new float[n], _theta = new float[n], _thetaDot = new float[n];
        private readonly float[] _force = new float[n], _massPole = new float[n], _totalMass = new float[n], _length = new float[n], _pml = new float[n];
        private readonly int[] _steps = new int[n];
        private readonly uint[] _episodes = new uint[n];
        private readonly float[] _observations = new float[4 * n], _final = new float[4 * n], _rewards = new float[n];
        private readonly bool[] _terminated = new bool[n], _truncated = new bool[n];

        public bool[] Finished { get; } = new bool[n];

        public CartPoleState State() => new(_x, _xDot, _theta, _thetaDot, _steps, _episodes, _force, _massPole, _totalMass, _length, _pml);

        public StepOutputs Outputs() => new(_observations, _rewards, _terminated, _truncated, Finished, _final);

        public void AssertSame(CartPoleArrays other)
        {
            Assert.Equal(_observations, other._observations);
            Assert.Equal(_final, other._final);
            Assert.Equal(_rewards, other._rewards);
            Assert.Equal(_terminated, other._terminated);
            Assert.Equal(_truncated, other._truncated);
            Assert.Equal(Finished, other.Finished);
            Assert.Equal(_force, other._force);
            Assert.Equal(_episodes, other._episodes);
        }
    }

    private sealed class BitFlipArrays(int n, int bits)
    {
        private readonly ulong[] _states = new ulong[n], _goals = new ulong[n];
        private readonly int[] _steps = new int[n];
        private readonly uint[] _episodes = new uint[n];
        private readonly float[] _final = new float[n * bits], _achieved = new float[n * bits];
        private readonly float[] _finalAchieved = new float[n * bits], _finalDesired = new float[n * bits];
        private readonly bool[] _terminated = new bool[n], _truncated = new bool[n];

        public float[] Observations { get; } = new float[n * bits];

        public float[] DesiredGoals { get; } = new float[n * bits];

        public float[] Rewards { get; } = new float[n];

        public bool[] Finished { get; } = new bool[n];

        public BitFlipState State() => new(_states, _goals, _steps, _episodes);

        public StepOutputs Outputs() => new(Observations, Rewards, _terminated, _truncated, Finished, _final);

        public GoalOutputs Goals() => new(_achieved, DesiredGoals, _finalAchieved, _finalDesired);
    }
}
