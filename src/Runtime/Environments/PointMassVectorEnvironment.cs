using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Kernels;
using Mtrl.Kernels.Environments;
using Mtrl.Runtime.Checkpoints;

namespace Mtrl.Runtime.Environments;

/// <summary>
/// N PointMass goal-reaching environments in 2-D from a multi-task family with hidden
/// parameters (HiP-MDP): each task has its own mass, friction and wind — never shown to the
/// agent, which must infer them from the dynamics — and its own start and goal regions. The
/// action is a force in [−1, 1]²; the dynamics are semi-implicit Euler; the reward is −distance
/// (or sparse 0/−1); success is being within the success radius of the goal.
/// </summary>
/// <remarks>
/// Observation = (x, y, vx, vy), or (x, y, vx, vy, gx, gy) with
/// <see cref="PointMassOptions.GoalInObservation"/>; achieved goal = (x, y); desired goal = the
/// episode's goal (UVFA agents concatenate it); task ids say which task each environment runs
/// (round-robin unless given). Same-step autoreset (see <see cref="VectorStepBuffers"/>). Episode k of environment
/// i draws start and goal from Philox block (seed, i, k·2^32); see <see cref="PointMassRules"/>.
/// </remarks>
public sealed class PointMassVectorEnvironment : IContinuousVectorEnvironment, IGoalVectorEnvironment, IResumableEnvironment
{
    private const int EnvironmentGrain = 512;
    private const int GoalRowGrain = 2048;

    private readonly Accelerator _accelerator;
    private readonly PointMassTask[] _tasks;
    private readonly PointMassStepParameters _parameters;
    private readonly int[] _taskIds;
    private readonly float[] _positionX;
    private readonly float[] _positionY;
    private readonly float[] _velocityX;
    private readonly float[] _velocityY;
    private readonly float[] _goalX;
    private readonly float[] _goalY;
    private readonly int[] _steps;
    private readonly uint[] _episodes;
    private bool _started;

    /// <summary>Creates N environments; call <see cref="Reset"/> before stepping.</summary>
    /// <param name="environmentCount">N, at least 1.</param>
    /// <param name="options">Tasks and settings; null uses the ten-task suite with dense rewards.</param>
    /// <param name="taskIds">Task of each environment (N values in [0, tasks)); null assigns task i mod T to environment i.</param>
    /// <param name="accelerator">Where kernels run; null uses <see cref="CpuAccelerator.Default"/>.</param>
    public PointMassVectorEnvironment(
        int environmentCount, PointMassOptions? options = null, IReadOnlyList<int>? taskIds = null, Accelerator? accelerator = null)
    {
        EnvironmentArguments.CheckEnvironmentCount(environmentCount);
        Options = options ?? new PointMassOptions();
        Options.Validate();
        _tasks = Options.Tasks.ToArray();
        _parameters = Options.StepParameters();
        _taskIds = EnvironmentArguments.AssignTasks(taskIds, environmentCount, _tasks.Length);
        _accelerator = accelerator ?? CpuAccelerator.Default;
        ActionSpace = ActionSpace.Continuous(2, -1f, 1f);
        Buffers = new VectorStepBuffers(environmentCount, PointMassRules.ObservationWidth(Options.GoalInObservation), PointMassRules.GoalSize);
        _positionX = new float[environmentCount];
        _positionY = new float[environmentCount];
        _velocityX = new float[environmentCount];
        _velocityY = new float[environmentCount];
        _goalX = new float[environmentCount];
        _goalY = new float[environmentCount];
        _steps = new int[environmentCount];
        _episodes = new uint[environmentCount];
        _taskIds.CopyTo(Buffers.TaskIds, 0);
    }

    /// <summary>The tasks and settings the environments run with.</summary>
    public PointMassOptions Options { get; }

    /// <inheritdoc />
    public int EnvironmentCount => Buffers.EnvironmentCount;

    /// <inheritdoc />
    public int ObservationSize => Buffers.ObservationSize;

    /// <inheritdoc />
    public int GoalSize => PointMassRules.GoalSize;

    /// <inheritdoc />
    public ActionSpace ActionSpace { get; }

    /// <inheritdoc />
    public int TaskCount => _tasks.Length;

    /// <summary>Termination is success when success terminates the episode; otherwise there is no success signal.</summary>
    public SuccessSignal SuccessSignal => Options.TerminateOnSuccess ? SuccessSignal.Termination : SuccessSignal.None;

    /// <inheritdoc />
    public VectorStepBuffers Buffers { get; }

    /// <inheritdoc />
    public ulong Seed { get; private set; }

    /// <inheritdoc />
    public void Reset(ulong seed)
    {
        Seed = seed;
        _taskIds.CopyTo(Buffers.TaskIds, 0);
        var kernel = new PointMassResetKernel(State(), _tasks, Buffers.StepOutputs(), Buffers.GoalOutputs(), _parameters, seed);
        _accelerator.LaunchChunked(EnvironmentCount, EnvironmentGrain, in kernel);
        _started = true;
    }

