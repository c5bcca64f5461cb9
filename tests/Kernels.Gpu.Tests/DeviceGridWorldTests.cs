using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Environments;
using Mtrl.Runtime.Environments;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceGridWorldTests(IlgpuCpuFixture fixture)
{
    /// <summary>A 3 × 4 room with one wall and goals close to every start, so random walks reach them often.</summary>
    private static GridWorldLayout SmallRoom() => new(["....", ".#..", "...."], [new GridCell(0, 0), new GridCell(2, 3), new GridCell(1, 2)]);

    [Theory]
    [InlineData(1, false, 7, 0f)]
    [InlineData(13, false, 100, 0.1f)]
    [InlineData(37, true, 5, 0.25f)]
    [InlineData(33, true, 1, 0f)]
    public void FourRoomsStepsEqualTheCpuEnvironment(int n, bool coordinates, int maxSteps, float stepCost)
    {
        var options = new GridWorldOptions
        {
            Observation = coordinates ? GridObservationKind.Coordinates : GridObservationKind.OneHot,
            MaxEpisodeSteps = maxSteps,
            StepCost = stepCost,
            GoalReward = 2.5f,
        };
        RunInLockstep(fixture.Device, n, options, taskIds: null, steps: 60, expectSuccess: false);
    }

    [Theory]
    [InlineData(9, false)]
    [InlineData(17, true)]
    public void SmallRoomWithExplicitTasksReachesGoalsInStepWithTheCpu(int n, bool coordinates)
    {
        var options = new GridWorldOptions
        {
            Layout = SmallRoom(),
            Observation = coordinates ? GridObservationKind.Coordinates : GridObservationKind.OneHot,
            MaxEpisodeSteps = 6,
            StepCost = 0.5f,
        };
        int[] tasks = Enumerable.Range(0, n).Select(i => (i * 7) % 3).ToArray();
        RunInLockstep(fixture.Device, n, options, tasks, steps: 80, expectSuccess: true);
    }

    [Fact]
    public void RefusesABadActionWholeAndContinuesInStep()
    {
        var options = new GridWorldOptions { Layout = SmallRoom(), MaxEpisodeSteps = 4 };
        const int n = 5;
        var cpu = new GridWorldVectorEnvironment(n, options);
        using var device = Create(fixture.Device, n, options, null);
        cpu.Reset(3);
        device.Reset(3);
        using MemoryBuffer1D<int, Stride1D.Dense> actions = fixture.Device.Accelerator.Allocate1D<int>(n);
        int[] good = [0, 1, 2, 3, 1];
        actions.CopyFromCPU(good);
        cpu.Step(good);
        device.Step(actions.View);
        var counters = new Counters(n);
        counters.Advance(cpu);
        AssertSame(cpu, device, counters);

        int[] cellsBefore = device.Cells.GetAsArray1D();
        float[] observationsBefore = device.Observations.GetAsArray1D();
        foreach (int bad in new[] { 4, -1 })
        {
            int[] refused = [1, 2, bad, 0, 7];
            actions.CopyFromCPU(refused);
            Assert.Throws<ArgumentOutOfRangeException>(() => cpu.Step(refused));
            device.Step(actions.View);
            device.Step(actions.View); // refused too: the fault is still pending
            var error = Assert.Throws<ArgumentOutOfRangeException>(device.ThrowIfFaulted);
            Assert.Contains($"actions[2] is {bad}; every action must be in [0, 4)", error.Message, StringComparison.Ordinal);
            Assert.Equal(cellsBefore, device.Cells.GetAsArray1D());
            Assert.Equal(observationsBefore, device.Observations.GetAsArray1D());
        }

        device.ThrowIfFaulted(); // cleared
        actions.CopyFromCPU(good);
        cpu.Step(good);
        device.Step(actions.View);
        device.ThrowIfFaulted();
        Assert.Equal(cpu.Cells.ToArray(), device.Cells.GetAsArray1D());
        Assert.Equal(cpu.Buffers.Observations, device.Observations.GetAsArray1D());
    }

    [Fact]
    public void RefusesBadArguments()
    {
        GridWorldLayout layout = SmallRoom();
        GridWorldStepParameters parameters = new GridWorldOptions { Layout = layout }.StepParameters();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceGridWorld(fixture.Device, layout.Maze(), [0, 3], parameters));
        Assert.Contains("taskIds[1] must be in [0, 3)", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DeviceGridWorld(fixture.Device, layout.Maze(), [], parameters));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceGridWorld(fixture.Device, layout.Maze(), [0], parameters with { MaxEpisodeSteps = 0 }));

        int[] transitions = layout.Maze().Transitions.ToArray();
        transitions[5] = 12;
        error = Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceGridWorld(
            fixture.Device, new GridWorldMaze(4, 3, transitions, layout.Maze().TaskGoals, layout.Maze().StartCells, layout.Maze().StartOffsets), [0], parameters));
        Assert.Contains("maze.Transitions[5] must be a cell in [0, 12)", error.Message, StringComparison.Ordinal);
        var noStart = Assert.Throws<ArgumentException>(() => new DeviceGridWorld(
            fixture.Device, new GridWorldMaze(4, 3, layout.Maze().Transitions, [0], ReadOnlySpan<int>.Empty, [0, 0]), [0], parameters));
        Assert.Contains("task 0 has no start cell", noStart.Message, StringComparison.Ordinal);

        using var device = new DeviceGridWorld(fixture.Device, layout.Maze(), [0, 1], parameters);
        using MemoryBuffer1D<int, Stride1D.Dense> actions = fixture.Device.Accelerator.Allocate1D<int>(3);
        Assert.Throws<InvalidOperationException>(() => device.Step(actions.View.SubView(0, 2)));
        device.Reset(1);
        Assert.Throws<ArgumentException>(() => device.Step(actions.View));
    }

    /// <summary>Steps the CPU environment and a device one with the same random actions, comparing everything after every step.</summary>
    internal static void RunInLockstep(GpuDevice gpu, int n, GridWorldOptions options, int[]? taskIds, int steps, bool expectSuccess)
    {
        var cpu = new GridWorldVectorEnvironment(n, options, taskIds);
        using DeviceGridWorld device = Create(gpu, n, options, taskIds);
        Assert.Equal(cpu.ObservationSize, device.ObservationWidth);
        Assert.Equal(cpu.Buffers.TaskIds, device.TaskIds.GetAsArray1D());
        var counters = new Counters(n);
        cpu.Reset(seed: 21);
        device.Reset(21);
        AssertSame(cpu, device, counters);
        var random = new System.Random(n * 31 + steps);
        using MemoryBuffer1D<int, Stride1D.Dense> actions = gpu.Accelerator.Allocate1D<int>(n);
        int terminations = 0, truncations = 0;
        for (int step = 0; step < steps; step++)
        {
            int[] chosen = Enumerable.Range(0, n).Select(_ => random.Next(GridWorldRules.ActionCount)).ToArray();
            actions.CopyFromCPU(chosen);
            cpu.Step(chosen);
            device.Step(actions.View);
            device.ThrowIfFaulted();
            counters.Advance(cpu);
            AssertSame(cpu, device, counters);
            terminations += cpu.Buffers.Terminated.Count(t => t);
            truncations += cpu.Buffers.Truncated.Count(t => t);
        }

        Assert.True(truncations > 0 || options.MaxEpisodeSteps > steps, "no episode was truncated: the time limit path was not exercised");
        if (expectSuccess)
        {
            Assert.True(terminations > 0, "no episode reached its goal: the goal path was not exercised");
        }
    }

    private static DeviceGridWorld Create(GpuDevice gpu, int n, GridWorldOptions options, int[]? taskIds)
    {
        int tasks = options.Layout.TaskGoals.Count;
        int[] ids = taskIds ?? Enumerable.Range(0, n).Select(i => i % tasks).ToArray();
        return new DeviceGridWorld(gpu, options.Layout.Maze(), ids, options.StepParameters());
    }

    private static void AssertSame(GridWorldVectorEnvironment cpu, DeviceGridWorld device, Counters counters)
    {
        Assert.Equal(cpu.Cells.ToArray(), device.Cells.GetAsArray1D());
        Assert.Equal(cpu.Buffers.Observations, device.Observations.GetAsArray1D());
        Assert.Equal(cpu.Buffers.FinalObservations, device.FinalObservations.GetAsArray1D());
        Assert.Equal(cpu.Buffers.Rewards, device.Rewards.GetAsArray1D());
        Assert.Equal(Array.ConvertAll(cpu.Buffers.Terminated, f => f ? 1f : 0f), device.Terminated.GetAsArray1D());
        Assert.Equal(Array.ConvertAll(cpu.Buffers.Truncated, f => f ? 1f : 0f), device.Truncated.GetAsArray1D());
        Assert.Equal(counters.Steps, device.Steps.GetAsArray1D());
        Assert.Equal(counters.Episodes, device.Episodes.GetAsArray1D());
    }

    /// <summary>Episode and step counters derived from the CPU environment's flags (it does not expose its own).</summary>
    private sealed class Counters(int n)
    {
        public int[] Steps { get; } = new int[n];

        public uint[] Episodes { get; } = new uint[n];

        public void Advance(GridWorldVectorEnvironment cpu)
        {
            for (int i = 0; i < n; i++)
            {
                if (cpu.Buffers.Finished[i])
                {
                    Episodes[i]++;
                    Steps[i] = 0;
                }
                else
                {
                    Steps[i]++;
                }
            }
        }
    }
}
