using System;
using Mtrl.Kernels.Replay;

using Mtrl.Contracts;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// The shape of a <see cref="ReplayBuffer"/>: how many transitions it holds, how many environments
/// write into it per step, the width of every field, and how it samples. Fixed at construction
/// because every field is one preallocated flat array of capacity × width elements.
/// </summary>
public sealed record ReplayBufferOptions
{
    /// <summary>Largest capacity accepted: slots are int indices and priorities need 2·capacity tree nodes.</summary>
    public const int MaxCapacity = ReplayLimits.MaxCapacity;

    /// <summary>Largest number of tasks, so per-task tables stay small.</summary>
    public const int MaxTaskCount = 1 << 16;

    /// <summary>Transitions stored before the oldest are overwritten; a positive multiple of <see cref="EnvCount"/>.</summary>
    public required int Capacity { get; init; }

    /// <summary>Parallel environments, each adding one transition per <see cref="ReplayBuffer.Add"/> into its own episode.</summary>
    public int EnvCount { get; init; } = 1;

    /// <summary>Floats per observation.</summary>
    public required int ObservationWidth { get; init; }

    /// <summary>Elements per action (1 for a single discrete action).</summary>
    public int ActionWidth { get; init; } = 1;

    /// <summary>True stores actions as ints (discrete), false as floats (continuous).</summary>
    public bool DiscreteActions { get; init; }

    /// <summary>Floats per goal for goal-conditioned tasks (achieved and desired goals); 0 stores no goals.</summary>
    public int GoalWidth { get; init; }

    /// <summary>
    /// How observations (before and after the step) are stored: <see cref="ColumnElementType.Float32"/>
    /// (default, any value), <see cref="ColumnElementType.UInt8"/> (integers in [0, 255]) or
    /// <see cref="ColumnElementType.Bit"/> (0 and 1 only, e.g. BitFlip or MultiBinary spaces). Batches
    /// are float32 whatever the choice; <see cref="ReplayBuffer.Add"/> refuses values the type cannot store.
    /// </summary>
    public ColumnElementType ObservationElementType { get; init; }

    /// <summary>How the three goal fields are stored, like <see cref="ObservationElementType"/>; needs <see cref="GoalWidth"/> &gt; 0 unless Float32.</summary>
    public ColumnElementType GoalElementType { get; init; }

    /// <summary>Number of tasks; transitions carry a task id in [0, TaskCount).</summary>
    public int TaskCount { get; init; } = 1;

    /// <summary>Keeps a sum tree of priorities so <see cref="ReplayBuffer.SamplePrioritized"/> is available (16 bytes per slot).</summary>
    public bool Prioritized { get; init; }

    /// <summary>
    /// Also keeps one sum tree per task (16 bytes per slot and task), so
    /// <see cref="ReplayBuffer.SamplePrioritizedBalanced"/> can give every task an equal share of a
    /// batch drawn by priority within the task. Needs <see cref="Prioritized"/>.
    /// </summary>
    public bool TaskBalancedPriorities { get; init; }

    /// <summary>α: a slot's sampling weight is priority^α (0 = uniform, 1 = fully proportional); PER's default is 0.6.</summary>
    public float PriorityExponent { get; init; } = 0.6f;

    /// <summary>ε added to every updated priority |δ| so no sampleable transition gets probability 0.</summary>
    public float PriorityEpsilon { get; init; } = 1e-6f;

    /// <summary>Seed of the counter-based generator every sampler draws from.</summary>
    public ulong Seed { get; init; }

    /// <summary>Philox stream of the samplers, distinct from other consumers of the same seed.</summary>
    public ulong Stream { get; init; } = 0x5245_504C_4159; // "REPLAY"

    /// <summary>Rows of the ring: capacity / envs.</summary>
    internal int Rows => Capacity / EnvCount;

    /// <summary>Checks every field; the exception names the field and its allowed range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A field is outside its range.</exception>
    /// <exception cref="ArgumentException">Capacity is not a multiple of the env count.</exception>
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
        CheckElementType(nameof(ObservationElementType), ObservationElementType);
        CheckElementType(nameof(GoalElementType), GoalElementType);
        if (GoalWidth == 0 && GoalElementType != ColumnElementType.Float32)
        {
            throw new ArgumentException(
                $"GoalElementType is {GoalElementType} but GoalWidth is 0: a buffer without goals has no goal columns to store compactly; leave GoalElementType at Float32 or set GoalWidth > 0",
                nameof(GoalElementType));
        }

        if (TaskCount < 1 || TaskCount > MaxTaskCount)
        {
            throw new ArgumentOutOfRangeException(nameof(TaskCount), TaskCount, $"TaskCount must be in [1, {MaxTaskCount}]");
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

    private static void CheckElementType(string name, ColumnElementType type)
    {
        if (type is not (ColumnElementType.Float32 or ColumnElementType.UInt8 or ColumnElementType.Bit))
        {
            throw new ArgumentOutOfRangeException(name, type, $"{name} must be Float32, UInt8 or Bit");
        }
    }

    private void CheckWidth(string name, int width, int minimum)
    {
        // Every field is one flat array of capacity × width elements.
        long limit = Array.MaxLength / Math.Max(Capacity, 1);
        if (width < minimum || width > limit)
        {
            throw new ArgumentOutOfRangeException(name, width, $"{name} must be in [{minimum}, {limit}] for Capacity {Capacity} (a field holds at most {Array.MaxLength} elements)");
        }
    }
}
