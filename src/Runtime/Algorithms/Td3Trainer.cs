using System;
using Mtrl.Kernels;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Profiling;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// Twin delayed DDPG (Fujimoto et al. 2018): a deterministic actor, clipped double-Q targets
/// y = r + γ(1 − terminated)·min(Q̄₁, Q̄₂)(s′, clip(π̄(s′) + clip(ε, −c, c), −1, 1)) with
/// ε ~ N(0, σ²), both critics trained toward y every update, and every
/// <see cref="Td3Options.PolicyDelay"/> updates the actor trained to maximise Q₁(s, π(s)) and all
/// targets (actor and critics) moved by τ. Exploration adds N(0, σₑ²) to the action. Works with
/// hindsight relabeling on goal environments.
/// </summary>
public sealed class Td3Trainer : ActorCriticTrainer
{
    private const ulong ExplorationStream = 0x5444_3345_5850; // "TD3EXP"
    private const ulong SmoothingStream = 0x5444_3353_4D4F; // "TD3SMO"

    private readonly float[] _noise;
    private readonly float[] _nextActions;
    private readonly float[] _q;
    private readonly float[] _targets;
    private readonly float[] _criticGradient;
    private readonly float[] _readoutGradient;
    private readonly float[] _rowLosses;
    private readonly float[] _explorationNoise;

    /// <summary>Builds the trainer: parameters initialised from the seed, targets copied, environments reset.</summary>
    /// <param name="environment">Continuous-action environments (a goal environment for HER).</param>
    /// <param name="layout">The agent's layout: actor, one critic and their blocks.</param>
    /// <param name="createActor">Binds a deterministic policy to a store with room for a batch size.</param>
    /// <param name="createCritic">Binds a critic to a store with room for a batch size.</param>
    /// <param name="options">Hyperparameters.</param>
    /// <param name="accelerator">Runs the kernels; null = <see cref="CpuAccelerator.Default"/>.</param>
    public Td3Trainer(IContinuousVectorEnvironment environment, ParameterLayout layout,
        Func<ParameterStore, int, IPolicyNetwork> createActor, Func<ParameterStore, int, ICriticNetwork> createCritic,
        Td3Options options, Accelerator? accelerator = null)
        : base(environment, layout, createActor, createCritic, Validated(options),
            options.ActorLearningRate ?? options.LearningRate, options.CriticLearningRate ?? options.LearningRate, targetActor: true, accelerator)
    {
        if (Actor.IsStochastic) throw new ArgumentException("TD3 needs a deterministic policy (a deterministic head); use SAC for a Gaussian one", nameof(createActor));
        Options = options;
        var batch = options.BatchSize;
        var d = ActionSize;
        _noise = new float[batch * d];
        _nextActions = new float[batch * d];
        _q = new float[batch];
        _targets = new float[batch];
        _criticGradient = new float[batch];
        _readoutGradient = new float[batch * d];
        _rowLosses = new float[batch];
        _explorationNoise = new float[environment.EnvironmentCount * d];
    }

    /// <summary>The hyperparameters.</summary>
    public Td3Options Options { get; }

    /// <summary>The clipped smoothing noise's raw draws of the last update (before clipping).</summary>
    internal float[] LastSmoothingNoise => _noise;

    /// <inheritdoc />
    protected override void Explore(scoped in NetworkInputs inputs, Span<float> actions)
    {
        var count = inputs.Count * ActionSize;
        var noise = _explorationNoise.AsSpan(0, count);
        PhiloxFill.Normal(noise, Options.Seed, ExplorationStream, (ulong)Loop.VectorSteps * PhiloxFill.CountersForFloats(count),
            standardDeviation: (float)Options.ExplorationNoise, accelerator: Accelerator);
        var policy = Actor.Forward(inputs);
        for (var i = 0; i < count; i++) actions[i] = Math.Clamp(policy[i] + noise[i], -1f, 1f);
    }

    /// <inheritdoc />
    protected override void Update(long update)
    {
        var batch = Loop.Batch;
        var size = batch.Size;
        var d = ActionSize;
        PrepareRowWeights();

        // Target-policy smoothing: clipped noise on the target actor's action at s′.
        var noise = _noise.AsSpan(0, size * d);
        PhiloxFill.Normal(noise, Options.Seed, SmoothingStream, (ulong)update * PhiloxFill.CountersForFloats(noise.Length),
            standardDeviation: (float)Options.PolicyNoise, accelerator: Accelerator);
        var next = Loop.BatchInputs(next: true);
        ReadOnlySpan<float> twin;
        using (Measure(TrainingPhase.ForwardTarget))
        {
            var target = TargetActor!.Forward(next);
            var clip = (float)Options.NoiseClip;
            for (var i = 0; i < size * d; i++) _nextActions[i] = Math.Clamp(target[i] + Math.Clamp(noise[i], -clip, clip), -1f, 1f);
            TargetCritic.Forward(next, _nextActions).CopyTo(_q);
            twin = TwinTargetCritic.Forward(next, _nextActions);
        }
        using (Measure(TrainingPhase.Loss))
        {
            var gamma = (float)Options.Gamma;
            for (var i = 0; i < size; i++)
            {
                _targets[i] = batch.Rewards[i] + gamma * (1f - batch.Terminated[i]) * MathF.Min(_q[i], twin[i]);
            }
        }
        UpdateCritics(_targets.AsSpan(0, size));

        if ((update + 1) % Options.PolicyDelay != 0) return;
        // Delayed actor: maximise Q₁(s, π(s)); then every target follows.
        var inputs = Loop.BatchInputs(next: false);
        ReadOnlySpan<float> q;
        using (Measure(TrainingPhase.ForwardPolicy)) q = Critic.Forward(inputs, Actor.Forward(inputs));
        double loss = 0;
        for (var i = 0; i < size; i++)
        {
            loss -= RowWeights[i] * q[i];
            _rowLosses[i] = -q[i];
            _criticGradient[i] = -RowWeights[i] / size;
        }
        LastActorLoss = loss / size;
        if (SkipNonFinite(loss))
        {
            UpdateTargets(Options.Tau);
            return;
        }
        // Only ∂L/∂a is wanted from the critic: its weight gradients are not computed.
        using (Measure(TrainingPhase.BackwardPolicy))
        {
            Parameters.AccumulatesGradients = false;
            Critic.Backward(_criticGradient.AsSpan(0, size));
            Parameters.AccumulatesGradients = true;
            Critic.ActionGradient.CopyTo(_readoutGradient);
        }
        BackwardActor(_readoutGradient.AsSpan(0, size * d), d, _rowLosses);
        BeforeOptimizerStep?.Invoke("actor");
        using (Measure(TrainingPhase.Optimizer)) ActorOptimizer.Step();
        UpdateTargets(Options.Tau);
    }

    private static Td3Options Validated(Td3Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
