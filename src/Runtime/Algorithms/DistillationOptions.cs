using System;

namespace Mtrl.Runtime.Algorithms;

/// <summary>What the student of a <see cref="DistillationTrainer"/> is fitted to, and with which loss.</summary>
public enum DistillationMethod
{
    /// <summary>
    /// KL(softmax(q_T/τ) ‖ softmax(z_S)): the teacher's Q values sharpened by the temperature
    /// (Rusu et al. 2015, Eq. 3; <see cref="Losses.DistillationLoss.KlTemperature"/>).
    /// </summary>
    Kl,

    /// <summary>−log softmax(z_S)(argmax q_T): the teacher's greedy action (Rusu et al. 2015, Eq. 1; <see cref="Losses.DistillationLoss.NllTeacherArgmax"/>).</summary>
    Nll,

    /// <summary>Σ_a (q_S − q_T)²: the teacher's Q values themselves (Rusu et al. 2015, Eq. 2; <see cref="Losses.DistillationLoss.MseQ"/>).</summary>
    Mse,

    /// <summary>
    /// −Σ_a softmax(Q_E/τ)(a)·log softmax(z)(a): Actor-Mimic's policy regression onto each expert's
    /// Boltzmann policy (Parisotto et al. 2015, Eqs. 1–2; <see cref="Losses.DistillationLoss.PolicyRegression"/>),
    /// with optional feature regression (<see cref="ActorMimicFeatures"/>).
    /// </summary>
    ActorMimic,
}

/// <summary>Who chooses the actions while a <see cref="DistillationTrainer"/> collects transitions.</summary>
public enum DistillationCollector
{
    /// <summary>
    /// The student, ε-greedy on its own outputs: the data follow the states the student visits
    /// (Actor-Mimic's collection, which is DAgger-like: the teacher labels the student's states).
    /// </summary>
    Student,

    /// <summary>The teacher of each environment's task, ε-greedy on its Q values (Rusu et al.'s collection).</summary>
    Teacher,
}

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
        LearningRate = 1e-4f;
        TrainEvery = 4;
        GradientClip = 10f;
    }

    /// <summary>The loss (default <see cref="DistillationMethod.Kl"/>).</summary>
    public DistillationMethod Method { get; init; } = DistillationMethod.Kl;

    /// <summary>
    /// τ in (0, ∞) of <see cref="DistillationMethod.Kl"/> and <see cref="DistillationMethod.ActorMimic"/>: the
    /// teacher's Q values are divided by it before the softmax. Default 0.01, Rusu et al.'s value,
    /// which sharpens nearly equal Q values into a nearly greedy target; unused by Nll and Mse.
    /// </summary>
    public float Temperature { get; init; } = 0.01f;

    /// <summary>Who acts while collecting (default the student, ε-greedy).</summary>
    public DistillationCollector Collector { get; init; } = DistillationCollector.Student;

    /// <summary>Exploration rate of the collector at the start (after the uniformly random warm-up).</summary>
    public double EpsilonStart { get; init; } = 1.0;

    /// <summary>Exploration rate after <see cref="EpsilonDecaySteps"/> transitions.</summary>
    public double EpsilonEnd { get; init; } = 0.05;

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
