using Mtrl.Contracts;
using Mtrl.Dsl.Text;

namespace Mtrl.Dsl.Model;

/// <summary>The learning algorithm.</summary>
public enum Algorithm
{
    /// <summary>Deep Q-learning (discrete actions).</summary>
    Dqn,
    /// <summary>Soft actor-critic with twin critics.</summary>
    Sac,
    /// <summary>Twin delayed DDPG (continuous actions).</summary>
    Td3,
    /// <summary>Policy distillation and Actor-Mimic: a student learns from teachers loaded from checkpoints (discrete actions).</summary>
    Distill,
    /// <summary>Distral: task policies regularised toward a distilled policy learned from all tasks (discrete actions).</summary>
    Distral,
}

/// <summary>
/// Settings every algorithm shares, with the algorithm's own on the side. <see cref="Freeze"/>
/// holds the parameter-slice name prefixes the spec's <c>freeze: […]</c> resolved to (empty when
/// nothing is frozen): a slice is frozen when its name equals a prefix or starts with it and a '.'.
/// </summary>
public sealed record TrainingModel(
    Algorithm Algorithm,
    double Gamma,
    double LearningRate,
    int BatchSize,
    long Steps,
    long Warmup,
    int TrainEvery,
    int GradientSteps,
    double GradientClip,
    double Tau,
    long Seed,
    DqnSettings? Dqn,
    SacSettings? Sac,
    Td3Settings? Td3,
    GradientHandling Gradients,
    LossWeighting LossWeights,
    Schedule Schedule,
    SourceSpan Span)
{
    /// <summary>Slice-name prefixes whose parameters training leaves unchanged (docs/language.md, "Freezing").</summary>
    public EquatableArray<string> Freeze { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Distillation's own settings (<c>train distill</c>).</summary>
    public DistillSettings? Distill { get; init; }

    /// <summary>Distral's own settings (<c>train distral</c>).</summary>
    public DistralSettings? Distral { get; init; }
}

/// <summary>Distillation's own settings.</summary>
public sealed record DistillSettings(
    DistillationMethod Method,
    double Temperature,
    DistillationCollector Collector,
    double EpsilonStart,
    double EpsilonEnd,
    long EpsilonDecaySteps)
{
    /// <summary>
    /// β of Actor-Mimic's feature regression (<c>actor_mimic(features: β)</c>, Parisotto et al.
    /// 2015, Eq. 4); 0, the default, leaves it off. Above 0 the student needs a features output.
    /// </summary>
    public double FeatureWeight { get; init; }
}

/// <summary>Distral's own settings: c_KL and c_Ent give α = c_KL/(c_KL + c_Ent) and β = 1/(c_KL + c_Ent).</summary>
public sealed record DistralSettings(
    double KlCoefficient,
    double EntropyCoefficient,
    int TargetUpdateEvery,
    TdLossKind Loss);

/// <summary>DQN's own settings.</summary>
public sealed record DqnSettings(
    bool Double,
    TdLossKind Loss,
    int TargetUpdateEvery,
    double EpsilonStart,
    double EpsilonEnd,
    long EpsilonDecaySteps);

/// <summary>SAC's own settings. A null <see cref="TargetEntropy"/> means −(action size).</summary>
public sealed record SacSettings(
    TemperatureMode AlphaMode,
    double AlphaInit,
    double AlphaLearningRate,
    double? TargetEntropy,
    double ActorLearningRate,
    double CriticLearningRate,
    int ActorUpdateEvery,
    int TargetUpdateEvery);

/// <summary>TD3's own settings.</summary>
public sealed record Td3Settings(
    double PolicyNoise,
    double NoiseClip,
    int PolicyDelay,
    double ExplorationNoise,
    double ActorLearningRate,
    double CriticLearningRate);

/// <summary>The gradient method with its parameters (unused ones keep their defaults).</summary>
public sealed record GradientHandling(TaskGradientMethod Method, GradientReduction Reduction, double CaGradC, double GradNormAlpha, double GradNormLearningRate);

/// <summary>How per-task losses are weighted.</summary>
public enum LossWeightingKind
{
    /// <summary>All tasks weigh 1.</summary>
    Uniform,
    /// <summary>The given weights.</summary>
    Fixed,
    /// <summary>softmax(−log α_t)·T from the per-task temperatures (Soft-Module).</summary>
    AlphaSoftmax,
}

/// <summary>Loss weighting; <see cref="Weights"/> is set for <see cref="LossWeightingKind.Fixed"/>.</summary>
public sealed record LossWeighting(LossWeightingKind Kind, EquatableArray<double> Weights);

/// <summary>Whether tasks train together or one after another.</summary>
public enum ScheduleKind
{
    /// <summary>All tasks at once.</summary>
    Joint,
    /// <summary>One task after another (progressive columns, PathNet).</summary>
    Sequential,
}

/// <summary>The task schedule; <see cref="StepsPerTask"/> applies to sequential schedules.</summary>
public sealed record Schedule(ScheduleKind Kind, long StepsPerTask);

/// <summary>Replay buffer settings.</summary>
public sealed record ReplayModel(
    long Capacity,
    bool PerTask,
    ReplaySampling Sampling,
    PriorityModel? Priority,
    HerModel? Her,
    SourceSpan Span);

/// <summary>How a batch is drawn across tasks.</summary>
public enum ReplaySampling
{
    /// <summary>Uniform over all stored transitions.</summary>
    Uniform,
    /// <summary>An equal share of the batch per task.</summary>
    Balanced,
}

/// <summary>Proportional prioritized replay (Schaul et al. 2016); β anneals to <see cref="BetaFinal"/>.</summary>
public sealed record PriorityModel(double Alpha, double Beta, double BetaFinal, double Epsilon);

/// <summary>Hindsight experience replay: <see cref="K"/> relabeled goals per real one.</summary>
public sealed record HerModel(HerGoalStrategy Strategy, int K)
{
    /// <summary>Share of a batch that is relabeled: 1 − 1/(1+k).</summary>
    public double RelabelRatio => 1.0 - 1.0 / (1 + K);
}

/// <summary>PathNet's tournament evolution (Fernando et al. 2017).</summary>
public sealed record EvolutionModel(
    int Population,
    int Tournament,
    double MutationProbability,
    int MutationShift,
    long StepsPerEvaluation,
    PathwayFitness Fitness,
    LoserUpdates LoserUpdates,
    SourceSpan Span);
