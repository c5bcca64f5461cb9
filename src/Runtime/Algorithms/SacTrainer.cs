using System;
using System.Numerics.Tensors;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Heads;
using Mtrl.Runtime.Optimization;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Profiling;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// Soft actor-critic (Haarnoja et al. 2018) for one or many tasks, as facebookresearch/mtrl's
/// MT-SAC: twin critics with Polyak targets, a tanh-Gaussian actor trained through the
/// reparameterised sample, and a learned temperature per agent or per task. One update:
/// <list type="number">
/// <item>targets y = r + γ(1 − terminated)·(min(Q̄₁, Q̄₂)(s′, a′) − α_task·log π(a′|s′)), a′ ~ π(·|s′);</item>
/// <item>each critic k minimises Σᵢ wᵢ(Qₖ(sᵢ, aᵢ) − yᵢ)²/B;</item>
/// <item>every <see cref="SacOptions.ActorUpdateEvery"/> updates the actor minimises
/// Σᵢ wᵢ(α_task·log π(ãᵢ|sᵢ) − min(Q₁, Q₂)(sᵢ, ãᵢ))/B with ã ~ π(·|s) through the updated critics,
/// and each log αₜ minimises −log αₜ·(log π + H̄) averaged over the batch (stable-baselines3's
/// form) toward the target entropy H̄;</item>
/// <item>every <see cref="SacOptions.TargetUpdateEvery"/> updates the targets move by τ.</item>
/// </list>
/// wᵢ is the row's task weight (fixed, or Soft-Module's T·softmax(−log α)) times its importance
/// weight under prioritized replay. α in the targets and losses is the temperature at the start of
/// the update.
/// </summary>
public sealed class SacTrainer : ActorCriticTrainer
{
    private const ulong ExplorationStream = 0x5341_4345_5850; // "SACEXP"
    private const ulong NoiseStream = 0x5341_434E_4F49; // "SACNOI"

    private readonly TanhGaussian _head;
    private readonly ParameterStore _temperatures;
    private readonly ParameterSlice _logAlpha;
    private readonly Adam? _temperatureOptimizer;
    private readonly double _targetEntropy;
    private readonly double[] _taskWeights;
    private readonly float[] _noise;
    private readonly float[] _actorNoise;
    private readonly float[] _readout;
    private readonly float[] _sampled;
    private readonly float[] _logProbability;
    private readonly float[] _q;
    private readonly float[] _twinQ;
    private readonly float[] _criticGradient;
    private readonly float[] _twinGradient;
    private readonly float[] _targets;
    private readonly float[] _actionGradient;
    private readonly float[] _logProbabilityGradient;
    private readonly float[] _readoutGradient;
    private readonly float[] _rowLosses;
    private readonly float[] _explorationNoise;
    private readonly float[] _explorationLogProbability;

