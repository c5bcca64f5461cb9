using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Environments;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class DevicePointMassTests(IlgpuCpuFixture fixture)
{
    private static readonly PointMassTask[] Tasks =
    [
        new(Mass: 1f, Friction: 0.1f, WindX: 0f, WindY: 0f, StartX: 0f, StartY: 0f, StartHalfWidth: 0.5f, GoalX: 0.6f, GoalY: -0.4f, GoalHalfWidth: 0.3f),
        new(Mass: 2.5f, Friction: 0.4f, WindX: 0.3f, WindY: -0.2f, StartX: -0.5f, StartY: 0.5f, StartHalfWidth: 0.2f, GoalX: 0.1f, GoalY: 0.2f, GoalHalfWidth: 0.5f),
    ];

    [Theory]
    [InlineData(7, true, true, true)]
    [InlineData(1, false, false, false)]
    [InlineData(9, true, false, true)]
    public void TrajectoriesEqualTheCpuKernelsBitForBit(int n, bool sparse, bool terminateOnSuccess, bool goalInObservation)
    {
        var parameters = new PointMassStepParameters(
            TimeStep: 0.1f, MaxForce: 1f, ArenaHalfSize: 1f, SuccessRadius: 0.3f, SparseReward: sparse,
            TerminateOnSuccess: terminateOnSuccess, MaxEpisodeSteps: 11, GoalInObservation: goalInObservation);
        var taskIds = new int[n];
        for (int env = 0; env < n; env++)
        {
            taskIds[env] = env % Tasks.Length;
        }

        var cpu = new CpuPointMass(n, PointMassRules.ObservationWidth(goalInObservation), taskIds);
        using var device = new DevicePointMass(fixture.Device, Tasks, taskIds, parameters);
        cpu.Reset(parameters, seed: 5);
        device.Reset(5);
        cpu.AssertSame(device);
        var random = new System.Random(n);
        using MemoryBuffer1D<float, Stride1D.Dense> actions = fixture.Device.Accelerator.Allocate1D<float>(2 * n);
        int finished = 0;
        for (int step = 0; step < 50; step++)
        {
            var forces = new float[2 * n];
            for (int i = 0; i < forces.Length; i++)
            {
                forces[i] = (float)((random.NextDouble() * 3) - 1.5); // beyond ±1 to exercise the clamp
            }

            actions.CopyFromCPU(forces);
            cpu.Step(forces, parameters);
            device.Step(actions.View);
            cpu.AssertSame(device);
            finished += Array.FindAll(cpu.Finished, f => f).Length;
        }

        Assert.True(finished > 0, "no episode finished: autoreset was not exercised");
    }

    [Fact]
    public void RefusesBadTasksSizesAndStepsBeforeReset()
    {
        var parameters = new PointMassStepParameters(0.1f, 1f, 1f, 0.1f, true, true, 10, false);
        var task = Assert.Throws<ArgumentOutOfRangeException>(() => new DevicePointMass(fixture.Device, Tasks, [0, 2], parameters));
        Assert.Contains("taskIds[1] must be in [0, 2)", task.Message, StringComparison.Ordinal);
        var mass = Assert.Throws<ArgumentOutOfRangeException>(() => new DevicePointMass(fixture.Device, [Tasks[0] with { Mass = 0f }], [0], parameters));
        Assert.Contains("tasks[0].Mass must be a finite number > 0", mass.Message, StringComparison.Ordinal);
        using var device = new DevicePointMass(fixture.Device, Tasks, [0, 1], parameters);
        using MemoryBuffer1D<float, Stride1D.Dense> actions = fixture.Device.Accelerator.Allocate1D<float>(3);
        Assert.Throws<InvalidOperationException>(() => device.Step(actions.View));
        device.Reset(1);
        var error = Assert.Throws<ArgumentException>(() => device.Step(actions.View));
        Assert.Contains("actions has 3 elements; it needs 2 per environment (4)", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The CPU kernels on plain arrays.</summary>
    private sealed class CpuPointMass(int n, int width, int[] taskIds)
    {
        private readonly float[] _px = new float[n], _py = new float[n], _vx = new float[n], _vy = new float[n], _gx = new float[n], _gy = new float[n];
        private readonly int[] _steps = new int[n];
        private readonly uint[] _episodes = new uint[n];
        private readonly float[] _observations = new float[n * width], _finals = new float[n * width], _rewards = new float[n];
        private readonly bool[] _terminated = new bool[n], _truncated = new bool[n];
        private readonly float[] _achieved = new float[2 * n], _desired = new float[2 * n], _finalAchieved = new float[2 * n], _finalDesired = new float[2 * n];
        private ulong _seed;

        public bool[] Finished { get; } = new bool[n];

        public void Reset(PointMassStepParameters parameters, ulong seed)
        {
            _seed = seed;
            var kernel = new PointMassResetKernel(State(), Tasks, Outputs(), Goals(), parameters, seed);
            CpuAccelerator.Sequential.LaunchChunked(n, 1, in kernel);
        }

        public void Step(float[] actions, PointMassStepParameters parameters)
        {
            var kernel = new PointMassStepKernel(State(), Tasks, actions, Outputs(), Goals(), parameters, _seed);
            CpuAccelerator.Sequential.LaunchChunked(n, 1, in kernel);
        }

        public void AssertSame(DevicePointMass device)
        {
            Assert.Equal(_observations, device.Observations.GetAsArray1D());
            Assert.Equal(_finals, device.FinalObservations.GetAsArray1D());
            Assert.Equal(_rewards, device.Rewards.GetAsArray1D());
            Assert.Equal(Array.ConvertAll(_terminated, f => f ? 1f : 0f), device.Terminated.GetAsArray1D());
            Assert.Equal(Array.ConvertAll(_truncated, f => f ? 1f : 0f), device.Truncated.GetAsArray1D());
            Assert.Equal(_achieved, device.AchievedGoals.GetAsArray1D());
            Assert.Equal(_desired, device.DesiredGoals.GetAsArray1D());
            Assert.Equal(_finalAchieved, device.FinalAchievedGoals.GetAsArray1D());
            Assert.Equal(_finalDesired, device.FinalDesiredGoals.GetAsArray1D());
            Assert.Equal(_steps, device.Steps.GetAsArray1D());
            Assert.Equal(_episodes, device.Episodes.GetAsArray1D());
        }

        private PointMassState State() => new(_px, _py, _vx, _vy, _gx, _gy, _steps, _episodes, taskIds);

        private StepOutputs Outputs() => new(_observations, _rewards, _terminated, _truncated, Finished, _finals);

        private GoalOutputs Goals() => new(_achieved, _desired, _finalAchieved, _finalDesired);
    }
}
