using System;
using System.Collections.Generic;
using Mtrl.Kernels;
using Mtrl.Kernels.Environments;
using Mtrl.Runtime.Checkpoints;

namespace Mtrl.Runtime.Environments;

/// <summary>
/// N multi-task GridWorld environments (Distral-style: the tasks share rooms and walls and
/// differ in their goal cell): four actions (up, right, down, left; a move into a wall or off
/// the map leaves the agent in place), reward <see cref="GridWorldOptions.GoalReward"/> on
/// entering the task's goal (terminating the episode) and −StepCost otherwise, truncation at
/// the time limit, start cell uniform over the free cells other than the goal.
/// </summary>
/// <remarks>
/// Task ids say which goal each environment pursues (round-robin unless given). Same-step
/// autoreset (see <see cref="VectorStepBuffers"/>). Episode k of environment i draws its start
/// cell from Philox block (seed, i, k·2^32); see <see cref="GridWorldRules"/>.
/// </remarks>
public sealed class GridWorldVectorEnvironment : IDiscreteVectorEnvironment, IResumableEnvironment
{
    private const int EnvironmentGrain = 512;

    private readonly Accelerator _accelerator;
    private readonly GridWorldStepParameters _parameters;
    private readonly int[] _taskIds;
    private readonly int[] _cells;
    private readonly int[] _steps;
    private readonly uint[] _episodes;
    private bool _started;

    /// <summary>Creates N environments; call <see cref="Reset"/> before stepping.</summary>
    /// <param name="environmentCount">N, at least 1.</param>
    /// <param name="options">Map, tasks and settings; null uses the four-room map with one-hot observations.</param>
    /// <param name="taskIds">Task of each environment (N values in [0, tasks)); null assigns task i mod T to environment i.</param>
    /// <param name="accelerator">Where kernels run; null uses <see cref="CpuAccelerator.Default"/>.</param>
    public GridWorldVectorEnvironment(
        int environmentCount, GridWorldOptions? options = null, IReadOnlyList<int>? taskIds = null, Accelerator? accelerator = null)
    {
        EnvironmentArguments.CheckEnvironmentCount(environmentCount);
        Options = options ?? new GridWorldOptions();
        Options.Validate();
        Layout = Options.Layout;
        _parameters = Options.StepParameters();
        _taskIds = EnvironmentArguments.AssignTasks(taskIds, environmentCount, Layout.TaskGoals.Count);
        _accelerator = accelerator ?? CpuAccelerator.Default;
        ObservationSize = GridWorldRules.ObservationSize(Options.Observation, Layout.Width, Layout.Height);
        Buffers = new VectorStepBuffers(environmentCount, ObservationSize);
        _cells = new int[environmentCount];
        _steps = new int[environmentCount];
        _episodes = new uint[environmentCount];
        _taskIds.CopyTo(Buffers.TaskIds, 0);
    }

    /// <summary>The settings the environments run with.</summary>
    public GridWorldOptions Options { get; }

    /// <summary>The map and task goals.</summary>
    public GridWorldLayout Layout { get; }

    /// <inheritdoc />
    public int EnvironmentCount => Buffers.EnvironmentCount;

    /// <inheritdoc />
    public int ObservationSize { get; }

    /// <inheritdoc />
    public ActionSpace ActionSpace { get; } = ActionSpace.Discrete(GridWorldRules.ActionCount);

    /// <inheritdoc />
    public int TaskCount => Layout.TaskGoals.Count;

    /// <inheritdoc />
    public VectorStepBuffers Buffers { get; }

    /// <inheritdoc />
    public ulong Seed { get; private set; }

    /// <summary>Each environment's current cell (row-major index row·Width + column), for inspection and tests.</summary>
    public ReadOnlySpan<int> Cells => _cells;

    /// <inheritdoc />
    public void Reset(ulong seed)
    {
        Seed = seed;
        _taskIds.CopyTo(Buffers.TaskIds, 0);
        var kernel = new GridWorldResetKernel(State(), Layout.Maze(), Buffers.StepOutputs(), Options.Observation, seed);
        _accelerator.LaunchChunked(EnvironmentCount, EnvironmentGrain, in kernel);
        _started = true;
    }

    /// <inheritdoc />
    public void Step(ReadOnlySpan<int> actions)
    {
        EnvironmentArguments.CheckStarted(_started, nameof(GridWorldVectorEnvironment));
        EnvironmentArguments.CheckDiscreteActions(actions, EnvironmentCount, GridWorldRules.ActionCount);
        var kernel = new GridWorldStepKernel(State(), Layout.Maze(), actions, Buffers.StepOutputs(), _parameters, Seed);
        _accelerator.LaunchChunked(EnvironmentCount, EnvironmentGrain, in kernel);
    }

    /// <summary>
    /// Saves the kind, N, the observation width, the map's width and height, the task count and
    /// assignment, the time limit, the seed and started flag, each environment's cell, step and
    /// episode counters, and every step buffer.
    /// </summary>
    /// <inheritdoc />
    public void SaveState(Checkpoint checkpoint, string prefix)
    {
        var writer = new EnvironmentStateWriter(checkpoint, prefix, EnvironmentKind.GridWorld);
        writer.Shape(this);
        writer.Counter("width", Layout.Width);
        writer.Counter("height", Layout.Height);
        writer.Integers("taskAssignment", _taskIds);
        writer.Counter("maxEpisodeSteps", Options.MaxEpisodeSteps);
        writer.Progress(Seed, _started);
        writer.Integers("cells", _cells);
        writer.Integers("steps", _steps);
        writer.Integers("episodes", _episodes);
        writer.Buffers(Buffers);
    }

    /// <summary>Also refuses a checkpoint saved on a map of another size, with another task assignment or time limit; nothing changes unless the whole state is valid.</summary>
    /// <inheritdoc />
    public void RestoreState(Checkpoint checkpoint, string prefix)
    {
        var reader = new EnvironmentStateReader(checkpoint, prefix, EnvironmentKind.GridWorld);
        reader.RequireSize("width", "map width", Layout.Width);
        reader.RequireSize("height", "map height", Layout.Height);
        reader.RequireShape(this);
        reader.RequireTaskAssignment(_taskIds, TaskCount);
        reader.RequireSize("maxEpisodeSteps", "time limit (MaxEpisodeSteps)", Options.MaxEpisodeSteps);
        int n = EnvironmentCount;
        var (seed, started) = reader.Progress();
        long[] cells = reader.Integers("cells", n, 0, (long)Layout.Width * Layout.Height - 1);
        long[] steps = reader.Integers("steps", n, 0, Options.MaxEpisodeSteps - 1);
        long[] episodes = reader.Integers("episodes", n, 0, uint.MaxValue);
        SavedStepBuffers buffers = reader.Buffers(Buffers, TaskCount);

        // Everything has been read and checked; only now does the environment change.
        EnvironmentStateReader.Copy(cells, _cells);
        EnvironmentStateReader.Copy(steps, _steps);
        EnvironmentStateReader.Copy(episodes, _episodes);
        buffers.CopyTo(Buffers);
        Seed = seed;
        _started = started;
    }

    private GridWorldState State() => new(_cells, _steps, _episodes, _taskIds);
}
