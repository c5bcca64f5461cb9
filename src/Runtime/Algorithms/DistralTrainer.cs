using System;
using System.Collections.Generic;
using System.Threading;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Losses;
using Mtrl.Runtime.Optimization;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Profiling;
using Mtrl.Runtime.Replay;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// Distral (Teh et al. 2017, arXiv:1707.04175) in its two-column soft Q-learning form: per-task
/// soft Q columns f_i and a distilled policy π_0 = softmax(h) shared by all tasks, trained
/// jointly; each task acts with π_i = softmax(α·h + β·f_i) (Eq. 8), with α and β from the costs
/// c_KL and c_Ent (<see cref="DistillationLoss.DistralCoefficients"/>).
/// </summary>
/// <remarks>
/// <para><b>Networks.</b> Both are <see cref="IQNetwork"/>s bound to one parameter store (one
/// layout, which may hold blocks they share): the task columns read the rows' task ids and give
/// f_i(s, ·) of each row's task; the distilled network gives the logits h(s, ·) and may read the
/// task ids or not. A target copy of the store (<see cref="TargetParameters"/>) follows every
/// <see cref="DistralOptions.TargetUpdateEvery"/> transitions by τ (1 = copy), as DQN's does.</para>
/// <para><b>Per step.</b> During warm-up actions are uniform; afterwards each environment samples
/// its action from π_i with one Philox draw (no ε: the policy's own entropy explores).</para>
/// <para><b>Per update</b>, on a batch (s, a, r, s′, task):
/// <list type="number">
/// <item>soft targets y = r + γ(1 − terminated)·V̄_i(s′), V̄_i = (1/β)·log Σ_a π̄_0(a|s′)^α·exp(β·f̄_i(s′, a))
/// (Eqs. 2–3, <see cref="DistillationLoss.DistralSoftValue"/>) from the target networks;</item>
/// <item>the soft TD loss (Huber or squared) of f_i(s, a) toward y;</item>
/// <item>the distilled loss −(α/β)·Σ_a π_i(a|s)·log π_0(a|s) (<see cref="DistillationLoss.DistralDistilledCrossEntropy"/>)
/// with π_i computed from the current networks and held fixed: its gradient is Eq. 10's
/// (α/β)(π_0 − π_i);</item>
/// <item>both gradients (each row times its task weight and importance weight) accumulate into
/// the store and one Adam step moves both networks; under prioritized replay the new priorities
/// are the soft TD errors.</item>
/// </list>
/// The expected (cross-entropy) form of the distilled loss is used rather than the log-likelihood of
/// the stored action (<see cref="DistillationLoss.DistralDistilledLoss"/>): the stored action was
/// drawn by an older π_i (or uniformly in warm-up), so its log-likelihood would distil the behaviour
/// of the replay buffer rather than the current task policies, and the expectation over all actions
/// has no sampling variance.</para>
/// <para><b>Evaluation</b> (<see cref="Act"/>) is greedy: argmax_a of α·h + β·f_i, the mode of π_i.
/// Nothing is allocated per step after the first update; results depend only on the seed, not on
/// the accelerator's thread count.</para>
/// </remarks>
public sealed class DistralTrainer : ITrainer, IDiscreteGreedyPolicy
{
    private const ulong ExplorationStream = 0x4449_5354_5241; // "DISTRA"

    private readonly IDiscreteVectorEnvironment _environment;
    private readonly OffPolicyLoop _loop;
    private readonly IQNetwork _columns;
    private readonly IQNetwork _distilled;
    private readonly IQNetwork _targetColumns;
    private readonly IQNetwork _targetDistilled;
    private readonly Adam _adam;
    private readonly Accelerator? _accelerator;
    private readonly int _actions;
    private readonly float _alpha;
    private readonly float _beta;
    private readonly float[] _taskWeights;

    // One vector step.
    private readonly int[] _chosenActions;
    private readonly float[] _uniforms;
    private readonly float[] _behaviour;

