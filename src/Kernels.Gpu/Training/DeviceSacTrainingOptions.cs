using System;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Learning;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>
/// A device SAC run's settings, with the CPU <c>SacOptions</c>' meaning and defaults: the shared
/// loop settings (an update every transition by default, as actor-critic trainers do) and the
/// update itself (γ, τ, temperatures, optimizers, schedules; its seed is the run's).
/// </summary>
public sealed record DeviceSacTrainingOptions : DeviceOffPolicyOptions
{
    /// <summary>The actor-critic defaults of the shared settings.</summary>
    public DeviceSacTrainingOptions()
    {
        TrainEvery = TrainingDefaults.ActorCriticTrainEvery;
    }

    /// <summary>The update's settings; its <see cref="DeviceSacOptions.Seed"/> must be the run's <see cref="DeviceOffPolicyOptions.Seed"/> (the CPU trainer has one seed).</summary>
    public DeviceSacOptions Learner { get; init; } = new();

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        ArgumentNullException.ThrowIfNull(Learner);
        Learner.Validate();
        if (Learner.Seed != Seed)
        {
            throw new ArgumentException($"Learner.Seed ({Learner.Seed}) must equal Seed ({Seed}): the CPU trainer draws its update noise from the run's seed", nameof(Learner));
        }
    }
}
