using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.Replay;

namespace Mtrl.Runtime.Algorithms;

/// <summary>How an update's batch is drawn from replay.</summary>
public enum ReplaySampling
{
    /// <summary>Uniformly over all sampleable transitions.</summary>
    Uniform,

    /// <summary>An equal share of the batch per task (tasks with no data yet give theirs away).</summary>
    TaskBalanced,

    /// <summary>Proportional to |TD error|^α with importance weights (Schaul et al. 2016).</summary>
    Prioritized,

    /// <summary>An equal share of the batch per task, each share drawn by priority within its task (importance weights correct for both).</summary>
    PrioritizedTaskBalanced,
}

/// <summary>
/// What the training loop does with NaN or ±∞ in training data: observations, rewards and goals
/// from the environments and actions from the policy (see docs/algorithms.md, "Non-finite data").
/// </summary>
public enum NonFinitePolicy
{
    /// <summary>Stop the run with a <see cref="Replay.NonFiniteDataException"/> naming the environment, task, vector step, field and element.</summary>
    Fail,

    /// <summary>
    /// Do not store the vector step that holds the value (replay keeps whole vector steps, so none of
    /// its environments' transitions is stored), count it, remember the last value found, and go on;
    /// environments whose episode ended in that step have their stored episode ended one step early
    /// (truncated), and a non-finite action is replaced by 0 (the middle of the action range) before
    /// the environment steps.
    /// </summary>
    Skip,
}

/// <summary>Prioritized replay's exponents: α shapes priorities, β anneals linearly to <see cref="BetaFinal"/> over training.</summary>
public sealed record PriorityOptions(
    float Alpha = (float)TrainingDefaults.PriorityAlpha,
    float Beta = (float)TrainingDefaults.PriorityBeta,
    float BetaFinal = (float)TrainingDefaults.PriorityBetaFinal,
    float Epsilon = (float)TrainingDefaults.PriorityEpsilon)
{
    /// <summary>Throws if any value is outside its range, naming it and the range.</summary>
    public void Validate()
    {
        if (!(Alpha >= 0f && Alpha <= 1f)) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "must be in [0, 1]");
        if (!(Beta >= 0f && Beta <= 1f)) throw new ArgumentOutOfRangeException(nameof(Beta), Beta, "must be in [0, 1]");
        if (!(BetaFinal >= 0f && BetaFinal <= 1f)) throw new ArgumentOutOfRangeException(nameof(BetaFinal), BetaFinal, "must be in [0, 1]");
        if (!(Epsilon > 0f) || float.IsInfinity(Epsilon)) throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "must be finite and greater than 0");
    }
}

/// <summary>
/// Settings every off-policy trainer shares (DQN, SAC, TD3): discount, optimizer, update
/// schedule, replay and multi-task gradient handling. Step counts are environment transitions
/// summed over all environments (stable-baselines3's convention), so results do not change
/// meaning with the number of environments. Each algorithm's options derive from this record
/// and set their own defaults.
/// </summary>
public abstract record OffPolicyOptions
{
    /// <summary>Discount γ in (0, 1].</summary>
    public double Gamma { get; init; } = TrainingDefaults.Gamma;

    /// <summary>Adam's learning rate (algorithms with several optimizers may override it per network).</summary>
    public float LearningRate { get; init; } = (float)TrainingDefaults.SacLearningRate;

    /// <summary>Transitions per update.</summary>
    public int BatchSize { get; init; } = TrainingDefaults.BatchSize;

    /// <summary>Transitions to train for.</summary>
    public long Steps { get; init; } = TrainingDefaults.Steps;

    /// <summary>Transitions collected with uniformly random actions before learning starts.</summary>
    public long Warmup { get; init; } = TrainingDefaults.Warmup;

    /// <summary>Transitions between training rounds.</summary>
    public int TrainEvery { get; init; } = TrainingDefaults.ActorCriticTrainEvery;

    /// <summary>Updates per training round.</summary>
    public int GradientSteps { get; init; } = TrainingDefaults.GradientSteps;

    /// <summary>Global gradient-norm clip per optimizer (0 = off).</summary>
    public float GradientClip { get; init; }

    /// <summary>Target smoothing τ in (0, 1] (1 = copy).</summary>
    public float Tau { get; init; } = (float)TrainingDefaults.ActorCriticTau;

    /// <summary>Replay capacity in transitions.</summary>
    public int ReplayCapacity { get; init; } = TrainingDefaults.ReplayCapacity;

    /// <summary>How batches are drawn.</summary>
    public ReplaySampling Sampling { get; init; } = ReplaySampling.Uniform;

