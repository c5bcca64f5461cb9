using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Replay;

namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// A device-resident multi-task episodic replay ring: the CPU <c>ReplayBuffer</c>'s layout and
/// stable-baselines3 episode rules (only finished episodes are sampled; an episode whose first step
/// is overwritten stops being sampleable), with storage, bookkeeping and sampling all on the
/// device, so adding a device step and sampling a device batch never copy data to the host.
/// </summary>
/// <remarks>
/// Uniform, task-balanced, HER and prioritized samples pick, row for row, the slots the CPU buffer
/// picks for the same options and <see cref="RandomCounter"/> (each sample reserves one counter per
/// row); with <see cref="DeviceReplayOptions.Prioritized"/> the sum trees live on the device too
/// (<see cref="DevicePriorities"/>). Kernels cannot throw: a refused step or update, or a sample
/// with nothing to draw, is recorded on the device and
/// raised by <see cref="ThrowIfFaulted"/>, which the caller runs where it synchronises anyway. Not
/// thread-safe; launches go to the accelerator's default stream in call order.
/// </remarks>
public sealed class DeviceReplay : IDisposable
{
    private readonly GpuDevice _device;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _floatFields;
    private readonly MemoryBuffer1D<int, Stride1D.Dense>[] _intFields;
    private readonly DeviceRingViews _ring;
    private readonly DeviceLedgerViews _ledger;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _envPrefix;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _taskEnvPrefix;
    private readonly DevicePriorities? _priorities;

    private readonly Action<Index1D, DeviceRingViews, DeviceLedgerViews, DeviceReplayStep> _validate;
    private readonly Action<Index1D, DeviceRingViews, DeviceLedgerViews, DeviceReplayStep> _write;
    private readonly Action<Index1D, DeviceLedgerViews> _advance;
    private readonly Action<Index1D, DeviceLedgerViews, ArrayView<int>, ArrayView<int>, ArrayView<int>, int, long> _prefixes;
    private readonly Action<Index1D, DeviceLedgerViews, ArrayView<int>, ArrayView<int>, ulong, ulong, ulong> _selectUniform;
    private readonly Action<Index1D, DeviceRingViews, DeviceLedgerViews, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ulong, ulong, ulong> _selectBalanced;
    private readonly Action<Index1D, DeviceRingViews, DeviceBatchViews> _gather;
    private readonly Action<Index1D, DeviceRingViews, DeviceLedgerViews, DeviceBatchViews, int, int, float, int, ulong, ulong, ulong> _relabel;