    // One update.
    private readonly float[] _values;
    private readonly float[] _targets;
    private readonly float[] _chosen;
    private readonly float[] _chosenGradient;
    private readonly float[] _columnGradient;
    private readonly float[] _taskPolicy;
    private readonly float[] _distilledGradient;
    private readonly float[] _tdErrors;

    /// <summary>Builds the trainer: parameters initialised from the seed, target copied, environments reset.</summary>
    /// <param name="environment">The environments of every task.</param>
    /// <param name="layout">The layout of both networks (and any block they share).</param>
    /// <param name="createTaskColumns">Binds the task columns f (one soft Q value per action for each row's task) to a store with room for a batch size.</param>
    /// <param name="createDistilled">Binds the distilled network h (logits of π_0) to a store with room for a batch size.</param>
    /// <param name="options">Hyperparameters.</param>
    /// <param name="accelerator">Runs the optimizer, replay and sampling kernels and the networks' products; null = <see cref="CpuAccelerator.Default"/>.</param>
    /// <exception cref="ArgumentException">A network that does not fit the environment.</exception>
    public DistralTrainer(IDiscreteVectorEnvironment environment, ParameterLayout layout,
        Func<ParameterStore, int, IQNetwork> createTaskColumns, Func<ParameterStore, int, IQNetwork> createDistilled,
        DistralOptions options, Accelerator? accelerator = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(createTaskColumns);
        ArgumentNullException.ThrowIfNull(createDistilled);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (environment.ActionSpace.Kind != ActionKind.Discrete)
        {
            throw new ArgumentException("Distral needs discrete actions", nameof(environment));
        }
        _environment = environment;
        _accelerator = accelerator;
        Options = options;
        (_alpha, _beta) = options.Coefficients;
        var n = environment.EnvironmentCount;
        var batch = options.BatchSize;
        var rows = Math.Max(batch, n);
        Parameters = new ParameterStore(layout);
        Parameters.Initialize(options.Seed);
        TargetParameters = new ParameterStore(layout);
        TargetParameters.CopyValuesFrom(Parameters);
        _columns = createTaskColumns(Parameters, rows);
        _distilled = createDistilled(Parameters, rows);
        _targetColumns = createTaskColumns(TargetParameters, batch);
        _targetDistilled = createDistilled(TargetParameters, batch);
        QNetworks.CheckFits(_columns, environment, "the task columns");
        QNetworks.CheckFits(_distilled, environment, "the distilled network");
        foreach (var network in new[] { _columns, _distilled, _targetColumns, _targetDistilled }) network.UseGemm(options.Gemm, accelerator);
        _actions = _columns.ActionCount;
        _adam = new Adam(Parameters, new AdamOptions(LearningRate: options.LearningRate, MaxGradientNorm: options.GradientClip), accelerator);
        _taskWeights = new float[environment.TaskCount];
        for (var t = 0; t < _taskWeights.Length; t++) _taskWeights[t] = (float)(options.TaskWeights?[t] ?? 1.0);

        _chosenActions = new int[n];
        _uniforms = new float[n];
        _behaviour = new float[n * _actions];
        _values = new float[batch];
        _targets = new float[batch];
        _chosen = new float[batch];
        _chosenGradient = new float[batch];
        _columnGradient = new float[batch * _actions];
        _taskPolicy = new float[batch * _actions];
        _distilledGradient = new float[batch * _actions];
        _tdErrors = new float[batch];

        // Last, because it resets the environments.
        _loop = new OffPolicyLoop(environment, options, accelerator);
    }

    /// <summary>The hyperparameters.</summary>
    public DistralOptions Options { get; }

    /// <summary>α = c_KL/(c_KL + c_Ent): the distilled policy's weight inside each task policy.</summary>
    public float Alpha => _alpha;

    /// <summary>β = 1/(c_KL + c_Ent): the inverse temperature of the soft values.</summary>
    public float Beta => _beta;

    /// <summary>Both networks' parameters (what a checkpoint saves and what acts).</summary>
    public ParameterStore Parameters { get; }

