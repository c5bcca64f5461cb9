using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Environments;

/// <summary>
/// N multi-task GridWorlds whose state lives on the device, as the CPU <c>GridWorldVectorEnvironment</c>:
/// the same maze tables (<c>GridWorldLayout.Maze()</c>), rewards, time limit, observation encodings and
/// same-step autoreset, one thread per environment. Everything is integer arithmetic on the Philox
/// words of <see cref="GridWorldRules.StartCell"/>, so cells, counters, observations, rewards and
/// flags equal the CPU's bit for bit on any device.
/// </summary>
/// <remarks>
/// Kernels cannot throw: a step with an action outside [0, 4) is not taken by any environment (as the
/// CPU environment refuses it whole); <see cref="ThrowIfFaulted"/> raises it, and later steps are
/// refused until it has.
/// </remarks>
public sealed class DeviceGridWorld : IDisposable
{
    private readonly GpuDevice _device;
    private readonly MemoryBuffer1D<int, Stride1D.Dense>[] _ints;
    private readonly MemoryBuffer1D<uint, Stride1D.Dense> _episodes;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _floats;
    private readonly DeviceGridWorldViews _views;
    private readonly Action<Index1D, DeviceGridWorldViews, ulong> _reset;
    private readonly Action<Index1D, DeviceGridWorldViews, ArrayView<int>> _checkActions;
    private readonly Action<Index1D, DeviceGridWorldViews, ArrayView<int>, ulong> _step;
    private bool _started;

    /// <summary>N environments on <paramref name="maze"/>, environment i running task taskIds[i].</summary>
    /// <param name="device">An open device.</param>
    /// <param name="maze">The layout's tables (the CPU environment's <c>Layout.Maze()</c>); checked and copied to the device.</param>
    /// <param name="taskIds">N task ids, each in [0, tasks); N ≥ 1.</param>
    /// <param name="parameters">Rewards, time limit (≥ 1) and observation encoding (the CPU options' <c>StepParameters()</c>).</param>
    public DeviceGridWorld(GpuDevice device, GridWorldMaze maze, ReadOnlySpan<int> taskIds, GridWorldStepParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(device);
        CheckMaze(maze);
        int tasks = maze.TaskGoals.Length;
        if (taskIds.Length < 1)
        {
            throw new ArgumentException("taskIds must hold one task id per environment (at least one)", nameof(taskIds));
        }

        for (int i = 0; i < taskIds.Length; i++)
        {
            if ((uint)taskIds[i] >= (uint)tasks)
            {
                throw new ArgumentOutOfRangeException(nameof(taskIds), taskIds[i], $"taskIds[{i}] must be in [0, {tasks}) (the maze's tasks)");
            }
        }

        if (parameters.MaxEpisodeSteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(parameters), parameters.MaxEpisodeSteps, "parameters.MaxEpisodeSteps must be at least 1");
        }

        if (parameters.Observation is not (GridObservationKind.OneHot or GridObservationKind.Coordinates))
        {
            throw new ArgumentOutOfRangeException(nameof(parameters), parameters.Observation, "parameters.Observation must be OneHot or Coordinates");
        }

        if (!float.IsFinite(parameters.GoalReward) || !float.IsFinite(parameters.StepCost))
        {
            throw new ArgumentOutOfRangeException(nameof(parameters), "parameters.GoalReward and StepCost must be finite");
        }