    /// <summary>Builds the trainer: parameters initialised from the seed, targets copied, temperatures at <see cref="SacOptions.AlphaInit"/>, environments reset.</summary>
    /// <param name="environment">Continuous-action environments (a goal environment for HER).</param>
    /// <param name="layout">The agent's layout: actor, one critic and their blocks.</param>
    /// <param name="createActor">Binds a Gaussian policy to a store with room for a batch size.</param>
    /// <param name="createCritic">Binds a critic to a store with room for a batch size.</param>
    /// <param name="options">Hyperparameters.</param>
    /// <param name="accelerator">Runs the kernels; null = <see cref="CpuAccelerator.Default"/>.</param>
    public SacTrainer(IContinuousVectorEnvironment environment, ParameterLayout layout,
        Func<ParameterStore, int, IPolicyNetwork> createActor, Func<ParameterStore, int, ICriticNetwork> createCritic,
        SacOptions options, Accelerator? accelerator = null)
        : base(environment, layout, createActor, createCritic, Validated(options),
            options.ActorLearningRate ?? options.LearningRate, options.CriticLearningRate ?? options.LearningRate, targetActor: false, accelerator)
    {
        if (!Actor.IsStochastic) throw new ArgumentException("SAC needs a Gaussian policy (a gaussian head); use TD3 for a deterministic one", nameof(createActor));
        Options = options;
        var batch = options.BatchSize;
        var n = environment.EnvironmentCount;
        var d = ActionSize;
        _head = new TanhGaussian(d, options.LogStdMin, options.LogStdMax);
        _targetEntropy = options.TargetEntropy ?? -d;
        var temperatures = options.Alpha == TemperatureMode.PerTask ? TaskCount : 1;
        var builder = new ParameterLayoutBuilder();
        _logAlpha = builder.Add("log_alpha", ParameterOwner.Shared, 1, temperatures, Initializer.Constant((float)Math.Log(options.AlphaInit)));
        _temperatures = new ParameterStore(builder.Build());
        _temperatures.Initialize(options.Seed);
        if (options.Alpha != TemperatureMode.Fixed)
        {
            _temperatureOptimizer = new Adam(_temperatures, new AdamOptions(LearningRate: options.AlphaLearningRate ?? options.LearningRate), accelerator);
        }
        _taskWeights = new double[TaskCount];
        for (var t = 0; t < TaskCount; t++) _taskWeights[t] = options.TaskWeights?[t] ?? 1.0;
        _noise = new float[batch * d];
        _actorNoise = new float[batch * d];
        _readout = new float[batch * 2 * d];
        _sampled = new float[batch * d];
        _logProbability = new float[batch];
        _q = new float[batch];
        _twinQ = new float[batch];
        _criticGradient = new float[batch];
        _twinGradient = new float[batch];
        _targets = new float[batch];
        _actionGradient = new float[batch * d];
        _logProbabilityGradient = new float[batch];
        _readoutGradient = new float[batch * 2 * d];
        _rowLosses = new float[batch];
        _explorationNoise = new float[n * d];
        _explorationLogProbability = new float[n];
    }

    /// <summary>The hyperparameters.</summary>
    public SacOptions Options { get; }

    /// <summary>Current temperatures: one per task with <see cref="TemperatureMode.PerTask"/>, else one.</summary>
    public ReadOnlySpan<float> LogAlpha => _temperatures.ValuesOf(_logAlpha);

    /// <summary>The temperature of task <paramref name="task"/>.</summary>
    public double AlphaOf(int task) => Math.Exp(LogAlpha[LogAlpha.Length == 1 ? 0 : task]);

    /// <summary>The temperature loss of the last actor update (NaN before the first, or with a fixed temperature).</summary>
    public double LastAlphaLoss { get; private set; } = double.NaN;

    /// <summary>Each task's weight in the last update's losses (Soft-Module's T·softmax(−log α) or the fixed weights).</summary>
    public ReadOnlySpan<double> TaskLossWeights => _taskWeights;

    /// <inheritdoc />
    protected override double TaskWeight(int task) => _taskWeights[task];

    /// <inheritdoc />
    protected override long ExtraSkippedSteps => _temperatureOptimizer?.SkippedSteps ?? 0;

    /// <summary>∂L/∂log α of the last temperature update (as the optimizer saw it).</summary>
    internal ReadOnlySpan<float> LogAlphaGradient => _temperatures.GradientsOf(_logAlpha);

    /// <summary>The standard-normal draws of the last update's target sample (at s′) and actor sample (at s).</summary>
    internal (float[] Target, float[] Actor) LastNoise => (_noise, _actorNoise);

    /// <inheritdoc />
    protected override void Explore(scoped in NetworkInputs inputs, Span<float> actions)
    {
        var n = inputs.Count;
        var noise = _explorationNoise.AsSpan(0, n * ActionSize);
        PhiloxFill.Normal(noise, Options.Seed, ExplorationStream, (ulong)Loop.VectorSteps * PhiloxFill.CountersForFloats(noise.Length), accelerator: Accelerator);
        _head.Sample(Actor.Forward(inputs), noise, actions, _explorationLogProbability, n);
    }

