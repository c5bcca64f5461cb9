using System;
using Mtrl.Contracts;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// Settings of <see cref="DistillationTrainer"/>: the off-policy settings every trainer shares
/// (with DQN's defaults: learning rate 1e-4, an update every 4 transitions, gradient clip 10), the
/// loss, its temperature, who collects the data, the ε schedule of whoever collects, and the weight
/// of Actor-Mimic's feature regression.
/// </summary>
/// <remarks>
/// Prioritized sampling and per-task gradient methods (PcGrad, CaGrad, GradNorm) are refused:
/// distillation has no TD error to prioritise by and one loss per row, not per task. Task weights
/// (<see cref="OffPolicyOptions.TaskWeights"/>) multiply each row's loss gradient. <see cref="OffPolicyOptions.Gamma"/>,
/// <see cref="OffPolicyOptions.Tau"/> and rewards play no part: the teachers already hold the values.
/// </remarks>
public sealed record DistillationOptions : OffPolicyOptions
{
    /// <summary>DQN's optimizer and schedule defaults (the student is a Q-sized network).</summary>
    public DistillationOptions()
    {
        LearningRate = (float)TrainingDefaults.ValueBasedLearningRate;
        TrainEvery = TrainingDefaults.ValueBasedTrainEvery;
        GradientClip = (float)TrainingDefaults.ValueBasedGradientClip;
    }

    /// <summary>The loss (default <see cref="DistillationMethod.Kl"/>).</summary>
    public DistillationMethod Method { get; init; } = DistillationMethod.Kl;

    /// <summary>
    /// τ in (0, ∞) of <see cref="DistillationMethod.Kl"/> and <see cref="DistillationMethod.ActorMimic"/>: the
    /// teacher's Q values are divided by it before the softmax. Default 0.01, Rusu et al.'s value,
    /// which sharpens nearly equal Q values into a nearly greedy target; unused by Nll and Mse.
    /// </summary>
    public float Temperature { get; init; } = (float)TrainingDefaults.DistillationTemperature;

    /// <summary>Who acts while collecting (default the student, ε-greedy).</summary>
    public DistillationCollector Collector { get; init; } = DistillationCollector.Student;

    /// <summary>Exploration rate of the collector at the start (after the uniformly random warm-up).</summary>
    public double EpsilonStart { get; init; } = TrainingDefaults.EpsilonStart;

    /// <summary>Exploration rate after <see cref="EpsilonDecaySteps"/> transitions.</summary>
    public double EpsilonEnd { get; init; } = TrainingDefaults.EpsilonEnd;

    /// <summary>Transitions over which ε falls linearly from start to end.</summary>
    public long EpsilonDecaySteps { get; init; } = 100_000;

    /// <summary>
    /// β of Actor-Mimic's objective (Parisotto et al. 2015, Eq. 4: policy loss + β·‖f − h_E‖²₂, the
    /// paper's form without a ½), default 0.01 as in the paper. Used only when the trainer is given
    /// <see cref="ActorMimicFeatures"/>; 0 turns feature regression off.
    /// </summary>
    public float FeatureWeight { get; init; } = 0.01f;

    /// <summary>ε after <paramref name="transitions"/> transitions.</summary>
    public double EpsilonAt(long transitions) =>
        transitions >= EpsilonDecaySteps ? EpsilonEnd : EpsilonStart + (EpsilonEnd - EpsilonStart) * transitions / EpsilonDecaySteps;

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        if (!Enum.IsDefined(Method)) throw new ArgumentOutOfRangeException(nameof(Method), Method, "must be Kl, Nll, Mse or ActorMimic");
        if (!Enum.IsDefined(Collector)) throw new ArgumentOutOfRangeException(nameof(Collector), Collector, "must be Student or Teacher");
        if (!(Temperature > 0f) || float.IsPositiveInfinity(Temperature)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "must be finite and greater than 0");
        if (!(EpsilonStart >= 0 && EpsilonStart <= 1)) throw new ArgumentOutOfRangeException(nameof(EpsilonStart), EpsilonStart, "must be in [0, 1]");
        if (!(EpsilonEnd >= 0 && EpsilonEnd <= 1)) throw new ArgumentOutOfRangeException(nameof(EpsilonEnd), EpsilonEnd, "must be in [0, 1]");
        if (EpsilonDecaySteps < 1) throw new ArgumentOutOfRangeException(nameof(EpsilonDecaySteps), EpsilonDecaySteps, "must be at least 1");
        if (!(FeatureWeight >= 0f) || float.IsPositiveInfinity(FeatureWeight)) throw new ArgumentOutOfRangeException(nameof(FeatureWeight), FeatureWeight, "must be finite and at least 0");
        if (IsPrioritized)
        {
            throw new ArgumentException("distillation cannot use prioritized sampling (it has no TD error to prioritise by); use Uniform or TaskBalanced", nameof(Sampling));
        }
        if (Gradients != TaskGradientMethod.None)
        {
            throw new ArgumentException($"distillation does not combine per-task gradients ({Gradients}); use TaskGradientMethod.None, with TaskWeights to weigh tasks", nameof(Gradients));
        }
    }
}