        _device = device;
        int n = taskIds.Length;
        EnvironmentCount = n;
        ObservationWidth = GridWorldRules.ObservationSize(parameters.Observation, maze.Width, maze.Height);
        long observations = (long)n * ObservationWidth;
        if (observations > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(taskIds), n, $"N × observation width ({n} × {ObservationWidth}) must be at most {int.MaxValue}");
        }

        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        _ints =
        [
            accelerator.Allocate1D<int>(n), // cells
            accelerator.Allocate1D<int>(n), // steps
            accelerator.Allocate1D(taskIds.ToArray()),
            accelerator.Allocate1D(maze.Transitions.ToArray()),
            accelerator.Allocate1D(maze.TaskGoals.ToArray()),
            accelerator.Allocate1D(maze.StartCells.ToArray()),
            accelerator.Allocate1D(maze.StartOffsets.ToArray()),
            accelerator.Allocate1D<int>(3), // fault
        ];
        _ints[7].MemSetToZero();
        _episodes = accelerator.Allocate1D<uint>(n);
        _floats =
        [
            accelerator.Allocate1D<float>(observations),
            accelerator.Allocate1D<float>(observations),
            accelerator.Allocate1D<float>(n),
            accelerator.Allocate1D<float>(n),
            accelerator.Allocate1D<float>(n),
        ];
        _floats[1].MemSetToZero();
        _views = new DeviceGridWorldViews
        {
            Cells = _ints[0].View,
            Steps = _ints[1].View,
            Episodes = _episodes.View,
            TaskIds = _ints[2].View,
            Transitions = _ints[3].View,
            TaskGoals = _ints[4].View,
            StartCells = _ints[5].View,
            StartOffsets = _ints[6].View,
            Fault = _ints[7].View,
            Observations = _floats[0].View,
            FinalObservations = _floats[1].View,
            Rewards = _floats[2].View,
            Terminated = _floats[3].View,
            Truncated = _floats[4].View,
            Width = maze.Width,
            Height = maze.Height,
            ObservationWidth = ObservationWidth,
            OneHot = parameters.Observation == GridObservationKind.OneHot ? 1 : 0,
            GoalReward = parameters.GoalReward,
            StepCost = parameters.StepCost,
            MaxSteps = parameters.MaxEpisodeSteps,
        };
        _reset = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceGridWorldViews, ulong>(DeviceGridWorldKernels.Reset);
        _checkActions = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceGridWorldViews, ArrayView<int>>(DeviceGridWorldKernels.CheckActions);
        _step = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceGridWorldViews, ArrayView<int>, ulong>(DeviceGridWorldKernels.Step);
    }

    /// <summary>N.</summary>
    public int EnvironmentCount { get; }

    /// <summary>Floats per observation: width × height (one-hot) or 2 (coordinates).</summary>
    public int ObservationWidth { get; }

    /// <summary>Seed of the last <see cref="Reset"/>.</summary>
    public ulong Seed { get; private set; }

    /// <summary>N × observation width observations after the last reset or step.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Observations => _floats[0];

    /// <summary>N × observation width last observations of episodes that finished in a step (others keep their old rows).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> FinalObservations => _floats[1];

    /// <summary>N rewards of the last step.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Rewards => _floats[2];

    /// <summary>N flags (0 / 1): the goal was entered.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Terminated => _floats[3];

    /// <summary>N flags (0 / 1): the time limit was hit.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Truncated => _floats[4];

    /// <summary>Per env: the agent's cell (row · width + column).</summary>
    public MemoryBuffer1D<int, Stride1D.Dense> Cells => _ints[0];

    /// <summary>Per env: steps of the current episode.</summary>
    public MemoryBuffer1D<int, Stride1D.Dense> Steps => _ints[1];

    /// <summary>Per env: episodes started since the last reset.</summary>
    public MemoryBuffer1D<uint, Stride1D.Dense> Episodes => _episodes;

    /// <summary>Per env: its task id.</summary>
    public MemoryBuffer1D<int, Stride1D.Dense> TaskIds => _ints[2];

    /// <summary>Starts episode 0 of every environment under <paramref name="seed"/>.</summary>
    /// <param name="seed">The seed.</param>
    public void Reset(ulong seed)
    {
        Seed = seed;
        _reset(EnvironmentCount, _views, seed);
        _started = true;
    }

    /// <summary>Moves environment i by actions[i] (0 up, 1 right, 2 down, 3 left); finished episodes restart in the same step.</summary>
    /// <param name="actions">N actions on the device, each in [0, 4); a step holding another value is refused (see <see cref="ThrowIfFaulted"/>).</param>
    /// <exception cref="InvalidOperationException">Called before <see cref="Reset"/>.</exception>
    public void Step(ArrayView<int> actions)
    {
        if (!_started)
        {
            throw new InvalidOperationException("call Reset(seed) before the first Step");
        }

        if (actions.Length != EnvironmentCount)
        {
            throw new ArgumentException($"actions has {actions.Length} elements; it needs one per environment ({EnvironmentCount})", nameof(actions));
        }

        _checkActions(EnvironmentCount, _views, actions);
        _step(EnvironmentCount, _views, actions, Seed);
    }

    /// <summary>
    /// The replay step of the step just taken, without a host copy: the assembler's observations
    /// from before the step (<see cref="Replay.DeviceStepAssembler.Before(ArrayView{float})"/>), next observations
    /// (final ones where an episode ended), float actions, and this vector's task ids.
    /// </summary>
    /// <param name="assembler">An assembler for N envs with observations of <see cref="ObservationWidth"/>.</param>
    /// <param name="actions">The actions passed to <see cref="Step"/>.</param>
    public Replay.DeviceReplayStep ReplayStep(Replay.DeviceStepAssembler assembler, ArrayView<int> actions)
    {
        ArgumentNullException.ThrowIfNull(assembler);
        return assembler.After(Observations.View, FinalObservations.View, Rewards.View, Terminated.View, Truncated.View, actions, TaskIds.View);
    }

    /// <summary>
    /// Waits for the device and raises a refused step as the CPU environment's
    /// <see cref="ArgumentOutOfRangeException"/>, naming the first bad environment; clears it.
    /// </summary>
    public void ThrowIfFaulted()
    {
        int[] fault = _ints[7].GetAsArray1D();
        if (fault[0] == 0)
        {
            return;
        }

        _ints[7].MemSetToZero();
        _device.Accelerator.Synchronize();
        throw new ArgumentOutOfRangeException(
            "actions", fault[2], $"actions[{fault[1]}] is {fault[2]}; every action must be in [0, {GridWorldRules.ActionCount}); the step was not taken");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (MemoryBuffer1D<int, Stride1D.Dense> buffer in _ints)
        {
            buffer.Dispose();
        }

        _episodes.Dispose();
        foreach (MemoryBuffer1D<float, Stride1D.Dense> buffer in _floats)
        {
            buffer.Dispose();
        }
    }

    /// <summary>Checks the tables a device kernel indexes without bounds checks: every successor, goal and start cell inside the grid, offsets rising, every task with a start.</summary>
    private static void CheckMaze(GridWorldMaze maze)
    {
        if (maze.Width < 2 || maze.Height < 2 || (long)maze.Width * maze.Height > int.MaxValue / GridWorldRules.ActionCount)
        {
            throw new ArgumentOutOfRangeException(nameof(maze), $"maze is {maze.Height} × {maze.Width}; it must be at least 2 × 2 and hold at most {int.MaxValue / GridWorldRules.ActionCount} cells");
        }

        int cells = maze.Width * maze.Height;
        if (maze.Transitions.Length != cells * GridWorldRules.ActionCount)
        {
            throw new ArgumentException($"maze.Transitions has {maze.Transitions.Length} entries; it needs cells × 4 = {cells * GridWorldRules.ActionCount}", nameof(maze));
        }

        CheckCells(maze.Transitions, cells, "maze.Transitions");
        int tasks = maze.TaskGoals.Length;
        if (tasks < 1)
        {
            throw new ArgumentException("maze.TaskGoals must hold at least one task's goal", nameof(maze));
        }

        CheckCells(maze.TaskGoals, cells, "maze.TaskGoals");
        CheckCells(maze.StartCells, cells, "maze.StartCells");
        if (maze.StartOffsets.Length != tasks + 1 || maze.StartOffsets[0] != 0 || maze.StartOffsets[tasks] != maze.StartCells.Length)
        {
            throw new ArgumentException(
                $"maze.StartOffsets must hold tasks + 1 = {tasks + 1} offsets from 0 to maze.StartCells.Length = {maze.StartCells.Length}", nameof(maze));
        }

        for (int t = 0; t < tasks; t++)
        {
            if (maze.StartOffsets[t + 1] <= maze.StartOffsets[t])
            {
                throw new ArgumentException($"task {t} has no start cell (maze.StartOffsets must rise strictly)", nameof(maze));
            }
        }
    }

    private static void CheckCells(ReadOnlySpan<int> values, int cells, string name)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if ((uint)values[i] >= (uint)cells)
            {
                throw new ArgumentOutOfRangeException("maze", values[i], $"{name}[{i}] must be a cell in [0, {cells})");
            }
        }
    }
}