    /// <inheritdoc />
    public void Step(ReadOnlySpan<float> actions)
    {
        EnvironmentArguments.CheckStarted(_started, nameof(PointMassVectorEnvironment));
        EnvironmentArguments.CheckContinuousActions(actions, EnvironmentCount, 2);
        var kernel = new PointMassStepKernel(State(), _tasks, actions, Buffers.StepOutputs(), Buffers.GoalOutputs(), _parameters, Seed);
        _accelerator.LaunchChunked(EnvironmentCount, EnvironmentGrain, in kernel);
    }

    /// <summary>−distance, or 0/−1 with sparse rewards, for each (achieved, desired) pair.</summary>
    /// <inheritdoc />
    public void ComputeReward(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, Span<float> rewards)
    {
        int rows = EnvironmentArguments.CheckGoalBatch(achievedGoals, desiredGoals, rewards.Length, GoalSize, nameof(rewards));
        var kernel = new PointMassGoalRewardKernel(achievedGoals, desiredGoals, _parameters, rewards, default);
        _accelerator.LaunchChunked(rows, GoalRowGrain, in kernel);
    }

    /// <summary>Success (distance at most the success radius) when the environment terminates on success, else false.</summary>
    /// <inheritdoc />
    public void ComputeTerminated(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, Span<bool> terminated)
    {
        int rows = EnvironmentArguments.CheckGoalBatch(achievedGoals, desiredGoals, terminated.Length, GoalSize, nameof(terminated));
        var kernel = new PointMassGoalRewardKernel(achievedGoals, desiredGoals, _parameters, default, terminated);
        _accelerator.LaunchChunked(rows, GoalRowGrain, in kernel);
    }

    /// <summary>
    /// Saves the kind, N, the observation width, the task count and assignment, the time limit,
    /// the seed and started flag, each environment's position, velocity, goal, step and episode
    /// counters, and every step buffer.
    /// </summary>
    /// <inheritdoc />
    public void SaveState(Checkpoint checkpoint, string prefix)
    {
        var writer = new EnvironmentStateWriter(checkpoint, prefix, EnvironmentKind.PointMass);
        writer.Shape(this);
        writer.Integers("taskAssignment", _taskIds);
        writer.Counter("maxEpisodeSteps", Options.MaxEpisodeSteps);
        writer.Progress(Seed, _started);
        writer.Floats("positionX", _positionX);
        writer.Floats("positionY", _positionY);
        writer.Floats("velocityX", _velocityX);
        writer.Floats("velocityY", _velocityY);
        writer.Floats("goalX", _goalX);
        writer.Floats("goalY", _goalY);
        writer.Integers("steps", _steps);
        writer.Integers("episodes", _episodes);
        writer.Buffers(Buffers);
    }

    /// <summary>Also refuses a checkpoint saved with another task assignment or time limit; nothing changes unless the whole state is valid.</summary>
    /// <inheritdoc />
    public void RestoreState(Checkpoint checkpoint, string prefix)
    {
        var reader = new EnvironmentStateReader(checkpoint, prefix, EnvironmentKind.PointMass);
        reader.RequireShape(this);
        reader.RequireTaskAssignment(_taskIds, TaskCount);
        reader.RequireSize("maxEpisodeSteps", "time limit (MaxEpisodeSteps)", Options.MaxEpisodeSteps);
        int n = EnvironmentCount;
        var (seed, started) = reader.Progress();
        float[] positionX = reader.Floats("positionX", n);
        float[] positionY = reader.Floats("positionY", n);
        float[] velocityX = reader.Floats("velocityX", n);
        float[] velocityY = reader.Floats("velocityY", n);
        float[] goalX = reader.Floats("goalX", n);
        float[] goalY = reader.Floats("goalY", n);
        long[] steps = reader.Integers("steps", n, 0, Options.MaxEpisodeSteps - 1);
        long[] episodes = reader.Integers("episodes", n, 0, uint.MaxValue);
        SavedStepBuffers buffers = reader.Buffers(Buffers, TaskCount);

        // Everything has been read and checked; only now does the environment change.
        positionX.CopyTo(_positionX, 0);
        positionY.CopyTo(_positionY, 0);
        velocityX.CopyTo(_velocityX, 0);
        velocityY.CopyTo(_velocityY, 0);
        goalX.CopyTo(_goalX, 0);
        goalY.CopyTo(_goalY, 0);
        EnvironmentStateReader.Copy(steps, _steps);
        EnvironmentStateReader.Copy(episodes, _episodes);
        buffers.CopyTo(Buffers);
        Seed = seed;
        _started = started;
    }

    private PointMassState State() => new(_positionX, _positionY, _velocityX, _velocityY, _goalX, _goalY, _steps, _episodes, _taskIds);
}
