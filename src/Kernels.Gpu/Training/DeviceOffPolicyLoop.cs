using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Replay;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>
/// What every device off-policy trainer does around its update, as the CPU <c>OffPolicyLoop</c>
/// does it, with everything on the device: it keeps each vector step's observations and goals
/// before the agent acts, steps the environments, assembles the transitions (next observations
/// and next achieved goals from the final ones where episodes ended) into the device replay, logs
/// finished episodes, counts transitions, says how many updates fall due, and draws batches
/// (uniform, task-balanced, or uniform with hindsight relabeling). The algorithm chooses actions
/// and makes the updates.
/// </summary>
/// <remarks>
/// The host keeps the counters, which are a pure function of the schedule, so stepping never
/// waits for the device — with one exception: the CPU loop makes no update while the replay has
/// no finished episode, which only the device knows. Until the first episode has ended (after the
/// warm-up), each step reads the replay's bookkeeping once; after that the loop assumes batches can
/// be drawn, which holds unless every episode in the ring is longer than the ring (the CPU loop
/// would then skip updates; the device replay faults, see <see cref="DeviceReplay.ThrowIfFaulted"/>).
/// </remarks>
public sealed class DeviceOffPolicyLoop : IDisposable
{
    private readonly IDeviceVectorEnvironment _environment;
    private readonly DeviceOffPolicyOptions _options;
    private readonly DeviceStepAssembler _assembler;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _taskIds;
    private bool _sampleable;

    /// <summary>Sizes the replay to the environments (capacity rounded down to a multiple of N), checks the options against them and resets the environments with the options' seed.</summary>
    /// <param name="device">The device the environments live on.</param>
    /// <param name="environment">The environments: discrete (one action per env) or continuous (d floats per env).</param>
    /// <param name="options">The schedule, replay and sampling settings.</param>
    /// <param name="taskIds">Task of each environment (N values, fixed for the run); empty: every env runs task 0.</param>
    /// <param name="taskCount">Tasks of the run, at least 1.</param>
    /// <exception cref="ArgumentException">HER without goals, or task ids that do not fit.</exception>
    public DeviceOffPolicyLoop(GpuDevice device, IDeviceVectorEnvironment environment, DeviceOffPolicyOptions options, ReadOnlySpan<int> taskIds, int taskCount)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(taskCount, 1);
        int n = environment.EnvironmentCount;
        if (options.Her is not null && environment.GoalWidth == 0)
        {
            throw new ArgumentException("hindsight relabeling (Her) needs a goal environment (GoalWidth > 0)", nameof(options));
        }

        int[] tasks = taskIds.IsEmpty ? new int[n] : taskIds.ToArray();
        if (tasks.Length != n)
        {
            throw new ArgumentException($"taskIds holds {tasks.Length} ids; it needs one per environment ({n})", nameof(taskIds));
        }

        for (int env = 0; env < n; env++)
        {
            if ((uint)tasks[env] >= (uint)taskCount)
            {
                throw new ArgumentOutOfRangeException(nameof(taskIds), tasks[env], $"taskIds[{env}] must be in [0, {taskCount})");
            }
        }

