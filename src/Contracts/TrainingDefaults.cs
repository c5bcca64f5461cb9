namespace Mtrl.Contracts;

/// <summary>
/// The value of every training setting a spec may leave out, which is also where the runtime's
/// options records start: defined once, so an agent trained from a spec and one built in code
/// with unset options train alike. Learning rates and τ are doubles here; the runtime keeps them
/// as floats (each rounds to the float nearest its decimal value).
/// </summary>
public static class TrainingDefaults
{
    /// <summary>Discount γ.</summary>
    public const double Gamma = 0.99;

    /// <summary>Transitions per update.</summary>
    public const int BatchSize = 256;

    /// <summary>Transitions to train for.</summary>
    public const long Steps = 1_000_000;

    /// <summary>Transitions collected with uniformly random actions before learning starts.</summary>
    public const long Warmup = 1_000;

    /// <summary>Updates per training round.</summary>
    public const int GradientSteps = 1;

    /// <summary>Replay capacity in transitions.</summary>
    public const int ReplayCapacity = 1_000_000;

    /// <summary>Adam's learning rate of DQN, distillation and Distral (stable-baselines3's DQN).</summary>
    public const double ValueBasedLearningRate = 1e-4;

    /// <summary>Adam's learning rate of SAC.</summary>
    public const double SacLearningRate = 3e-4;

    /// <summary>Adam's learning rate of TD3.</summary>
    public const double Td3LearningRate = 1e-3;

    /// <summary>Transitions between training rounds of DQN, distillation and Distral.</summary>
    public const int ValueBasedTrainEvery = 4;

    /// <summary>Transitions between training rounds of SAC and TD3.</summary>
    public const int ActorCriticTrainEvery = 1;

    /// <summary>Global gradient-norm clip of DQN, distillation and Distral.</summary>
    public const double ValueBasedGradientClip = 10;

    /// <summary>Target smoothing of DQN and Distral: 1 copies the online network.</summary>
    public const double ValueBasedTau = 1;

    /// <summary>Polyak τ of SAC's and TD3's target networks.</summary>
    public const double ActorCriticTau = 0.005;

    /// <summary>Transitions between target-network copies of DQN and Distral.</summary>
    public const int TargetUpdateEvery = 1_000;

    /// <summary>ε-greedy exploration rate at the start of learning.</summary>
    public const double EpsilonStart = 1.0;

    /// <summary>ε-greedy exploration rate after the decay.</summary>
    public const double EpsilonEnd = 0.05;

    /// <summary>CAGrad's c.</summary>
    public const double CaGradC = 0.4;

    /// <summary>GradNorm's restoring-force strength α.</summary>
    public const double GradNormAlpha = 1.5;

    /// <summary>Learning rate of GradNorm's task weights.</summary>
    public const double GradNormLearningRate = 0.025;

    /// <summary>Prioritized replay's priority exponent α.</summary>
    public const double PriorityAlpha = 0.6;

    /// <summary>Prioritized replay's importance exponent β at the start.</summary>
    public const double PriorityBeta = 0.4;

    /// <summary>Prioritized replay's importance exponent β at the end of training.</summary>
    public const double PriorityBetaFinal = 1.0;

    /// <summary>Added to every |TD error| so no transition's priority is 0.</summary>
    public const double PriorityEpsilon = 1e-6;

    /// <summary>Distral's c_KL.</summary>
    public const double DistralKlCoefficient = 0.05;

    /// <summary>Distral's c_Ent.</summary>
    public const double DistralEntropyCoefficient = 0.01;

    /// <summary>SAC's initial (or, when fixed, only) entropy temperature α.</summary>
    public const double SacAlphaInit = 1.0;

    /// <summary>SAC's critic updates per actor and temperature update.</summary>
    public const int SacActorUpdateEvery = 1;

    /// <summary>SAC's updates between Polyak steps of the target critics.</summary>
    public const int SacTargetUpdateEvery = 1;

    /// <summary>Temperature τ of the teacher's softmax in distillation's KL loss (Rusu et al.'s 0.01).</summary>
    public const double DistillationTemperature = 0.01;

    /// <summary>Standard deviation of TD3's target-policy smoothing noise.</summary>
    public const double Td3PolicyNoise = 0.2;

    /// <summary>Clip of TD3's target-policy smoothing noise.</summary>
    public const double Td3NoiseClip = 0.5;

    /// <summary>Critic updates per TD3 actor update.</summary>
    public const int Td3PolicyDelay = 2;

    /// <summary>Standard deviation of TD3's exploration noise.</summary>
    public const double Td3ExplorationNoise = 0.1;

    /// <summary>PathNet's population (the paper's 64).</summary>
    public const int PathNetPopulation = 64;

    /// <summary>Pathways per PathNet tournament (the paper's binary tournaments).</summary>
    public const int PathNetTournament = 2;

    /// <summary>Largest move of a mutated PathNet gene (the paper's 2).</summary>
    public const int PathNetMutationShift = 2;

    /// <summary>Transitions each PathNet contestant trains before its fitness is read.</summary>
    public const long PathNetStepsPerEvaluation = 1_000;
}