    /// <summary>The target networks' parameters.</summary>
    public ParameterStore TargetParameters { get; }

    /// <summary>The replay buffer.</summary>
    public ReplayBuffer Replay => _loop.Replay;

    /// <summary>The optimizer of both networks.</summary>
    public Adam Optimizer => _adam;

    /// <summary>Transitions collected so far, over all environments.</summary>
    public long Transitions => _loop.Transitions;

    /// <inheritdoc />
    public long TargetTransitions => Options.Steps;

    /// <summary>Gradient updates made so far.</summary>
    public long Updates { get; private set; }

    /// <inheritdoc />
    public long SkippedUpdates { get; private set; }

    /// <inheritdoc />
    public long NonFiniteTransitions => _loop.NonFiniteTransitions;

    /// <inheritdoc />
    public long SkippedTransitions => _loop.SkippedTransitions;

    /// <inheritdoc />
    public NonFiniteValue? LastNonFinite => _loop.LastNonFinite;

    /// <summary>Soft TD loss of the last update (NaN before the first).</summary>
    public double LastLoss { get; private set; } = double.NaN;

    /// <summary>Distilled loss −(α/β)·Σ_a π_i log π_0 of the last update (NaN before the first).</summary>
    public double LastDistilledLoss { get; private set; } = double.NaN;

    /// <summary>Finished episodes: returns, lengths, termination rate.</summary>
    public EpisodeStatistics Episodes => _loop.Episodes;

    /// <summary>Finished episodes of each task.</summary>
    public ReadOnlySpan<EpisodeStatistics> TaskEpisodes => _loop.TaskEpisodes;

    /// <summary>The batch of the last update (tests read it).</summary>
    internal ReplayBatch LastBatch => _loop.Batch;

    /// <summary>π_i of every environment at the last step after warm-up, environments × actions (tests read it).</summary>
    internal ReadOnlySpan<float> LastBehaviour => _behaviour;

    /// <summary>The actions of the last step (tests read them).</summary>
    internal ReadOnlySpan<int> LastActions => _chosenActions;

    /// <summary>Called just before the optimizer steps, the gradients complete (tests read them there).</summary>
    internal Action? BeforeOptimizerStep { get; set; }

    /// <summary>Steps until <see cref="Transitions"/> reaches <paramref name="transitions"/> (or <see cref="OffPolicyOptions.Steps"/>).</summary>
    public void Train(long? transitions = null, CancellationToken cancellation = default)
    {
        var goal = transitions ?? Options.Steps;
        while (Transitions < goal && !cancellation.IsCancellationRequested) Step();
    }

    /// <inheritdoc />
    public TrainingProfile? Profile
    {
        get => _loop.Profile;
        set => _loop.Profile = value;
    }

    /// <summary>One vector step: sample actions from the task policies, store the transitions, then train and update the targets when due.</summary>
    public void Step()
    {
        using (TrainingProfile.Measure(Profile, TrainingPhase.Act))
        {
            _loop.BeginStep();
            ChooseActions(_environment.EnvironmentCount);
        }
        var updates = _loop.EndStep(_chosenActions);
        for (var update = 0L; update < updates; update++) Update();
        var targetUpdates = _loop.Crossed(Options.TargetUpdateEvery);
        using var phase = TrainingProfile.Measure(targetUpdates > 0 ? Profile : null, TrainingPhase.TargetUpdate);
        for (var i = 0L; i < targetUpdates; i++) Polyak.Update(TargetParameters, Parameters, Options.Tau);
    }