        _environment = environment;
        _options = options;
        TaskCount = taskCount;
        Replay = new DeviceReplay(device, new DeviceReplayOptions
        {
            Capacity = Math.Max(options.ReplayCapacity / n * n, n),
            EnvCount = n,
            ObservationWidth = environment.ObservationWidth,
            ActionWidth = ActionWidthOf(environment),
            GoalWidth = environment.GoalWidth,
            TaskCount = taskCount,
            Seed = options.Seed,
        });
        Batch = Replay.CreateBatch(options.BatchSize);
        _assembler = new DeviceStepAssembler(device, n, environment.ObservationWidth, environment.GoalWidth);
        _taskIds = device.Accelerator.Allocate1D(tasks);
        Episodes = new DeviceEpisodeLog(device, n, EpisodeWindow);
        environment.Reset(options.Seed);
    }

    /// <summary>Episodes each env's log keeps between reads: the CPU's pooled statistics window.</summary>
    public const int EpisodeWindow = 100;

    /// <summary>The device replay every transition goes into.</summary>
    public DeviceReplay Replay { get; }

    /// <summary>The batch <see cref="Sample"/> fills (BatchSize rows).</summary>
    public DeviceBatch Batch { get; }

    /// <summary>Finished episodes, on the device until read.</summary>
    public DeviceEpisodeLog Episodes { get; }

    /// <summary>Tasks of the run.</summary>
    public int TaskCount { get; }

    /// <summary>N task ids, one per environment.</summary>
    public ArrayView<int> TaskIds => _taskIds.View;

    /// <summary>Transitions collected so far, over all environments.</summary>
    public long Transitions { get; private set; }

    /// <summary>Vector steps taken so far.</summary>
    public long VectorSteps { get; private set; }

    /// <summary>True until the warm-up's transitions are collected: actions are uniformly random.</summary>
    public bool InWarmup => Transitions < _options.Warmup;

    /// <summary>Keeps the observations (and goals) the agent is about to act on; call before acting.</summary>
    public void BeginStep()
    {
        if (_environment.GoalWidth > 0)
        {
            _assembler.Before(_environment.ObservationView, _environment.AchievedGoalView, _environment.DesiredGoalView);
        }
        else
        {
            _assembler.Before(_environment.ObservationView);
        }
    }

    /// <summary>Steps the environments with <paramref name="actions"/>, stores the transitions, logs finished episodes and returns the updates now due.</summary>
    /// <param name="actions">N discrete actions on the device.</param>
    /// <exception cref="InvalidOperationException">The environments take continuous actions.</exception>
    public long EndStep(ArrayView<int> actions)
    {
        if (_environment is not IDeviceDiscreteEnvironment discrete)
        {
            throw new InvalidOperationException("the environments take continuous actions: call EndStep(environmentActions, storedActions)");
        }

        discrete.Step(actions);
        IDeviceVectorEnvironment e = _environment;
        DeviceReplayStep step = e.GoalWidth > 0
            ? _assembler.After(e.ObservationView, e.FinalObservationView, e.RewardView, e.TerminatedView, e.TruncatedView, actions, TaskIds, e.AchievedGoalView, e.FinalAchievedGoalView)
            : _assembler.After(e.ObservationView, e.FinalObservationView, e.RewardView, e.TerminatedView, e.TruncatedView, actions, TaskIds);
        return Collect(step);
    }

    /// <summary>
    /// Steps continuous-action environments with <paramref name="environmentActions"/> and stores
    /// <paramref name="storedActions"/> (the CPU loop's pair: actions in the environment's bounds,
    /// and the normalised ones the networks and replay work in); then as the discrete overload.
    /// </summary>
    /// <param name="environmentActions">N × d actions in the environment's bounds, on the device.</param>
    /// <param name="storedActions">N × d actions the replay keeps (a SAC trainer's in [−1, 1]).</param>
    /// <exception cref="InvalidOperationException">The environments take discrete actions.</exception>
    public long EndStep(ArrayView<float> environmentActions, ArrayView<float> storedActions)
    {
        if (_environment is not IDeviceContinuousEnvironment continuous)
        {
            throw new InvalidOperationException("the environments take discrete actions: call EndStep(actions) with N action indices");
        }

        long width = (long)continuous.EnvironmentCount * continuous.ActionSize;
        if (environmentActions.Length != width || storedActions.Length != width)
        {
            throw new ArgumentException(
                $"environmentActions has {environmentActions.Length} and storedActions {storedActions.Length} elements; each needs N × d = {width}", nameof(storedActions));
        }

        continuous.Step(environmentActions);
        IDeviceVectorEnvironment e = _environment;
        DeviceReplayStep step = e.GoalWidth > 0
            ? _assembler.After(e.ObservationView, e.FinalObservationView, e.RewardView, e.TerminatedView, e.TruncatedView, storedActions, TaskIds, e.AchievedGoalView, e.FinalAchievedGoalView)
            : _assembler.After(e.ObservationView, e.FinalObservationView, e.RewardView, e.TerminatedView, e.TruncatedView, storedActions, TaskIds);
        return Collect(step);
    }

    /// <summary>How many multiples of <paramref name="every"/> transitions the last step crossed (target schedules count with it).</summary>
    /// <param name="every">The period in transitions, at least 1.</param>
    public long Crossed(long every) => (Transitions / every) - ((Transitions - _environment.EnvironmentCount) / every);

    /// <summary>Fills <see cref="Batch"/> as the options ask: uniform (with HER fused in) or task-balanced.</summary>
    public void Sample()
    {
        if (_options.Sampling == DeviceReplaySampling.TaskBalanced)
        {
            Replay.SampleBalanced(Batch);
        }
        else if (_options.Her is { } her)
        {
            Replay.SampleHer(Batch, her.Strategy, her.GoalsPerTransition, her.Reward);
        }
        else
        {
            Replay.SampleUniform(Batch);
        }
    }

    /// <summary>Adds a step to the replay and the episode log, advances the counters and returns the updates now due.</summary>
    private long Collect(DeviceReplayStep step)
    {
        IDeviceVectorEnvironment e = _environment;
        Replay.Add(step);
        Episodes.Record(e.RewardView, e.TerminatedView, e.TruncatedView, TaskIds, VectorSteps);

        long before = Transitions;
        Transitions += e.EnvironmentCount;
        VectorSteps++;
        if (Transitions < _options.Warmup || !Sampleable())
        {
            return 0;
        }

        return ((Transitions / _options.TrainEvery) - (before / _options.TrainEvery)) * _options.GradientSteps;
    }

    private static int ActionWidthOf(IDeviceVectorEnvironment environment) => environment switch
    {
        IDeviceContinuousEnvironment continuous => continuous.ActionSize,
        IDeviceDiscreteEnvironment => 1,
        _ => throw new ArgumentException("the environments must take discrete (IDeviceDiscreteEnvironment) or continuous (IDeviceContinuousEnvironment) actions", nameof(environment)),
    };

    /// <inheritdoc />
    public void Dispose()
    {
        Batch.Dispose();
        Replay.Dispose();
        _assembler.Dispose();
        _taskIds.Dispose();
        Episodes.Dispose();
    }

    /// <summary>
    /// Whether the replay holds a finished episode; read from the device only until the first one
    /// (first the cheap episode counts, then the replay's sampleable runs).
    /// </summary>
    private bool Sampleable()
    {
        if (!_sampleable && Episodes.ReadFinishedCounts().Any(count => count > 0))
        {
            _sampleable = Replay.ReadEpisodes().ValidCounts.Any(count => count > 0);
        }

        return _sampleable;
    }
}