    /// <summary>
    /// One ring per task, each of <see cref="ReplayCapacity"/>/T transitions: a task's transitions are
    /// overwritten only by newer transitions of the same task, so a task with long episodes or many
    /// steps never crowds another out. The buffer keeps one ring per environment; with every task
    /// run by the same number of environments, each keeping its task, those rings group into equal
    /// per-task rings — which the trainer checks at construction and at every step.
    /// </summary>
    public bool PerTaskReplay { get; init; }

    /// <summary>Exponents of prioritized sampling (<see cref="ReplaySampling.Prioritized"/> and <see cref="ReplaySampling.PrioritizedTaskBalanced"/>).</summary>
    public PriorityOptions Priority { get; init; } = new();

    /// <summary>
    /// Per-task gradient handling: with anything but None, each task's loss is the mean loss over
    /// its rows of the batch, one backward pass runs per task, and the shared parameters' task
    /// gradients are combined by the method; task-specific slices keep their own task's gradient.
    /// </summary>
    public TaskGradientMethod Gradients { get; init; } = TaskGradientMethod.None;

    /// <summary>Sum or mean of the combined task gradients.</summary>
    public GradientReduction GradientReduction { get; init; } = GradientReduction.Mean;

    /// <summary>GradNorm's restoring-force strength α ≥ 0.</summary>
    public double GradNormAlpha { get; init; } = TrainingDefaults.GradNormAlpha;

    /// <summary>GradNorm's learning rate for the task weights.</summary>
    public double GradNormLearningRate { get; init; } = TrainingDefaults.GradNormLearningRate;

    /// <summary>CAGrad's conflict-aversion radius c ≥ 0.</summary>
    public double CaGradC { get; init; } = TrainingDefaults.CaGradC;

    /// <summary>
    /// Fixed weight of each task's loss (one per task, each ≥ 0), or null for equal weights: a row's
    /// loss gradient is multiplied by its task's weight.
    /// </summary>
    public IReadOnlyList<double>? TaskWeights { get; init; }

    /// <summary>Hindsight relabeling, or null for none (needs a goal environment).</summary>
    public HerOptions? Her { get; init; }

    /// <summary>Seed of every random choice: parameters, exploration, replay sampling, environments.</summary>
    public ulong Seed { get; init; }

    /// <summary>What happens to NaN or ±∞ in observations, rewards, goals or actions: fail the run (default) or skip and count.</summary>
    public NonFinitePolicy NonFinite { get; init; } = NonFinitePolicy.Fail;

    /// <summary>
    /// Parameter-slice name prefixes to freeze (fine-tuning): the trainer freezes every slice of its
    /// online parameters (both critics' with twin critics) whose name is a prefix or starts with a
    /// prefix and a '.', so the optimizer never changes them nor their moments. Empty by default.
    /// A prefix covering no slice makes the trainer's constructor throw an
    /// <see cref="ArgumentException"/> naming it. The spec's <c>freeze: […]</c> resolves to these.
    /// </summary>
    public IReadOnlyList<string> Freeze { get; init; } = Array.Empty<string>();

    /// <summary>
    /// How the networks' matrix products run: <see cref="GemmBackend.Auto"/> (float32, the fastest
    /// kernel for the machine) by default; <see cref="GemmBackend.Bfloat16"/> opts into BF16 products
    /// with float32 accumulation on CPUs with AVX512_BF16 — about 1.5× faster products, operands
    /// rounded to 8 significant bits (parameters, optimizer state and everything outside the
    /// products stay float32). The choice is checked when the trainer is built.
    /// </summary>
    public GemmBackend Gemm { get; init; } = GemmBackend.Auto;