    /// <inheritdoc />
    protected override void Update(long update)
    {
        var batch = Loop.Batch;
        var size = batch.Size;
        var d = ActionSize;
        ComputeTaskWeights();
        PrepareRowWeights();

        // 1. Targets from a fresh sample of the current policy at s′.
        var noise = _noise.AsSpan(0, size * d);
        var noiseCounters = PhiloxFill.CountersForFloats(noise.Length);
        PhiloxFill.Normal(noise, Options.Seed, NoiseStream, (ulong)update * 2 * noiseCounters, accelerator: Accelerator);
        var next = Loop.BatchInputs(next: true);
        using (Measure(TrainingPhase.ForwardNextOnline)) _head.Sample(Actor.Forward(next), noise, _sampled, _logProbability, size);
        ReadOnlySpan<float> twinNext;
        using (Measure(TrainingPhase.ForwardTarget))
        {
            TargetCritic.Forward(next, _sampled).CopyTo(_q);
            twinNext = TwinTargetCritic.Forward(next, _sampled);
        }
        using (Measure(TrainingPhase.Loss))
        {
            var gamma = (float)Options.Gamma;
            for (var i = 0; i < size; i++)
            {
                var value = MathF.Min(_q[i], twinNext[i]) - (float)AlphaOf(batch.TaskIds[i]) * _logProbability[i];
                _targets[i] = batch.Rewards[i] + gamma * (1f - batch.Terminated[i]) * value;
            }
        }

        // 2. Both critics.
        UpdateCritics(_targets.AsSpan(0, size));

        // 3. Actor and temperatures.
        if (update % Options.ActorUpdateEvery == 0) UpdateActorAndTemperatures(update, noiseCounters);

        // 4. Targets.
        if ((update + 1) % Options.TargetUpdateEvery == 0) UpdateTargets(Options.Tau);
    }

    /// <inheritdoc />
    protected override void AddToCheckpoint(Checkpoint checkpoint)
    {
        checkpoint.Arrays["log_alpha"] = LogAlpha.ToArray();
        checkpoint.Counters["last_alpha_loss"] = BitConverter.DoubleToInt64Bits(LastAlphaLoss);
        if (_temperatureOptimizer is not null)
        {
            checkpoint.Arrays["alpha_adam.m"] = (float[])_temperatureOptimizer.FirstMoment.Clone();
            checkpoint.Arrays["alpha_adam.v"] = (float[])_temperatureOptimizer.SecondMoment.Clone();
            checkpoint.Counters["alpha_adam.steps"] = _temperatureOptimizer.Steps;
        }
    }

    /// <inheritdoc />
    protected override void RestoreFromCheckpoint(Checkpoint checkpoint)
    {
        if (checkpoint.Counters.TryGetValue("last_alpha_loss", out var alphaLoss)) LastAlphaLoss = BitConverter.Int64BitsToDouble(alphaLoss);
        checkpoint.RestoreArray("log_alpha", _temperatures.ValuesOf(_logAlpha));
        if (_temperatureOptimizer is not null)
        {
            checkpoint.RestoreArray("alpha_adam.m", _temperatureOptimizer.FirstMoment);
            checkpoint.RestoreArray("alpha_adam.v", _temperatureOptimizer.SecondMoment);
            _temperatureOptimizer.Steps = checkpoint.Counter("alpha_adam.steps");
        }
    }