    /// <summary>
    /// Parameters, target parameters (<c>target</c>), Adam's moments (<c>adam</c>), the counters
    /// (<c>transitions</c>, <c>updates</c>, …) and the loop's state. The replay buffer is saved on
    /// its own (<see cref="ReplayBuffer.Save"/>).
    /// </summary>
    public Checkpoint CreateCheckpoint()
    {
        var checkpoint = Checkpoint.Of(Parameters).With(_adam).With("transitions", Transitions).With("updates", Updates)
            .With("skipped_updates", SkippedUpdates).With("last_loss", BitConverter.DoubleToInt64Bits(LastLoss))
            .With("last_distilled_loss", BitConverter.DoubleToInt64Bits(LastDistilledLoss));
        checkpoint.Arrays["target"] = (float[])TargetParameters.Values.Clone();
        _loop.SaveState(checkpoint);
        return checkpoint;
    }

    /// <inheritdoc />
    public void Resume(Checkpoint checkpoint)
    {
        Restore(checkpoint);
        _loop.RestoreState(checkpoint);
        Updates = checkpoint.Counter("updates");
        SkippedUpdates = checkpoint.Counter("skipped_updates");
        LastLoss = BitConverter.Int64BitsToDouble(checkpoint.Counter("last_loss"));
        LastDistilledLoss = BitConverter.Int64BitsToDouble(checkpoint.Counter("last_distilled_loss"));
    }

    /// <inheritdoc />
    public void Restore(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        checkpoint.RestoreTo(Parameters);
        checkpoint.RestoreArray("target", TargetParameters.Values);
        checkpoint.RestoreTo(_adam);
    }

    /// <inheritdoc />
    /// <remarks>Task columns, distilled network, then their targets.</remarks>
    public IEnumerable<TNetwork> NetworksOf<TNetwork>() where TNetwork : class
    {
        if (_columns is TNetwork columns) yield return columns;
        if (_distilled is TNetwork distilled) yield return distilled;
        if (_targetColumns is TNetwork targetColumns) yield return targetColumns;
        if (_targetDistilled is TNetwork targetDistilled) yield return targetDistilled;
    }

    /// <inheritdoc />
    public void Reinitialize(IReadOnlyList<ParameterSlice> slices, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(slices);
        Parameters.Reinitialize(slices, seed);
        TargetParameters.Reinitialize(slices, seed);
        _adam.ResetMoments(slices);
    }

    /// <inheritdoc />
    public int MaxRows => Math.Min(_columns.MaxBatch, _distilled.MaxBatch);

    /// <summary>Greedy actions for the given rows (evaluation): argmax_a α·h(s, a) + β·f_i(s, a), the mode of π_i.</summary>
    public void Act(in NetworkInputs inputs, Span<int> actions)
    {
        var h = _distilled.Forward(inputs);
        var f = _columns.Forward(inputs);
        for (var i = 0; i < inputs.Count; i++)
        {
            var best = 0;
            var bestScore = float.NegativeInfinity;
            for (var a = 0; a < _actions; a++)
            {
                var score = _alpha * h[i * _actions + a] + _beta * f[i * _actions + a];
                if (score > bestScore)
                {
                    best = a;
                    bestScore = score;
                }
            }
            actions[i] = best;
        }
    }

    private void ChooseActions(int n)
    {
        PhiloxFill.Uniform(_uniforms, Options.Seed, ExplorationStream, (ulong)_loop.VectorSteps * PhiloxFill.CountersForFloats(_uniforms.Length), _accelerator);
        if (_loop.InWarmup)
        {
            for (var i = 0; i < n; i++) _chosenActions[i] = Math.Min((int)(_uniforms[i] * _actions), _actions - 1);
            return;
        }
        var inputs = _loop.CurrentInputs;
        var h = _distilled.Forward(inputs);
        var f = _columns.Forward(inputs);
        DistillationLoss.DistralPolicy(h.Slice(0, n * _actions), f.Slice(0, n * _actions), _behaviour, default, n, _actions, _alpha, _beta);
        for (var i = 0; i < n; i++) _chosenActions[i] = Sample(_behaviour.AsSpan(i * _actions, _actions), _uniforms[i]);
    }