    /// <summary>Throws if any value is outside its range, naming it and the range.</summary>
    public virtual void Validate()
    {
        if (!(Gamma > 0 && Gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(Gamma), Gamma, "must be in (0, 1]");
        if (!(LearningRate > 0f) || float.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be finite and greater than 0");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "must be at least 1");
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "must be at least 1");
        if (Warmup < 0) throw new ArgumentOutOfRangeException(nameof(Warmup), Warmup, "must be at least 0");
        if (TrainEvery < 1) throw new ArgumentOutOfRangeException(nameof(TrainEvery), TrainEvery, "must be at least 1");
        if (GradientSteps < 1) throw new ArgumentOutOfRangeException(nameof(GradientSteps), GradientSteps, "must be at least 1");
        if (!(GradientClip >= 0f)) throw new ArgumentOutOfRangeException(nameof(GradientClip), GradientClip, "must be at least 0 (0 turns clipping off)");
        if (!(Tau > 0f && Tau <= 1f)) throw new ArgumentOutOfRangeException(nameof(Tau), Tau, "must be in (0, 1]");
        if (ReplayCapacity < 1 || ReplayCapacity > ReplayBufferOptions.MaxCapacity) throw new ArgumentOutOfRangeException(nameof(ReplayCapacity), ReplayCapacity, $"must be in [1, {ReplayBufferOptions.MaxCapacity}]");
        Her?.Validate();
        Priority.Validate();
        if (!Enum.IsDefined(Sampling)) throw new ArgumentOutOfRangeException(nameof(Sampling), Sampling, "must be Uniform, TaskBalanced, Prioritized or PrioritizedTaskBalanced");
        if (!Enum.IsDefined(NonFinite)) throw new ArgumentOutOfRangeException(nameof(NonFinite), NonFinite, "must be Fail or Skip");
        if (!Enum.IsDefined(Gradients)) throw new ArgumentOutOfRangeException(nameof(Gradients), Gradients, "must be None, PcGrad, CaGrad or GradNorm");
        if (GradientReduction is not (GradientReduction.Sum or GradientReduction.Mean))
        {
            throw new ArgumentOutOfRangeException(nameof(GradientReduction), GradientReduction, "must be Sum or Mean");
        }
        if (TaskWeights is not null)
        {
            for (var t = 0; t < TaskWeights.Count; t++)
            {
                if (!(TaskWeights[t] >= 0) || double.IsInfinity(TaskWeights[t])) throw new ArgumentOutOfRangeException(nameof(TaskWeights), TaskWeights[t], $"TaskWeights[{t}] must be finite and at least 0");
            }
        }
        if (!(GradNormAlpha >= 0) || double.IsInfinity(GradNormAlpha)) throw new ArgumentOutOfRangeException(nameof(GradNormAlpha), GradNormAlpha, "must be finite and at least 0");
        if (!(GradNormLearningRate > 0) || double.IsInfinity(GradNormLearningRate)) throw new ArgumentOutOfRangeException(nameof(GradNormLearningRate), GradNormLearningRate, "must be finite and greater than 0");
        if (!(CaGradC >= 0) || double.IsInfinity(CaGradC)) throw new ArgumentOutOfRangeException(nameof(CaGradC), CaGradC, "must be finite and at least 0");
        if (Freeze is null) throw new ArgumentNullException(nameof(Freeze), "must be a list (empty to freeze nothing)");
        foreach (var prefix in Freeze)
        {
            if (string.IsNullOrEmpty(prefix) || prefix[0] == '.' || prefix[^1] == '.' || prefix.Contains("..", StringComparison.Ordinal) || prefix.Any(char.IsWhiteSpace))
            {
                throw new ArgumentException($"Freeze holds '{prefix}'; each entry must be a slice name or a prefix of one, such as 'encoder' or 'q.h'", nameof(Freeze));
            }
        }
        if (!Enum.IsDefined(Gemm)) throw new ArgumentOutOfRangeException(nameof(Gemm), Gemm, "must be Auto, Managed, OpenBlas or Bfloat16");
        if (Gemm == GemmBackend.Bfloat16 && Mtrl.Kernels.Gemm.Bfloat16Unavailable is { } noBf16) throw new ArgumentException($"Gemm is Bfloat16, but {noBf16}", nameof(Gemm));
        if (Gemm == GemmBackend.OpenBlas && !OpenBlas.IsAvailable) throw new ArgumentException("Gemm is OpenBlas, but OpenBLAS (libopenblas.so.0) could not be loaded", nameof(Gemm));
        if (IsPrioritized && Her is not null)
        {
            // Priorities belong to stored transitions; a relabeled row is a transition that is not stored.
            throw new ArgumentException("prioritized sampling cannot be combined with hindsight relabeling; use Uniform or TaskBalanced sampling with Her", nameof(Sampling));
        }
    }

    /// <summary>True for the two prioritized samplings: rows carry importance weights and updates set new priorities.</summary>
    public bool IsPrioritized => Sampling is ReplaySampling.Prioritized or ReplaySampling.PrioritizedTaskBalanced;

    /// <summary>Prioritized replay's β after <paramref name="transitions"/> of <see cref="Steps"/>.</summary>
    public float BetaAt(long transitions) =>
        Priority.Beta + (Priority.BetaFinal - Priority.Beta) * (float)Math.Min(1.0, (double)transitions / Steps);
}
