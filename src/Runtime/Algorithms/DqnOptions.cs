using System;
using Mtrl.Contracts;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// DQN's hyperparameters: the off-policy settings every trainer shares (with DQN's defaults:
/// learning rate 1e-4, an update every 4 transitions, gradient clip 10, target copied every
/// 1,000 transitions) and DQN's own target, loss and exploration settings.
/// </summary>
public sealed record DqnOptions : OffPolicyOptions
{
    /// <summary>DQN's defaults (stable-baselines3's, with a smaller replay warm-up).</summary>
    public DqnOptions()
    {
        LearningRate = (float)TrainingDefaults.ValueBasedLearningRate;
        TrainEvery = TrainingDefaults.ValueBasedTrainEvery;
        GradientClip = (float)TrainingDefaults.ValueBasedGradientClip;
        Tau = (float)TrainingDefaults.ValueBasedTau;
    }

    /// <summary>Transitions between target-network updates.</summary>
    public int TargetUpdateEvery { get; init; } = TrainingDefaults.TargetUpdateEvery;

    /// <summary>Double DQN: the online network picks the next action, the target network values it.</summary>
    public bool Double { get; init; } = true;

    /// <summary>The TD loss.</summary>
    public TdLossKind Loss { get; init; } = TdLossKind.Huber;

    /// <summary>Exploration rate at the start of learning.</summary>
    public double EpsilonStart { get; init; } = TrainingDefaults.EpsilonStart;

    /// <summary>Exploration rate after <see cref="EpsilonDecaySteps"/> transitions.</summary>
    public double EpsilonEnd { get; init; } = TrainingDefaults.EpsilonEnd;

    /// <summary>Transitions over which ε falls linearly from start to end.</summary>
    public long EpsilonDecaySteps { get; init; } = 100_000;

    /// <summary>ε after <paramref name="transitions"/> transitions.</summary>
    public double EpsilonAt(long transitions) =>
        transitions >= EpsilonDecaySteps ? EpsilonEnd : EpsilonStart + (EpsilonEnd - EpsilonStart) * transitions / EpsilonDecaySteps;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (TargetUpdateEvery < 1) throw new ArgumentOutOfRangeException(nameof(TargetUpdateEvery), TargetUpdateEvery, "must be at least 1");
        if (!(EpsilonStart >= 0 && EpsilonStart <= 1)) throw new ArgumentOutOfRangeException(nameof(EpsilonStart), EpsilonStart, "must be in [0, 1]");
        if (!(EpsilonEnd >= 0 && EpsilonEnd <= 1)) throw new ArgumentOutOfRangeException(nameof(EpsilonEnd), EpsilonEnd, "must be in [0, 1]");
        if (EpsilonDecaySteps < 1) throw new ArgumentOutOfRangeException(nameof(EpsilonDecaySteps), EpsilonDecaySteps, "must be at least 1");
    }
}