    private void UpdateActorAndTemperatures(long update, ulong noiseCounters)
    {
        var batch = Loop.Batch;
        var size = batch.Size;
        var d = ActionSize;
        var noise = _actorNoise.AsSpan(0, size * d);
        PhiloxFill.Normal(noise, Options.Seed, NoiseStream, ((ulong)update * 2 + 1) * noiseCounters, accelerator: Accelerator);
        var inputs = Loop.BatchInputs(next: false);
        using (Measure(TrainingPhase.ForwardPolicy))
        {
            Actor.Forward(inputs).CopyTo(_readout);
            _head.Sample(_readout, noise, _sampled, _logProbability, size);
            Critic.Forward(inputs, _sampled).CopyTo(_q);
            TwinCritic.Forward(inputs, _sampled).CopyTo(_twinQ);
        }

        // ∂L/∂Q flows only into the smaller critic of each row (the min's subgradient).
        double loss = 0;
        for (var i = 0; i < size; i++)
        {
            var alpha = (float)AlphaOf(batch.TaskIds[i]);
            var first = _q[i] <= _twinQ[i];
            var rowLoss = alpha * _logProbability[i] - (first ? _q[i] : _twinQ[i]);
            var weight = RowWeights[i];
            loss += weight * rowLoss;
            _rowLosses[i] = rowLoss;
            _logProbabilityGradient[i] = weight * alpha / size;
            _criticGradient[i] = first ? -weight / size : 0f;
            _twinGradient[i] = first ? 0f : -weight / size;
        }
        LastActorLoss = loss / size;
        if (SkipNonFinite(loss)) return;
        var readoutGradient = _readoutGradient.AsSpan(0, size * 2 * d);
        using (Measure(TrainingPhase.BackwardPolicy))
        {
            // Only ∂L/∂a is wanted from the critics: their weight gradients are not computed.
            Parameters.AccumulatesGradients = TwinParameters.AccumulatesGradients = false;
            TwinCritic.Backward(_twinGradient.AsSpan(0, size));
            var actionGradient = _actionGradient.AsSpan(0, size * d);
            TwinCritic.ActionGradient.CopyTo(actionGradient);
            Critic.Backward(_criticGradient.AsSpan(0, size));
            Parameters.AccumulatesGradients = TwinParameters.AccumulatesGradients = true;
            TensorPrimitives.Add(actionGradient, Critic.ActionGradient, actionGradient);
            _head.Backward(_readout, noise, actionGradient, _logProbabilityGradient, readoutGradient, size);
        }
        BackwardActor(readoutGradient, 2 * d, _rowLosses);
        BeforeOptimizerStep?.Invoke("actor");
        using (Measure(TrainingPhase.Optimizer)) ActorOptimizer.Step();

        if (_temperatureOptimizer is null) return;
        // −log αₜ·(log π + H̄) averaged over the batch: each row pushes its own task's temperature.
        var logAlphaGradient = _temperatures.GradientsOf(_logAlpha);
        logAlphaGradient.Clear();
        double alphaLoss = 0;
        for (var i = 0; i < size; i++)
        {
            var slot = logAlphaGradient.Length == 1 ? 0 : batch.TaskIds[i];
            var excess = _logProbability[i] + _targetEntropy;
            logAlphaGradient[slot] -= (float)(excess / size);
            alphaLoss -= LogAlpha[slot] * excess;
        }
        LastAlphaLoss = alphaLoss / size;
        if (SkipNonFinite(alphaLoss)) return;
        BeforeOptimizerStep?.Invoke("alpha");
        using var phase = Measure(TrainingPhase.Optimizer);
        _temperatureOptimizer.Step();
    }

    /// <summary>Fixed weights, or Soft-Module's T·softmax(−log α) from the temperatures as they are now.</summary>
    private void ComputeTaskWeights()
    {
        if (Options.LossWeighting != TaskLossWeighting.AlphaSoftmax) return; // fixed: set once at construction
        var logAlpha = LogAlpha;
        var max = double.NegativeInfinity;
        for (var t = 0; t < TaskCount; t++) max = Math.Max(max, -logAlpha[t]);
        double sum = 0;
        for (var t = 0; t < TaskCount; t++)
        {
            _taskWeights[t] = Math.Exp(-logAlpha[t] - max);
            sum += _taskWeights[t];
        }
        for (var t = 0; t < TaskCount; t++) _taskWeights[t] = TaskCount * _taskWeights[t] / sum;
    }

    private static SacOptions Validated(SacOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