    /// <summary>Allocates the ring and its bookkeeping on <paramref name="device"/> (zeroed) and compiles the kernels.</summary>
    /// <param name="device">An open device.</param>
    /// <param name="options">The shape; validated here.</param>
    public DeviceReplay(GpuDevice device, DeviceReplayOptions options)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _device = device;
        Options = options;
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        int capacity = options.Capacity;
        int envs = options.EnvCount;
        long goals = Math.Max(1L, (long)capacity * options.GoalWidth);
        _floatFields =
        [
            Zeroed<float>((long)capacity * options.ObservationWidth),
            Zeroed<float>((long)capacity * options.ObservationWidth),
            Zeroed<float>((long)capacity * options.ActionWidth),
            Zeroed<float>(capacity),
            Zeroed<float>(capacity),
            Zeroed<float>(capacity),
            Zeroed<float>(goals),
            Zeroed<float>(goals),
            Zeroed<float>(goals),
        ];
        _intFields =
        [
            Zeroed<int>(capacity), // task ids
            Zeroed<int>(capacity), // episode starts
            Zeroed<int>(capacity), // episode lengths
            Zeroed<int>(envs), // current starts
            Zeroed<int>(envs), // current lengths
            Zeroed<int>(envs), // current tasks
            Zeroed<int>(envs), // broken
            Zeroed<int>(envs), // valid starts
            Zeroed<int>(envs), // valid counts
            Zeroed<int>((long)options.TaskCount * envs), // task-env counts
            Zeroed<int>(2), // position, filled rows
            Zeroed<int>(4), // fault
        ];
        _envPrefix = Zeroed<int>(envs + 1);
        _taskEnvPrefix = Zeroed<int>((long)options.TaskCount * (envs + 1));
        _priorities = options.Prioritized ? new DevicePriorities(accelerator, options) : null;
        _ring = new DeviceRingViews
        {
            Observations = _floatFields[0].View,
            NextObservations = _floatFields[1].View,
            Actions = _floatFields[2].View,
            Rewards = _floatFields[3].View,
            Terminated = _floatFields[4].View,
            Truncated = _floatFields[5].View,
            AchievedGoals = _floatFields[6].View,
            NextAchievedGoals = _floatFields[7].View,
            DesiredGoals = _floatFields[8].View,
            TaskIds = _intFields[0].View,
            ObservationWidth = options.ObservationWidth,
            ActionWidth = options.ActionWidth,
            GoalWidth = options.GoalWidth,
        };
        _ledger = new DeviceLedgerViews
        {
            EpisodeStarts = _intFields[1].View,
            EpisodeLengths = _intFields[2].View,
            CurrentStarts = _intFields[3].View,
            CurrentLengths = _intFields[4].View,
            CurrentTasks = _intFields[5].View,
            Broken = _intFields[6].View,
            ValidStarts = _intFields[7].View,
            ValidCounts = _intFields[8].View,
            TaskEnvCounts = _intFields[9].View,
            Position = _intFields[10].View,
            Fault = _intFields[11].View,
            PriorityTree = _priorities is null ? default : _priorities.Tree.View,
            TaskPriorityTrees = _priorities is { TaskTrees: true } ? _priorities.TaskTreeBuffer.View : default,
            PriorityState = _priorities is null ? default : _priorities.State.View,
            Prioritized = _priorities is null ? 0 : 1,
            TaskPriorities = _priorities is { TaskTrees: true } ? 1 : 0,
            PriorityExponent = options.PriorityExponent,
            Rows = options.Rows,
            Envs = envs,
            Tasks = options.TaskCount,
        };

