using System;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Learning;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>
/// A device DQN run's settings, with the CPU <c>DqnOptions</c>' meaning and defaults: the shared
/// loop settings, the target network's schedule, ε-greedy exploration and the update itself.
/// </summary>
public sealed record DeviceDqnTrainingOptions : DeviceOffPolicyOptions
{
    /// <summary>Transitions between target-network updates.</summary>
    public int TargetUpdateEvery { get; init; } = TrainingDefaults.TargetUpdateEvery;

    /// <summary>Polyak coefficient of a target update (1 copies).</summary>
    public float Tau { get; init; } = (float)TrainingDefaults.ValueBasedTau;

    /// <summary>Exploration rate when learning starts.</summary>
    public double EpsilonStart { get; init; } = TrainingDefaults.EpsilonStart;

    /// <summary>Exploration rate after <see cref="EpsilonDecaySteps"/> transitions.</summary>
    public double EpsilonEnd { get; init; } = TrainingDefaults.EpsilonEnd;

    /// <summary>Transitions over which ε falls linearly from start to end.</summary>
    public long EpsilonDecaySteps { get; init; } = 100_000;

    /// <summary>γ, double DQN, the loss and Adam.</summary>
    public DeviceDqnOptions Learner { get; init; } = new();

    /// <summary>ε after <paramref name="transitions"/> transitions: the CPU <c>DqnOptions.EpsilonAt</c>, operation for operation.</summary>
    /// <param name="transitions">Transitions collected.</param>
    public double EpsilonAt(long transitions) =>
        transitions >= EpsilonDecaySteps ? EpsilonEnd : EpsilonStart + (EpsilonEnd - EpsilonStart) * transitions / EpsilonDecaySteps;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (TargetUpdateEvery < 1) throw new ArgumentOutOfRangeException(nameof(TargetUpdateEvery), TargetUpdateEvery, "must be at least 1");
        if (!(Tau > 0f && Tau <= 1f)) throw new ArgumentOutOfRangeException(nameof(Tau), Tau, "must be in (0, 1]");
        if (!(EpsilonStart >= 0 && EpsilonStart <= 1)) throw new ArgumentOutOfRangeException(nameof(EpsilonStart), EpsilonStart, "must be in [0, 1]");
        if (!(EpsilonEnd >= 0 && EpsilonEnd <= 1)) throw new ArgumentOutOfRangeException(nameof(EpsilonEnd), EpsilonEnd, "must be in [0, 1]");
        if (EpsilonDecaySteps < 1) throw new ArgumentOutOfRangeException(nameof(EpsilonDecaySteps), EpsilonDecaySteps, "must be at least 1");
        ArgumentNullException.ThrowIfNull(Learner);
        Learner.Validate();
    }
}
