using System;
using Mtrl.Contracts;
using Mtrl.Runtime.Losses;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// Settings of <see cref="DistralTrainer"/>: the off-policy settings every trainer shares (with
/// DQN's defaults: learning rate 1e-4, an update every 4 transitions, gradient clip 10, targets
/// copied every 1,000 transitions), Distral's two costs, and the soft TD loss.
/// </summary>
/// <remarks>
/// Per-task gradient methods (PcGrad, CaGrad, GradNorm) are refused: the update is one joint
/// objective over two networks. Task weights and prioritized sampling (priorities from the soft TD
/// errors, importance weights on both losses) are supported.
/// </remarks>
public sealed record DistralOptions : OffPolicyOptions
{
    /// <summary>DQN's optimizer and target defaults (the task columns are a Q network).</summary>
    public DistralOptions()
    {
        LearningRate = (float)TrainingDefaults.ValueBasedLearningRate;
        TrainEvery = TrainingDefaults.ValueBasedTrainEvery;
        GradientClip = (float)TrainingDefaults.ValueBasedGradientClip;
        Tau = (float)TrainingDefaults.ValueBasedTau;
    }

    /// <summary>
    /// c_KL ≥ 0, the cost of KL(π_i ‖ π_0) in Distral's objective (Teh et al. 2017, Eq. 1), in reward
    /// units per step. Default 0.05. α = c_KL/(c_KL + c_Ent) weighs the distilled policy inside each
    /// task policy; 0 leaves plain soft Q-learning per task and an untrained π_0.
    /// </summary>
    public float KlCoefficient { get; init; } = (float)TrainingDefaults.DistralKlCoefficient;

    /// <summary>
    /// c_Ent ≥ 0, the cost of each task policy's negative entropy (Eq. 1). Default 0.01. With c_KL,
    /// it sets the inverse temperature β = 1/(c_KL + c_Ent) of the soft values (default 1/0.06 ≈ 16.7,
    /// α ≈ 0.83); c_KL + c_Ent must be above 0.
    /// </summary>
    public float EntropyCoefficient { get; init; } = (float)TrainingDefaults.DistralEntropyCoefficient;

    /// <summary>Transitions between target-network updates (by <see cref="OffPolicyOptions.Tau"/>: 1 copies).</summary>
    public int TargetUpdateEvery { get; init; } = TrainingDefaults.TargetUpdateEvery;

    /// <summary>The loss of the soft TD error f_i(s, a) − (r + γ(1 − terminated)·V_i(s′)).</summary>
    public TdLossKind Loss { get; init; } = TdLossKind.Huber;

    /// <summary>(α, β) of <see cref="DistillationLoss.DistralCoefficients"/> for these costs.</summary>
    public (float Alpha, float Beta) Coefficients => DistillationLoss.DistralCoefficients(KlCoefficient, EntropyCoefficient);

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!(KlCoefficient >= 0f) || float.IsPositiveInfinity(KlCoefficient)) throw new ArgumentOutOfRangeException(nameof(KlCoefficient), KlCoefficient, "must be finite and at least 0");
        if (!(EntropyCoefficient >= 0f) || float.IsPositiveInfinity(EntropyCoefficient)) throw new ArgumentOutOfRangeException(nameof(EntropyCoefficient), EntropyCoefficient, "must be finite and at least 0");
        var beta = 1.0 / ((double)KlCoefficient + EntropyCoefficient);
        if (!(beta < float.MaxValue))
        {
            throw new ArgumentOutOfRangeException(nameof(EntropyCoefficient), EntropyCoefficient, "KlCoefficient + EntropyCoefficient must be above 0 (β = 1/(c_KL + c_Ent) must be finite)");
        }
        if (TargetUpdateEvery < 1) throw new ArgumentOutOfRangeException(nameof(TargetUpdateEvery), TargetUpdateEvery, "must be at least 1");
        if (!Enum.IsDefined(Loss)) throw new ArgumentOutOfRangeException(nameof(Loss), Loss, "must be Huber or SquaredError");
        if (Gradients != TaskGradientMethod.None)
        {
            throw new ArgumentException($"Distral does not combine per-task gradients ({Gradients}); use TaskGradientMethod.None, with TaskWeights to weigh tasks", nameof(Gradients));
        }
    }
}
