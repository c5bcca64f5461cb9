using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Environments;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceCartPoleTests(IlgpuCpuFixture fixture)
{
    private static readonly CartPolePhysicsRanges Randomized = new(
        new UniformRange(0.5f, 1.5f), new UniformRange(0.05f, 0.2f), new UniformRange(0.3f, 0.7f), new UniformRange(5f, 15f));

    [Theory]
    [InlineData(13, 9, true)]
    [InlineData(1, 4, false)]
    [InlineData(33, 500, true)]
    public void ResetsEqualAndStepsAgreeWithTheCpuKernelsThroughAutoresets(int n, int maxSteps, bool randomized)
    {
        CartPolePhysicsRanges ranges = randomized ? Randomized : CartPolePhysicsRanges.CartPoleV1;
        var cpu = new CpuCartPole(n);
        using var device = new DeviceCartPole(fixture.Device, n, ranges, maxSteps);
        cpu.Reset(ranges, seed: 42);
        device.Reset(42);
        cpu.AssertSameStart(device, Enumerable(n));

        var random = new System.Random(n);
        using MemoryBuffer1D<int, Stride1D.Dense> actions = fixture.Device.Accelerator.Allocate1D<int>(n);
        int finishedSteps = 0;
        for (int step = 0; step < 40; step++)
        {
            var chosen = new int[n];
            for (int env = 0; env < n; env++)
            {
                chosen[env] = random.Next(2);
            }

            actions.CopyFromCPU(chosen);
            cpu.Step(chosen, ranges, maxSteps);
            device.Step(actions.View);
            finishedSteps += cpu.AssertSameStep(device);

            // Keep the trajectories in lockstep: the two sine implementations differ in the last bit.
            device.WriteState(cpu.X, cpu.XDot, cpu.Theta, cpu.ThetaDot, cpu.Steps);
        }

        Assert.True(finishedSteps > 0, "no episode finished: the autoreset path was not exercised");
    }

    [Fact]
    public void TaskPhysicsPerEnvironmentEqualTheCpuMultiTaskReset()
    {
        CartPoleTask[] tasks = [CartPoleTask.CartPoleV1, new CartPoleTask(2f, 0.3f, 0.8f, 12f)];
        int[] taskIds = [1, 0, 1, 1, 0];
        var cpu = new CpuCartPole(taskIds.Length);
        using var device = new DeviceCartPole(fixture.Device, tasks, taskIds, maxEpisodeSteps: 3);
        cpu.Reset(tasks, taskIds, seed: 7);
        device.Reset(7);
        cpu.AssertSameStart(device, Enumerable(taskIds.Length));
        using MemoryBuffer1D<int, Stride1D.Dense> actions = fixture.Device.Accelerator.Allocate1D<int>(taskIds.Length);
        for (int step = 0; step < 7; step++)
        {
            int[] chosen = [1, 0, 0, 1, 1];
            actions.CopyFromCPU(chosen);
            cpu.Step(chosen, tasks[0].Ranges, 3);
            device.Step(actions.View);
            cpu.AssertSameStep(device);
            device.WriteState(cpu.X, cpu.XDot, cpu.Theta, cpu.ThetaDot, cpu.Steps);
        }

        float[][] physics = device.ReadPhysics();
        Assert.Equal(12f, physics[0][0]);
        Assert.Equal(10f, physics[0][1]);
    }

    [Fact]
    public void RefusesStepsBeforeResetWrongSizesAndBadTasks()
    {
        using var device = new DeviceCartPole(fixture.Device, 4, CartPolePhysicsRanges.CartPoleV1);
        using MemoryBuffer1D<int, Stride1D.Dense> actions = fixture.Device.Accelerator.Allocate1D<int>(3);
        Assert.Throws<InvalidOperationException>(() => device.Step(actions.View));
        device.Reset(1);
        var error = Assert.Throws<ArgumentException>(() => device.Step(actions.View));
        Assert.Contains("actions has 3 elements; it needs one per environment (4)", error.Message, StringComparison.Ordinal);
        var task = Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceCartPole(fixture.Device, [CartPoleTask.CartPoleV1], [0, 1]));
        Assert.Contains("taskIds[1] must be in [0, 1)", task.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceCartPole(
            fixture.Device, 2, CartPolePhysicsRanges.CartPoleV1 with { MassPole = new UniformRange(-1f, 1f) }));
    }

    private static int[] Enumerable(int n)
    {
        var all = new int[n];
        for (int i = 0; i < n; i++)
        {
            all[i] = i;
        }

        return all;
    }

    /// <summary>The CPU kernels on plain arrays: the reference the device environment is held against.</summary>
    private sealed class CpuCartPole(int n)
    {
        public float[] X { get; } = new float[n];
        public float[] XDot { get; } = new float[n];
        public float[] Theta { get; } = new float[n];
        public float[] ThetaDot { get; } = new float[n];
        public int[] Steps { get; } = new int[n];
        public uint[] Episodes { get; } = new uint[n];
        public float[][] Physics { get; } = [new float[n], new float[n], new float[n], new float[n], new float[n]];
        public float[] Observations { get; } = new float[n * 4];
        public float[] FinalObservations { get; } = new float[n * 4];
        public float[] Rewards { get; } = new float[n];
        public bool[] Terminated { get; } = new bool[n];
        public bool[] Truncated { get; } = new bool[n];
        public bool[] Finished { get; } = new bool[n];

        public void Reset(CartPolePhysicsRanges ranges, ulong seed)
        {
            _seed = seed;
            var kernel = new CartPoleResetKernel(State(), Outputs(), ranges, seed);
            CpuAccelerator.Sequential.LaunchChunked(n, 1, in kernel);
        }

        public void Reset(CartPoleTask[] tasks, int[] taskIds, ulong seed)
        {
            _seed = seed;
            var kernel = new CartPoleResetKernel(State(), Outputs(), tasks, taskIds, seed);
            CpuAccelerator.Sequential.LaunchChunked(n, 1, in kernel);
        }

        public void Step(int[] actions, CartPolePhysicsRanges ranges, int maxSteps)
        {
            var kernel = new CartPoleStepKernel(State(), actions, Outputs(), ranges, maxSteps, _seed);
            CpuAccelerator.Sequential.LaunchChunked(CartPoleStepKernel.GroupCount(n), 1, in kernel);
        }

        /// <summary>Episode starts are equal bit for bit: state, observation, physics, counters.</summary>
        public void AssertSameStart(DeviceCartPole device, int[] envs)
        {
            (float[] x, float[] xDot, float[] theta, float[] thetaDot) = device.ReadState();
            float[] observations = device.Observations.GetAsArray1D();
            float[][] physics = device.ReadPhysics();
            foreach (int env in envs)
            {
                Assert.Equal(X[env], x[env]);
                Assert.Equal(XDot[env], xDot[env]);
                Assert.Equal(Theta[env], theta[env]);
                Assert.Equal(ThetaDot[env], thetaDot[env]);
                for (int k = 0; k < 4; k++)
                {
                    Assert.Equal(Observations[(env * 4) + k], observations[(env * 4) + k]);
                }

                for (int f = 0; f < Physics.Length; f++)
                {
                    Assert.Equal(Physics[f][env], physics[f][env]);
                }
            }

            Assert.Equal(Steps, device.Steps.GetAsArray1D());
            Assert.Equal(Episodes, device.Episodes.GetAsArray1D());
        }

        /// <summary>Flags, rewards and counters equal; restarted envs equal bit for bit; stepped values within the sine error. Returns how many envs finished.</summary>
        public int AssertSameStep(DeviceCartPole device)
        {
            Assert.Equal(Array.ConvertAll(Terminated, f => f ? 1f : 0f), device.Terminated.GetAsArray1D());
            Assert.Equal(Array.ConvertAll(Truncated, f => f ? 1f : 0f), device.Truncated.GetAsArray1D());
            Assert.Equal(Rewards, device.Rewards.GetAsArray1D());
            Assert.Equal(Episodes, device.Episodes.GetAsArray1D());
            Assert.Equal(Steps, device.Steps.GetAsArray1D());
            float[] observations = device.Observations.GetAsArray1D();
            float[] finals = device.FinalObservations.GetAsArray1D();
            var finished = new System.Collections.Generic.List<int>();
            for (int env = 0; env < n; env++)
            {
                for (int k = 0; k < 4; k++)
                {
                    int i = (env * 4) + k;
                    if (Finished[env])
                    {
                        Assert.Equal(Observations[i], observations[i]);
                        Assert.True(Math.Abs(FinalObservations[i] - finals[i]) <= 1e-5f, $"final observation {i}: {finals[i]} vs CPU {FinalObservations[i]}");
                    }
                    else
                    {
                        Assert.True(Math.Abs(Observations[i] - observations[i]) <= 1e-5f, $"observation {i}: {observations[i]} vs CPU {Observations[i]}");
                    }
                }

                if (Finished[env])
                {
                    finished.Add(env);
                }
            }

            AssertSameStart(device, finished.ToArray());
            return finished.Count;
        }

        private ulong _seed;

        private CartPoleState State() => new(X, XDot, Theta, ThetaDot, Steps, Episodes, Physics[0], Physics[1], Physics[2], Physics[3], Physics[4]);

        private StepOutputs Outputs() => new(Observations, Rewards, Terminated, Truncated, Finished, FinalObservations);
    }
}
