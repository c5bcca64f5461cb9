using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// A preallocated batch on the device, filled by <see cref="DeviceReplay"/>'s samplers and read by
/// device learners without a host copy: the CPU <c>ReplayBatch</c>'s float fields, one row per
/// sample, plus the slot each row came from and the task shares of a balanced sample.
/// </summary>
public sealed class DeviceBatch : IDisposable
{
    internal DeviceBatch(GpuDevice device, DeviceReplayOptions options, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        Options = options;
        Size = size;
        Observations = accelerator.Allocate1D<float>((long)size * options.ObservationWidth);
        NextObservations = accelerator.Allocate1D<float>((long)size * options.ObservationWidth);
        Actions = accelerator.Allocate1D<float>((long)size * options.ActionWidth);
        Rewards = accelerator.Allocate1D<float>(size);
        Terminated = accelerator.Allocate1D<float>(size);
        Truncated = accelerator.Allocate1D<float>(size);
        TaskIds = accelerator.Allocate1D<int>(size);
        long goals = Math.Max(1L, (long)size * options.GoalWidth);
        AchievedGoals = accelerator.Allocate1D<float>(goals);
        NextAchievedGoals = accelerator.Allocate1D<float>(goals);
        DesiredGoals = accelerator.Allocate1D<float>(goals);
        Slots = accelerator.Allocate1D<int>(size);
        GoalSlots = accelerator.Allocate1D<int>(size);
        TaskRowStarts = accelerator.Allocate1D<int>(options.TaskCount + 1);
        Weights = accelerator.Allocate1D<float>(size);
        RawWeights = accelerator.Allocate1D<float>(size);
    }

    /// <summary>The replay shape the batch was made for.</summary>
    public DeviceReplayOptions Options { get; }

    /// <summary>Rows.</summary>
    public int Size { get; }

    /// <summary>Observations, rows × observation width.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Observations { get; }

    /// <summary>Observations after the step, rows × observation width.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> NextObservations { get; }

    /// <summary>Actions, rows × action width.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Actions { get; }

    /// <summary>One reward per row.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Rewards { get; }

    /// <summary>Termination flag per row, 0 or 1.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Terminated { get; }

    /// <summary>Truncation flag per row, 0 or 1.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Truncated { get; }

    /// <summary>Task id per row.</summary>
    public MemoryBuffer1D<int, Stride1D.Dense> TaskIds { get; }

    /// <summary>Achieved goals, rows × goal width (one unused element without goals).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> AchievedGoals { get; }

    /// <summary>Next achieved goals, rows × goal width (one unused element without goals).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> NextAchievedGoals { get; }

    /// <summary>Desired goals, rows × goal width (one unused element without goals).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> DesiredGoals { get; }

    /// <summary>The ring slot of each row (−1 for a row that had nothing to draw from).</summary>
    public MemoryBuffer1D<int, Stride1D.Dense> Slots { get; }

    /// <summary>Per row, the slot whose next achieved goal became its desired goal; −1 for rows that were not relabeled.</summary>
    public MemoryBuffer1D<int, Stride1D.Dense> GoalSlots { get; }

    /// <summary>Rows [RelabeledStart, Size) carry hindsight goals after <see cref="DeviceReplay.SampleHer"/>; Size after the other samplers.</summary>
    public int RelabeledStart { get; internal set; }

    /// <summary>After a balanced sample: task t owns rows [TaskRowStarts[t], TaskRowStarts[t + 1]).</summary>
    public MemoryBuffer1D<int, Stride1D.Dense> TaskRowStarts { get; }

    /// <summary>
    /// Importance weight per row: (n·P(row))^−β divided by the batch's largest after a prioritized
    /// sample, 1 after the others (as the CPU batch's Weights).
    /// </summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Weights { get; }

    /// <summary>A prioritized sample's weights before the division by the largest.</summary>
    internal MemoryBuffer1D<float, Stride1D.Dense> RawWeights { get; }

    internal DeviceBatchViews Views => new()
    {
        Observations = Observations.View,
        NextObservations = NextObservations.View,
        Actions = Actions.View,
        Rewards = Rewards.View,
        Terminated = Terminated.View,
        Truncated = Truncated.View,
        TaskIds = TaskIds.View,
        AchievedGoals = AchievedGoals.View,
        NextAchievedGoals = NextAchievedGoals.View,
        DesiredGoals = DesiredGoals.View,
        Slots = Slots.View,
        GoalSlots = GoalSlots.View,
        Weights = Weights.View,
    };

    /// <inheritdoc />
    public void Dispose()
    {
        Observations.Dispose();
        NextObservations.Dispose();
        Actions.Dispose();
        Rewards.Dispose();
        Terminated.Dispose();
        Truncated.Dispose();
        TaskIds.Dispose();
        AchievedGoals.Dispose();
        NextAchievedGoals.Dispose();
        DesiredGoals.Dispose();
        Slots.Dispose();
        GoalSlots.Dispose();
        TaskRowStarts.Dispose();
        Weights.Dispose();
        RawWeights.Dispose();
    }
}
