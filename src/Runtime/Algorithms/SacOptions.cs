using System;
using Mtrl.Contracts;

namespace Mtrl.Runtime.Algorithms;

/// <summary>How each task's share of the critic and actor losses is weighted.</summary>
public enum TaskLossWeighting
{
    /// <summary>Every task weighs 1, or <see cref="OffPolicyOptions.TaskWeights"/> when given.</summary>
    Fixed,

    /// <summary>
    /// Soft-Module's reweighting (Yang et al. 2020): task t weighs T·softmax(−log α)_t, from the
    /// per-task temperatures at the start of the update, held constant in the gradients. Tasks the
    /// policy is still uncertain about (large α) count less.
    /// </summary>
    AlphaSoftmax,
}

/// <summary>
/// Soft actor-critic's hyperparameters (Haarnoja et al. 2018, with twin critics and learned
/// temperature; multi-task as in facebookresearch/mtrl): the shared off-policy settings with
/// SAC's defaults (learning rate 3e-4, an update per transition, Polyak τ 0.005) and SAC's own.
/// </summary>
public sealed record SacOptions : OffPolicyOptions
{
    /// <summary>Fixed, one learned or one learned per task.</summary>
    public TemperatureMode Alpha { get; init; } = TemperatureMode.Learned;

    /// <summary>Initial (or fixed) temperature α &gt; 0.</summary>
    public double AlphaInit { get; init; } = TrainingDefaults.SacAlphaInit;

    /// <summary>Adam's learning rate for log α; null = <see cref="OffPolicyOptions.LearningRate"/>.</summary>
    public float? AlphaLearningRate { get; init; }

    /// <summary>Entropy the temperature steers toward; null = −(action dimensions), the usual heuristic.</summary>
    public double? TargetEntropy { get; init; }

    /// <summary>The actor's learning rate; null = <see cref="OffPolicyOptions.LearningRate"/>.</summary>
    public float? ActorLearningRate { get; init; }

    /// <summary>The critics' learning rate; null = <see cref="OffPolicyOptions.LearningRate"/>.</summary>
    public float? CriticLearningRate { get; init; }

    /// <summary>Critic updates per actor (and temperature) update.</summary>
    public int ActorUpdateEvery { get; init; } = TrainingDefaults.SacActorUpdateEvery;

    /// <summary>Updates between Polyak steps of the target critics.</summary>
    public int TargetUpdateEvery { get; init; } = TrainingDefaults.SacTargetUpdateEvery;

    /// <summary>Task weighting of the critic and actor losses.</summary>
    public TaskLossWeighting LossWeighting { get; init; } = TaskLossWeighting.Fixed;

    /// <summary>Bounds of the policy's log standard deviation (the Gaussian head squashes into them).</summary>
    public float LogStdMin { get; init; } = -20f;

    /// <summary>Upper log-std bound.</summary>
    public float LogStdMax { get; init; } = 2f;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!Enum.IsDefined(Alpha)) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "must be Fixed, Learned or PerTask");
        if (!(AlphaInit > 0) || double.IsInfinity(AlphaInit)) throw new ArgumentOutOfRangeException(nameof(AlphaInit), AlphaInit, "must be finite and greater than 0");
        PositiveRate(AlphaLearningRate, nameof(AlphaLearningRate));
        PositiveRate(ActorLearningRate, nameof(ActorLearningRate));
        PositiveRate(CriticLearningRate, nameof(CriticLearningRate));
        if (TargetEntropy is { } entropy && !double.IsFinite(entropy)) throw new ArgumentOutOfRangeException(nameof(TargetEntropy), entropy, "must be finite");
        if (ActorUpdateEvery < 1) throw new ArgumentOutOfRangeException(nameof(ActorUpdateEvery), ActorUpdateEvery, "must be at least 1");
        if (TargetUpdateEvery < 1) throw new ArgumentOutOfRangeException(nameof(TargetUpdateEvery), TargetUpdateEvery, "must be at least 1");
        if (!Enum.IsDefined(LossWeighting)) throw new ArgumentOutOfRangeException(nameof(LossWeighting), LossWeighting, "must be Fixed or AlphaSoftmax");
        if (LossWeighting == TaskLossWeighting.AlphaSoftmax && (Alpha != TemperatureMode.PerTask || TaskWeights is not null))
        {
            throw new ArgumentException("AlphaSoftmax weighting needs per-task temperatures (Alpha = PerTask) and no fixed TaskWeights", nameof(LossWeighting));
        }
        if (!(float.IsFinite(LogStdMin) && float.IsFinite(LogStdMax) && LogStdMin < LogStdMax))
        {
            throw new ArgumentOutOfRangeException(nameof(LogStdMax), LogStdMax, $"log-std bounds must be finite with LogStdMin ({LogStdMin}) < LogStdMax");
        }
    }

    internal static void PositiveRate(float? rate, string name)
    {
        if (rate is { } r && (!(r > 0f) || float.IsInfinity(r))) throw new ArgumentOutOfRangeException(name, r, "must be finite and greater than 0");
    }
}