        _validate = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceRingViews, DeviceLedgerViews, DeviceReplayStep>(DeviceAddKernels.Validate);
        _write = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceRingViews, DeviceLedgerViews, DeviceReplayStep>(DeviceAddKernels.Write);
        _advance = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceLedgerViews>(DeviceAddKernels.Advance);
        _prefixes = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceLedgerViews, ArrayView<int>, ArrayView<int>, ArrayView<int>, int, long>(
            DeviceSamplingKernels.Prefixes);
        _selectUniform = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceLedgerViews, ArrayView<int>, ArrayView<int>, ulong, ulong, ulong>(
            DeviceSamplingKernels.SelectUniform);
        _selectBalanced = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, DeviceRingViews, DeviceLedgerViews, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, ulong, ulong, ulong>(
            DeviceSamplingKernels.SelectBalanced);
        _gather = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceRingViews, DeviceBatchViews>(DeviceGatherKernel.Gather);
        _relabel = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, DeviceRingViews, DeviceLedgerViews, DeviceBatchViews, int, int, float, int, ulong, ulong, ulong>(DeviceRelabelKernel.Relabel);
    }

    /// <summary>The replay's shape.</summary>
    public DeviceReplayOptions Options { get; }

    /// <summary>Next Philox counter of the samplers; each sample advances it by the batch size, as the CPU buffer's.</summary>
    public ulong RandomCounter { get; private set; }

    /// <summary>Balanced samples so far; rotates which tasks get the remainder rows, as the CPU buffer's.</summary>
    public long BalancedCalls { get; private set; }

    /// <summary>A batch of <paramref name="size"/> rows on this replay's device.</summary>
    /// <param name="size">Rows; at least 1.</param>
    public DeviceBatch CreateBatch(int size) => new(_device, Options, size);

    /// <summary>
    /// Adds one transition per env from device arrays (one vector-env step): checks it, writes row
    /// Position of the ring and ends the episodes whose step is terminated or truncated. A step with
    /// an out-of-range task id, a task change mid-episode, a NaN or ±∞, or a flag other than 0 / 1 is
    /// not written; <see cref="ThrowIfFaulted"/> reports it, and later steps are refused until it has.
    /// </summary>
    /// <param name="step">The step; every view must have envs × the field's width elements (goal views empty without goals).</param>
    /// <exception cref="ArgumentException">A view has the wrong length.</exception>
    public void Add(in DeviceReplayStep step)
    {
        int envs = Options.EnvCount;
        CheckLength(step.Observations.Length, envs, Options.ObservationWidth, nameof(step.Observations));
        CheckLength(step.NextObservations.Length, envs, Options.ObservationWidth, nameof(step.NextObservations));
        CheckLength(step.Actions.Length, envs, Options.ActionWidth, nameof(step.Actions));
        CheckLength(step.Rewards.Length, envs, 1, nameof(step.Rewards));
        CheckLength(step.Terminated.Length, envs, 1, nameof(step.Terminated));
        CheckLength(step.Truncated.Length, envs, 1, nameof(step.Truncated));
        CheckLength(step.TaskIds.Length, envs, 1, nameof(step.TaskIds));
        CheckLength(step.AchievedGoals.Length, envs, Options.GoalWidth, nameof(step.AchievedGoals));
        CheckLength(step.NextAchievedGoals.Length, envs, Options.GoalWidth, nameof(step.NextAchievedGoals));
        CheckLength(step.DesiredGoals.Length, envs, Options.GoalWidth, nameof(step.DesiredGoals));
        _validate(envs, _ring, _ledger, step);
        _write(envs, _ring, _ledger, step);
        _advance(1, _ledger);
        _priorities?.LeavesChanged();
    }

    /// <summary>Fills <paramref name="batch"/> with transitions drawn uniformly (with replacement) from all sampleable ones: the CPU buffer's <c>SampleUniform</c>.</summary>
    /// <param name="batch">A batch made by this replay.</param>
    public void SampleUniform(DeviceBatch batch)
    {
        CheckBatch(batch);
        ulong counter = Reserve(batch.Size);
        _prefixes(1, _ledger, _envPrefix.View, _taskEnvPrefix.View, batch.TaskRowStarts.View, batch.Size, 0L);
        _selectUniform(batch.Size, _ledger, _envPrefix.View, batch.Slots.View, Options.Seed, Options.Stream, counter);
        _gather(batch.Size, _ring, batch.Views);
        batch.RelabeledStart = batch.Size;
    }

    /// <summary>
    /// stable-baselines3's HER sample, as the CPU buffer's <c>SampleHer</c> with a
    /// <see cref="ThresholdGoalReward"/>: a uniform batch whose last ⌊size·k/(k+1)⌋ rows get as desired
    /// goal the next achieved goal of a step of their own episode chosen by
    /// <paramref name="strategy"/>, with rewards (and termination, if the reward defines it)
    /// recomputed. Reserves two counters per row (slots, then goals), as the CPU buffer does.
    /// </summary>
    /// <param name="batch">A batch made by this replay.</param>
    /// <param name="strategy">Future, Final or Episode.</param>
    /// <param name="goalsPerTransition">k, in [0, 1000] (SB3's n_sampled_goal).</param>
    /// <param name="reward">The sparse goal reward: 0 within its threshold of the goal, else −1.</param>
    /// <exception cref="InvalidOperationException">The replay has no goals.</exception>
    public void SampleHer(DeviceBatch batch, HerGoalStrategy strategy, int goalsPerTransition, ThresholdGoalReward reward)
    {
        if ((uint)strategy > (uint)HerGoalStrategy.Episode)
        {
            throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "strategy must be Future, Final or Episode");
        }

        if (goalsPerTransition < 0 || goalsPerTransition > 1_000)
        {
            throw new ArgumentOutOfRangeException(nameof(goalsPerTransition), goalsPerTransition, "goalsPerTransition must be in [0, 1000]");
        }

        if (Options.GoalWidth == 0)
        {
            throw new InvalidOperationException("hindsight relabeling needs goals: create the replay with DeviceReplayOptions.GoalWidth > 0");
        }

        CheckBatch(batch);
        ulong sampleCounter = Reserve(batch.Size);
        ulong goalCounter = Reserve(batch.Size);
        int first = batch.Size - HerGoalSelection.RelabeledCount(batch.Size, goalsPerTransition);
        _prefixes(1, _ledger, _envPrefix.View, _taskEnvPrefix.View, batch.TaskRowStarts.View, batch.Size, 0L);
        _selectUniform(batch.Size, _ledger, _envPrefix.View, batch.Slots.View, Options.Seed, Options.Stream, sampleCounter);
        _gather(batch.Size, _ring, batch.Views);
        if (first < batch.Size)
        {
            _relabel(
                batch.Size - first, _ring, _ledger, batch.Views, first, (int)strategy, reward.Threshold, reward.DefinesTermination ? 1 : 0,
                Options.Seed, Options.Stream, goalCounter);
        }

        batch.RelabeledStart = first;
    }

    /// <summary>
    /// Fills <paramref name="batch"/> with equal shares per task, rows grouped by task
    /// (<see cref="DeviceBatch.TaskRowStarts"/>), uniform within each task: the CPU buffer's
    /// <c>SampleBalanced</c>, remainder rotation included.
    /// </summary>
    /// <param name="batch">A batch made by this replay.</param>
    public void SampleBalanced(DeviceBatch batch)
    {
        CheckBatch(batch);
        ulong counter = Reserve(batch.Size);
        _prefixes(1, _ledger, _envPrefix.View, _taskEnvPrefix.View, batch.TaskRowStarts.View, batch.Size, BalancedCalls);
        BalancedCalls++;
        _selectBalanced(
            batch.Size, _ring, _ledger, _envPrefix.View, _taskEnvPrefix.View, batch.TaskRowStarts.View, batch.Slots.View,
            Options.Seed, Options.Stream, counter);
        _gather(batch.Size, _ring, batch.Views);
        batch.RelabeledStart = batch.Size;
    }

    /// <summary>
    /// Proportional prioritized sampling, the CPU buffer's <c>SamplePrioritized</c>: row i takes a
    /// uniform point of the i-th of B equal segments of the total priority mass (words 0 and 1 of
    /// block counter + i) and the slot whose range holds it; <see cref="DeviceBatch.Weights"/> gets
    /// (n·P(i))^−β divided by the batch's largest, n being the sampleable slots.
    /// </summary>
    /// <param name="batch">A batch made by this replay.</param>
    /// <param name="beta">Importance-sampling exponent β in [0, 1].</param>
    /// <exception cref="InvalidOperationException">The replay keeps no priorities.</exception>
    public void SamplePrioritized(DeviceBatch batch, float beta)
    {
        CheckBatch(batch);
        DevicePriorities priorities = _priorities ?? throw new InvalidOperationException(
            "this replay keeps no priorities: create it with DeviceReplayOptions.Prioritized = true");
        CheckBeta(beta);
        ulong counter = Reserve(batch.Size);
        _prefixes(1, _ledger, _envPrefix.View, _taskEnvPrefix.View, batch.TaskRowStarts.View, batch.Size, 0L);
        priorities.SelectProportional(batch, _envPrefix.View, Options.EnvCount, _ledger.Fault, Options.Seed, Options.Stream, counter, beta);
        _gather(batch.Size, _ring, batch.Views);
        priorities.Normalize(batch);
        batch.RelabeledStart = batch.Size;
    }

    /// <summary>
    /// Task-balanced prioritized sampling, the CPU buffer's <c>SamplePrioritizedBalanced</c>: the
    /// balanced task shares (remainder rotating, the same counter as <see cref="SampleBalanced"/>),
    /// each task's rows stratified over its own tree; a row's weight is (n·(B_t/B)·p/Σ_t)^−β divided
    /// by the batch's largest.
    /// </summary>
    /// <param name="batch">A batch made by this replay.</param>
    /// <param name="beta">Importance-sampling exponent β in [0, 1].</param>
    /// <exception cref="InvalidOperationException">The replay keeps no per-task priorities.</exception>
    public void SamplePrioritizedBalanced(DeviceBatch batch, float beta)
    {
        CheckBatch(batch);
        DevicePriorities priorities = _priorities is { TaskTrees: true } p ? p : throw new InvalidOperationException(
            "this replay keeps no per-task priorities: create it with DeviceReplayOptions.Prioritized and TaskBalancedPriorities = true");
        CheckBeta(beta);
        ulong counter = Reserve(batch.Size);
        _prefixes(1, _ledger, _envPrefix.View, _taskEnvPrefix.View, batch.TaskRowStarts.View, batch.Size, BalancedCalls);
        BalancedCalls++;
        priorities.SelectTaskProportional(batch, _envPrefix.View, Options.EnvCount, _ledger.Fault, Options.Seed, Options.Stream, counter, beta);
        _gather(batch.Size, _ring, batch.Views);
        priorities.Normalize(batch);
        batch.RelabeledStart = batch.Size;
    }

    /// <summary>
    /// Sets new priorities (typically |TD error|, computed on the device) for sampled slots, as the
    /// CPU buffer's <c>UpdatePriorities</c>: ε is added, the largest becomes the priority of
    /// episodes that finish later, slots no longer sampleable are skipped, and a slot named twice
    /// takes its last row's priority. A slot outside [0, capacity) or a priority that is negative,
    /// NaN or ±∞ refuses the whole update, reported by <see cref="ThrowIfFaulted"/>.
    /// </summary>
    /// <param name="slots">Slots, e.g. <see cref="DeviceBatch.Slots"/>.</param>
    /// <param name="priorities">One priority per slot.</param>
    /// <exception cref="InvalidOperationException">The replay keeps no priorities.</exception>
    public void UpdatePriorities(ArrayView<int> slots, ArrayView<float> priorities)
    {
        DevicePriorities index = _priorities ?? throw new InvalidOperationException(
            "this replay keeps no priorities: create it with DeviceReplayOptions.Prioritized = true");
        if (slots.Length != priorities.Length)
        {
            throw new ArgumentException($"priorities must hold one value per slot ({slots.Length}), got {priorities.Length}", nameof(priorities));
        }

        if (slots.Length > 0)
        {
            index.Update(slots, priorities, _ledger, _ring.TaskIds);
        }
    }

    /// <summary>Largest priority seen so far (new episodes enter with it); 1 before any update (synchronises), as the CPU buffer's.</summary>
    /// <exception cref="InvalidOperationException">The replay keeps no priorities.</exception>
    public double ReadMaxPriority() => (_priorities ?? throw new InvalidOperationException(
        "this replay keeps no priorities: create it with DeviceReplayOptions.Prioritized = true")).ReadMaxPriority();

    /// <summary>The global sum tree (2 × capacity doubles, <see cref="SumTree"/>'s layout), parents rebuilt (synchronises).</summary>
    internal double[] ReadPriorityTree() => _priorities!.ReadTree();

    /// <summary>Task t's sum tree, parents rebuilt (synchronises).</summary>
    internal double[] ReadTaskPriorityTree(int task) => _priorities!.ReadTaskTree(task);

    /// <summary>
    /// Waits for the device and raises what its kernels recorded since the last call: a refused
    /// step as an <see cref="ArgumentException"/> naming the env and the cause, a sample taken
    /// before any episode ended as an <see cref="InvalidOperationException"/>. Clears what it reports.
    /// </summary>
    public void ThrowIfFaulted()
    {
        ThrowIfUpdateFaulted();
        int[] fault = _intFields[11].GetAsArray1D();
        if (fault[0] == DeviceReplayFault.None && fault[3] == DeviceReplayFault.None)
        {
            return;
        }

        _intFields[11].MemSetToZero();
        _device.Accelerator.Synchronize();
        int env = fault[1];
        int detail = fault[2];
        throw fault[0] switch
        {
            DeviceReplayFault.TaskOutOfRange => new ArgumentException(
                $"step.TaskIds[{env}] is {detail}; task ids must be in [0, {Options.TaskCount}) (TaskCount); the step was not added", "step"),
            DeviceReplayFault.TaskChangedMidEpisode => new ArgumentException(
                $"step.TaskIds[{env}] is {detail}, but env {env}'s unfinished episode has another task; a task may change only between episodes; the step was not added", "step"),
            DeviceReplayFault.NonFinite => new ArgumentException(
                $"step.{DeviceAddKernels.FieldName(detail)} of env {env} holds NaN or ±∞; a replay never stores a non-finite value; the step was not added", "step"),
            DeviceReplayFault.FlagNotBinary => new ArgumentException(
                $"step.{DeviceAddKernels.FieldName(detail)}[{env}] is neither 0 nor 1; the step was not added", "step"),
            _ when fault[3] == DeviceReplayFault.NoPriorityMass => new InvalidOperationException(
                "a sum tree holds no positive weight: every priority^α underflowed to 0 (lower PriorityExponent); the sampled rows are NaN"),
            _ => new InvalidOperationException(
                "no sampleable transition yet: only finished episodes are sampled, so add steps until at least one episode has ended (the sampled rows are NaN)"),
        };
    }

    /// <summary>A host copy of the episode bookkeeping (synchronises).</summary>
    public DeviceEpisodeSnapshot ReadEpisodes()
    {
        int[] position = _intFields[10].GetAsArray1D();
        return new DeviceEpisodeSnapshot(
            _intFields[1].GetAsArray1D(), _intFields[2].GetAsArray1D(), _intFields[7].GetAsArray1D(), _intFields[8].GetAsArray1D(),
            _intFields[9].GetAsArray1D(), position[0], position[1]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (MemoryBuffer1D<float, Stride1D.Dense> field in _floatFields)
        {
            field.Dispose();
        }

        foreach (MemoryBuffer1D<int, Stride1D.Dense> field in _intFields)
        {
            field.Dispose();
        }

        _envPrefix.Dispose();
        _taskEnvPrefix.Dispose();
        _priorities?.Dispose();
    }

    private static void CheckBeta(float beta)
    {
        if (!(beta >= 0f && beta <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be in [0, 1]");
        }
    }

    /// <summary>Raises a refused priority update as the CPU buffer's exception, naming the row and value; clears it.</summary>
    private void ThrowIfUpdateFaulted()
    {
        if (_priorities is null)
        {
            return;
        }

        (long code, long row, long value) = _priorities.TakeUpdateFault();
        if (code == DevicePriorityKernels.SlotOutOfRange)
        {
            throw new ArgumentOutOfRangeException(
                "slots", (int)value, $"slots[{row}] is {value}; slots must be in [0, {Options.Capacity}); no priority was updated");
        }

        if (code == DevicePriorityKernels.BadPriority)
        {
            float priority = BitConverter.Int32BitsToSingle((int)value);
            throw new ArgumentOutOfRangeException(
                "priorities", priority, $"priorities[{row}] is {priority.ToString(System.Globalization.CultureInfo.InvariantCulture)}; priorities must be finite numbers ≥ 0; no priority was updated");
        }
    }

    private static void CheckLength(long actual, int envs, int width, string name)
    {
        long expected = (long)envs * width;
        if (actual != expected)
        {
            throw new ArgumentException(
                width == 0
                    ? $"step.{name} has {actual} elements; this replay has no goals (GoalWidth 0), so it must be empty"
                    : $"step.{name} has {actual} elements; it needs EnvCount × width = {envs} × {width} = {expected}",
                "step");
        }
    }

    private MemoryBuffer1D<T, Stride1D.Dense> Zeroed<T>(long length)
        where T : unmanaged
    {
        MemoryBuffer1D<T, Stride1D.Dense> buffer = _device.Accelerator.Allocate1D<T>(length);
        buffer.MemSetToZero();
        return buffer;
    }

    private void CheckBatch(DeviceBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Options != Options)
        {
            throw new ArgumentException("the batch was made for a replay of another shape; create it with this replay's CreateBatch", nameof(batch));
        }
    }

    private ulong Reserve(int rows)
    {
        ulong counter = RandomCounter;
        RandomCounter += (ulong)rows;
        return counter;
    }
}
