using System;
using Mtrl.Contracts;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// TD3's hyperparameters (Fujimoto et al. 2018): the shared off-policy settings with TD3's
/// defaults (learning rate 1e-3, Polyak τ 0.005) and its own smoothing, delay and exploration
/// settings. Noise scales are in the normalised action range [−1, 1].
/// </summary>
public sealed record Td3Options : OffPolicyOptions
{
    /// <summary>TD3's defaults.</summary>
    public Td3Options() => LearningRate = (float)TrainingDefaults.Td3LearningRate;

    /// <summary>σ of the Gaussian noise added to the target policy's action (target-policy smoothing).</summary>
    public double PolicyNoise { get; init; } = TrainingDefaults.Td3PolicyNoise;

    /// <summary>The smoothing noise is clipped to [−c, c].</summary>
    public double NoiseClip { get; init; } = TrainingDefaults.Td3NoiseClip;

    /// <summary>Critic updates per actor and target update.</summary>
    public int PolicyDelay { get; init; } = TrainingDefaults.Td3PolicyDelay;

    /// <summary>σ of the Gaussian exploration noise added to the policy's action while collecting.</summary>
    public double ExplorationNoise { get; init; } = TrainingDefaults.Td3ExplorationNoise;

    /// <summary>The actor's learning rate; null = <see cref="OffPolicyOptions.LearningRate"/>.</summary>
    public float? ActorLearningRate { get; init; }

    /// <summary>The critics' learning rate; null = <see cref="OffPolicyOptions.LearningRate"/>.</summary>
    public float? CriticLearningRate { get; init; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!(PolicyNoise >= 0) || double.IsInfinity(PolicyNoise)) throw new ArgumentOutOfRangeException(nameof(PolicyNoise), PolicyNoise, "must be finite and at least 0");
        if (!(NoiseClip >= 0) || double.IsInfinity(NoiseClip)) throw new ArgumentOutOfRangeException(nameof(NoiseClip), NoiseClip, "must be finite and at least 0");
        if (PolicyDelay < 1) throw new ArgumentOutOfRangeException(nameof(PolicyDelay), PolicyDelay, "must be at least 1");
        if (!(ExplorationNoise >= 0) || double.IsInfinity(ExplorationNoise)) throw new ArgumentOutOfRangeException(nameof(ExplorationNoise), ExplorationNoise, "must be finite and at least 0");
        SacOptions.PositiveRate(ActorLearningRate, nameof(ActorLearningRate));
        SacOptions.PositiveRate(CriticLearningRate, nameof(CriticLearningRate));
    }
}
