using System;

namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// Shape of a <see cref="DeviceReplay"/>: the CPU buffer's ring (capacity / envs rows of envs
/// slots, slot = row · envs + env) with float fields. Seed and stream are the CPU buffer's, so
/// the same options sample the same slots on both.
/// </summary>
public sealed record DeviceReplayOptions
{
    /// <summary>Largest capacity, as the CPU buffer's (2^29 slots).</summary>
    public const int MaxCapacity = 1 << 29;

    /// <summary>Largest task count, as the CPU buffer's.</summary>
    public const int MaxTaskCount = 1 << 16;

    /// <summary>Slots in total; a multiple of <see cref="EnvCount"/>.</summary>
    public required int Capacity { get; init; }

    /// <summary>Parallel environments; each owns one column of the ring.</summary>
    public int EnvCount { get; init; } = 1;

    /// <summary>Floats per observation.</summary>
    public required int ObservationWidth { get; init; }

    /// <summary>Floats per action (discrete actions are stored as their float value).</summary>
    public int ActionWidth { get; init; } = 1;

    /// <summary>Floats per goal; 0 for a replay without goals.</summary>
    public int GoalWidth { get; init; }

    /// <summary>Tasks; task ids are in [0, TaskCount).</summary>
    public int TaskCount { get; init; } = 1;

    /// <summary>Keeps a device sum tree of priorities so <see cref="DeviceReplay.SamplePrioritized"/> is available (16 bytes per slot), as the CPU option.</summary>
    public bool Prioritized { get; init; }

    /// <summary>Also keeps one sum tree per task (16 bytes per slot and task) for <see cref="DeviceReplay.SamplePrioritizedBalanced"/>; needs <see cref="Prioritized"/>.</summary>
    public bool TaskBalancedPriorities { get; init; }

    /// <summary>α: a slot's sampling weight is priority^α; PER's default 0.6, as the CPU option.</summary>
    public float PriorityExponent { get; init; } = 0.6f;

    /// <summary>ε added to every updated priority so no sampleable transition gets probability 0, as the CPU option.</summary>
    public float PriorityEpsilon { get; init; } = 1e-6f;

    /// <summary>Experiment seed of the samplers.</summary>
    public ulong Seed { get; init; }

    /// <summary>Philox stream of the samplers; the CPU buffer's default ("REPLAY").</summary>
    public ulong Stream { get; init; } = 0x5245_504C_4159;

    /// <summary>Rows of the ring.</summary>
    public int Rows => Capacity / EnvCount;

    /// <summary>Checks every option, naming the first bad one and its allowed range.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (EnvCount < 1 || EnvCount > MaxCapacity)
        {
            throw new ArgumentOutOfRangeException(nameof(EnvCount), EnvCount, $"EnvCount must be in [1, {MaxCapacity}]");
        }

        if (Capacity < EnvCount || Capacity > MaxCapacity)
        {
            throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, $"Capacity must be in [EnvCount = {EnvCount}, {MaxCapacity}]");
        }

        if (Capacity % EnvCount != 0)
        {
            throw new ArgumentException($"Capacity ({Capacity}) must be a multiple of EnvCount ({EnvCount}): each env owns one column of capacity / EnvCount rows", nameof(Capacity));
        }

        CheckWidth(nameof(ObservationWidth), ObservationWidth, 1);
        CheckWidth(nameof(ActionWidth), ActionWidth, 1);
        CheckWidth(nameof(GoalWidth), GoalWidth, 0);
        if (TaskCount < 1 || TaskCount > MaxTaskCount)
        {
            throw new ArgumentOutOfRangeException(nameof(TaskCount), TaskCount, $"TaskCount must be in [1, {MaxTaskCount}]");
        }

        if ((long)TaskCount * (EnvCount + 1) > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(TaskCount), TaskCount, $"TaskCount × (EnvCount + 1) must be at most {int.MaxValue}");
        }

        if (TaskBalancedPriorities && !Prioritized)
        {
            throw new ArgumentException("TaskBalancedPriorities needs Prioritized = true", nameof(TaskBalancedPriorities));
        }

        if (TaskBalancedPriorities && (long)TaskCount * 2 * Capacity > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(TaskBalancedPriorities), TaskCount,
                $"per-task priority trees need TaskCount × 2 × Capacity ≤ {Array.MaxLength} doubles; {TaskCount} tasks × 2 × {Capacity} is more");
        }

        if (!(PriorityExponent >= 0f) || float.IsInfinity(PriorityExponent))
        {
            throw new ArgumentOutOfRangeException(nameof(PriorityExponent), PriorityExponent, "PriorityExponent must be a finite number ≥ 0");
        }

        if (!(PriorityEpsilon > 0f) || float.IsInfinity(PriorityEpsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(PriorityEpsilon), PriorityEpsilon, "PriorityEpsilon must be a finite number > 0");
        }
    }

    private void CheckWidth(string name, int width, int minimum)
    {
        // A field is one device array of capacity × width elements, indexed with 32-bit ints.
        long limit = int.MaxValue / Capacity;
        if (width < minimum || width > limit)
        {
            throw new ArgumentOutOfRangeException(name, width, $"{name} must be in [{minimum}, {limit}] for Capacity {Capacity} (a field holds at most {int.MaxValue} elements)");
        }
    }
}