    /// <summary>The action whose cumulative probability first exceeds <paramref name="u"/> (the last likely one if rounding leaves u above the total).</summary>
    private static int Sample(ReadOnlySpan<float> probabilities, float u)
    {
        double cumulative = 0;
        var last = 0;
        for (var a = 0; a < probabilities.Length; a++)
        {
            if (probabilities[a] <= 0f) continue;
            cumulative += probabilities[a];
            last = a;
            if (u < cumulative) return a;
        }
        return last;
    }

    private void Update()
    {
        _loop.Sample();
        var batch = _loop.Batch;
        var size = batch.Size;
        var square = size * _actions;

        // Soft targets from the target networks.
        var next = _loop.BatchInputs(next: true);
        ReadOnlySpan<float> hNext, fNext;
        using (TrainingProfile.Measure(Profile, TrainingPhase.ForwardTarget))
        {
            hNext = _targetDistilled.Forward(next);
            fNext = _targetColumns.Forward(next);
        }
        var values = _values.AsSpan(0, size);
        DistillationLoss.DistralSoftValue(hNext.Slice(0, square), fNext.Slice(0, square), values, default, default, default, size, _actions, _alpha, _beta);
        var gamma = (float)Options.Gamma;
        for (var i = 0; i < size; i++) _targets[i] = batch.Rewards[i] + gamma * (1f - batch.Terminated[i]) * values[i];

        // Soft TD loss on the taken actions' columns, distilled loss on h toward the current π_i.
        var current = _loop.BatchInputs(next: false);
        ReadOnlySpan<float> f, h;
        using (TrainingProfile.Measure(Profile, TrainingPhase.ForwardOnline))
        {
            f = _columns.Forward(current).Slice(0, square);
            h = _distilled.Forward(current).Slice(0, square);
        }
        TemporalDifference.Chosen(f, batch.DiscreteActions, size, _actions, _chosen);
        var chosenGradient = _chosenGradient.AsSpan(0, size);
        LastLoss = Options.Loss == TdLossKind.Huber
            ? Loss.Huber(_chosen, _targets, chosenGradient, size)
            : Loss.MeanSquaredError(_chosen, _targets, chosenGradient, size);
        var taskPolicy = _taskPolicy.AsSpan(0, square);
        DistillationLoss.DistralPolicy(h, f, taskPolicy, default, size, _actions, _alpha, _beta);
        var distilledGradient = _distilledGradient.AsSpan(0, square);
        LastDistilledLoss = DistillationLoss.DistralDistilledCrossEntropy(h, taskPolicy, distilledGradient, size, _actions, _alpha, _beta);
        if (!double.IsFinite(LastLoss) || !double.IsFinite(LastDistilledLoss))
        {
            // The networks diverged (replay holds only finite data): no step, no priorities, counted.
            SkippedUpdates++;
            Updates++;
            return;
        }

        var weighted = Options.TaskWeights is not null || Options.IsPrioritized;
        if (weighted)
        {
            for (var i = 0; i < size; i++)
            {
                var weight = _taskWeights[batch.TaskIds[i]] * (Options.IsPrioritized ? batch.Weights[i] : 1f);
                chosenGradient[i] *= weight;
                foreach (ref var g in distilledGradient.Slice(i * _actions, _actions)) g *= weight;
            }
        }
        if (Options.IsPrioritized)
        {
            for (var i = 0; i < size; i++) _tdErrors[i] = MathF.Abs(_chosen[i] - _targets[i]);
        }
        TemporalDifference.Scatter(chosenGradient, batch.DiscreteActions, size, _actions, _columnGradient);

        using (TrainingProfile.Measure(Profile, TrainingPhase.Backward))
        {
            Parameters.ZeroGradients();
            _columns.Backward(_columnGradient.AsSpan(0, square));
            _distilled.Backward(distilledGradient);
        }
        BeforeOptimizerStep?.Invoke();
        using (TrainingProfile.Measure(Profile, TrainingPhase.Optimizer))
        {
            if (!_adam.Step()) SkippedUpdates++;
        }
        if (Options.IsPrioritized) _loop.Replay.UpdatePriorities(batch.Slots, _tdErrors);
        Updates++;
    }
}
