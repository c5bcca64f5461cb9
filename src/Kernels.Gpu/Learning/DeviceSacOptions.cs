using System;
using System.Collections.Generic;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Optimization;

namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>
/// The device SAC update's settings, with the CPU <c>SacOptions</c>' names, defaults and ranges
/// (this project does not reference the runtime): γ 0.99, τ 0.005, learning rate 3·10⁻⁴ for every
/// optimizer, a learned temperature from α = 1 toward −d, the actor and targets updated every
/// update, log-std in [−20, 2]. Map a CPU run's options field for field, with
/// <see cref="Seed"/> the run's seed, so the device draws the CPU's noise.
/// </summary>
public sealed record DeviceSacOptions
{
    /// <summary>Discount γ, in (0, 1] (used as the CPU's float).</summary>
    public float Gamma { get; init; } = (float)TrainingDefaults.Gamma;

    /// <summary>Polyak τ of the target critics, in (0, 1].</summary>
    public float Tau { get; init; } = (float)TrainingDefaults.ActorCriticTau;

    /// <summary>The run's seed: the reparameterised samples draw from Philox stream "SACNOI" under it, as the CPU trainer.</summary>
    public ulong Seed { get; init; }

    /// <summary>Fixed, one learned or one learned per task.</summary>
    public TemperatureMode Alpha { get; init; } = TemperatureMode.Learned;

    /// <summary>Initial (or fixed) temperature α &gt; 0.</summary>
    public double AlphaInit { get; init; } = TrainingDefaults.SacAlphaInit;

    /// <summary>Adam's learning rate for log α.</summary>
    public float AlphaLearningRate { get; init; } = (float)TrainingDefaults.SacLearningRate;

    /// <summary>Entropy the temperature steers toward; null = −(action dimensions).</summary>
    public double? TargetEntropy { get; init; }

    /// <summary>The actor's optimizer (learning rate and <c>GradientClip</c>).</summary>
    public DeviceAdamOptions Actor { get; init; } = new(LearningRate: (float)TrainingDefaults.SacLearningRate);

    /// <summary>Each critic's optimizer (learning rate and <c>GradientClip</c>).</summary>
    public DeviceAdamOptions Critic { get; init; } = new(LearningRate: (float)TrainingDefaults.SacLearningRate);

    /// <summary>Critic updates per actor (and temperature) update, at least 1.</summary>
    public int ActorUpdateEvery { get; init; } = TrainingDefaults.SacActorUpdateEvery;

    /// <summary>Updates between Polyak steps of the target critics, at least 1.</summary>
    public int TargetUpdateEvery { get; init; } = TrainingDefaults.SacTargetUpdateEvery;

    /// <summary>Fixed weight of each task's loss (one per task, each finite and ≥ 0), or null for 1.</summary>
    public IReadOnlyList<double>? TaskWeights { get; init; }

    /// <summary>Soft-Module's T·softmax(−log α) task weights instead of fixed ones (needs per-task temperatures and no <see cref="TaskWeights"/>).</summary>
    public bool AlphaSoftmaxWeights { get; init; }

    /// <summary>Lower bound of the policy's log standard deviation.</summary>
    public float LogStdMin { get; init; } = -20f;

    /// <summary>Upper log-std bound.</summary>
    public float LogStdMax { get; init; } = 2f;

    /// <summary>Throws if a value is outside its range, naming it and the range.</summary>
    public void Validate()
    {
        if (!(Gamma > 0f && Gamma <= 1f)) throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, "must be in (0, 1]");
        if (!(Tau > 0f && Tau <= 1f)) throw new ArgumentOutOfRangeException(nameof(Tau), Tau, "must be in (0, 1]");
        if (!Enum.IsDefined(Alpha)) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "must be Fixed, Learned or PerTask");
        if (!(AlphaInit > 0) || double.IsInfinity(AlphaInit)) throw new ArgumentOutOfRangeException(nameof(AlphaInit), AlphaInit, "must be finite and greater than 0");
        if (!(AlphaLearningRate > 0f) || float.IsInfinity(AlphaLearningRate)) throw new ArgumentOutOfRangeException(nameof(AlphaLearningRate), AlphaLearningRate, "must be finite and greater than 0");
        if (TargetEntropy is { } entropy && !double.IsFinite(entropy)) throw new ArgumentOutOfRangeException(nameof(TargetEntropy), entropy, "must be finite");
        ArgumentNullException.ThrowIfNull(Actor);
        ArgumentNullException.ThrowIfNull(Critic);
        Actor.Validate();
        Critic.Validate();
        if (ActorUpdateEvery < 1) throw new ArgumentOutOfRangeException(nameof(ActorUpdateEvery), ActorUpdateEvery, "must be at least 1");
        if (TargetUpdateEvery < 1) throw new ArgumentOutOfRangeException(nameof(TargetUpdateEvery), TargetUpdateEvery, "must be at least 1");
        if (TaskWeights is not null)
        {
            for (int t = 0; t < TaskWeights.Count; t++)
            {
                if (!(TaskWeights[t] >= 0) || double.IsInfinity(TaskWeights[t])) throw new ArgumentOutOfRangeException(nameof(TaskWeights), TaskWeights[t], $"TaskWeights[{t}] must be finite and at least 0");
            }
        }

        if (AlphaSoftmaxWeights && (Alpha != TemperatureMode.PerTask || TaskWeights is not null))
        {
            throw new ArgumentException("AlphaSoftmaxWeights needs per-task temperatures (Alpha = PerTask) and no fixed TaskWeights", nameof(AlphaSoftmaxWeights));
        }

        if (!(float.IsFinite(LogStdMin) && float.IsFinite(LogStdMax) && LogStdMin < LogStdMax))
        {
            throw new ArgumentOutOfRangeException(nameof(LogStdMax), LogStdMax, $"log-std bounds must be finite with LogStdMin ({LogStdMin}) < LogStdMax");
        }
    }
}
