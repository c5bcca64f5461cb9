using System;
using Mtrl.Contracts;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>
/// What every device off-policy training loop shares, with the CPU <c>OffPolicyOptions</c>'
/// meaning and defaults: the seed, the transitions to train for, the random warm-up, the update
/// schedule, the replay's size and how batches are drawn.
/// </summary>
public record DeviceOffPolicyOptions
{
    /// <summary>Seed of the environments, the replay's draws and exploration.</summary>
    public ulong Seed { get; init; }

    /// <summary>Transitions to train for.</summary>
    public long Steps { get; init; } = TrainingDefaults.Steps;

    /// <summary>Transitions collected with uniformly random actions before learning starts.</summary>
    public long Warmup { get; init; } = TrainingDefaults.Warmup;

    /// <summary>Transitions between update rounds.</summary>
    public int TrainEvery { get; init; } = TrainingDefaults.ValueBasedTrainEvery;

    /// <summary>Gradient steps per update round.</summary>
    public int GradientSteps { get; init; } = TrainingDefaults.GradientSteps;

    /// <summary>Rows per batch.</summary>
    public int BatchSize { get; init; } = TrainingDefaults.BatchSize;

    /// <summary>Transitions the replay holds (rounded down to a multiple of the environment count, as on the CPU).</summary>
    public int ReplayCapacity { get; init; } = TrainingDefaults.ReplayCapacity;

    /// <summary>How batches are drawn.</summary>
    public DeviceReplaySampling Sampling { get; init; } = DeviceReplaySampling.Uniform;

    /// <summary>Hindsight relabeling of goal environments' batches; null: none.</summary>
    public DeviceHerSettings? Her { get; init; }

    /// <summary>Throws if a value is outside its range, naming it and the range.</summary>
    public virtual void Validate()
    {
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "must be at least 1");
        if (Warmup < 0) throw new ArgumentOutOfRangeException(nameof(Warmup), Warmup, "must be at least 0");
        if (TrainEvery < 1) throw new ArgumentOutOfRangeException(nameof(TrainEvery), TrainEvery, "must be at least 1");
        if (GradientSteps < 1) throw new ArgumentOutOfRangeException(nameof(GradientSteps), GradientSteps, "must be at least 1");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "must be at least 1");
        if (ReplayCapacity < 1) throw new ArgumentOutOfRangeException(nameof(ReplayCapacity), ReplayCapacity, "must be at least 1");
        if (!Enum.IsDefined(Sampling)) throw new ArgumentOutOfRangeException(nameof(Sampling), Sampling, "must be Uniform or TaskBalanced");
        Her?.Validate();
        if (Her is not null && Sampling != DeviceReplaySampling.Uniform)
        {
            throw new ArgumentException("hindsight relabeling on the device works with Uniform sampling only; task-balanced batches are not relabeled on the device yet", nameof(Her));
        }
    }
}
