using System;
using System.Collections.Generic;
using System.Threading;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Optimization;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Profiling;
using Mtrl.Runtime.Replay;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// What SAC and TD3 share: an actor and twin critics over continuous actions, their target
/// copies, one optimizer per network, the clipped double-Q critic update toward targets the
/// algorithm computes, per-task loss weights and task-gradient combination, and rollouts through
/// <see cref="OffPolicyLoop"/> with uniformly random actions during warm-up.
/// </summary>
/// <remarks>
/// <para><b>Parameters.</b> The spec's layout holds one actor and one critic (and the blocks they
/// share). <see cref="Parameters"/> binds the actor and critic 1; the twin critic is the same
/// layout in <see cref="TwinParameters"/>, initialised from a different seed, so a block the
/// critic reads (a shared encoder) has one copy per critic; the actor reads and trains only
/// <see cref="Parameters"/>. Target networks are copies of both stores.</para>
/// <para><b>Optimizers.</b> Each network's Adam owns exactly the slices that network's backward
/// pass trains (<see cref="IPolicyNetwork.TrainedSlices"/>), so the actor's loss never moves a
/// critic weight even though it back-propagates through the critic, and clipping is per
/// network.</para>
/// <para><b>Actions.</b> Networks and replay work in [−1, 1] (the tanh range); environments get
/// the action mapped linearly onto their bounds.</para>
/// </remarks>
public abstract class ActorCriticTrainer : ITrainer, IContinuousGreedyPolicy
{
    private const ulong WarmupStream = 0x5741_524D_5550; // "WARMUP"
    private const ulong CriticPcGradStream = 0x4352_5047_5241; // "CRPGRA"
    private const ulong TwinPcGradStream = 0x5457_5047_5241; // "TWPGRA"
    private const ulong ActorPcGradStream = 0x4143_5047_5241; // "ACPGRA"
    private const ulong TwinSeedOffset = 0x5457_494E; // "TWIN"

    private readonly IContinuousVectorEnvironment _environment;
    private readonly Accelerator? _accelerator;
    private readonly float[] _actionLow;
    private readonly float[] _actionScale;
    private readonly float[] _normalizedActions;
    private readonly float[] _environmentActions;
    private readonly double[] _fixedTaskWeights;
    private readonly float[] _criticGradient;
    private readonly float[] _priorities;
    private readonly float[] _rowLosses;
    private readonly float[] _masked;
    private readonly int[] _taskRows;
    private readonly double[] _taskLosses;
    private readonly TaskGradientCombiner? _criticCombiner;
    private readonly TaskGradientCombiner? _twinCombiner;
    private readonly GradientSink _actorBackward;
    private readonly GradientSink _criticBackward;
    private readonly GradientSink _twinBackward;

    /// <summary>A backward pass taking ∂L/∂output (cached as delegates so per-task passes allocate nothing).</summary>
    private delegate void GradientSink(ReadOnlySpan<float> gradient);

    /// <summary>Builds stores, networks and optimizers, and resets the environments.</summary>
    /// <param name="environment">Continuous-action environments (a goal environment for HER).</param>
    /// <param name="layout">The agent's parameter layout (actor, one critic, shared blocks).</param>
    /// <param name="createActor">Binds the actor to a store with room for a batch size.</param>
    /// <param name="createCritic">Binds a critic to a store with room for a batch size.</param>
    /// <param name="options">Hyperparameters (validated by the caller).</param>
    /// <param name="actorLearningRate">The actor's Adam learning rate.</param>
    /// <param name="criticLearningRate">The critics' Adam learning rate.</param>
    /// <param name="targetActor">Also bind an actor to the target parameters (TD3's target policy).</param>
    /// <param name="accelerator">Runs the kernels; null = <see cref="CpuAccelerator.Default"/>.</param>
    protected ActorCriticTrainer(
        IContinuousVectorEnvironment environment, ParameterLayout layout,
        Func<ParameterStore, int, IPolicyNetwork> createActor, Func<ParameterStore, int, ICriticNetwork> createCritic,
        OffPolicyOptions options, float actorLearningRate, float criticLearningRate, bool targetActor, Accelerator? accelerator)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(createActor);
        ArgumentNullException.ThrowIfNull(createCritic);
        if (environment.ActionSpace.Kind != ActionKind.Continuous)
        {
            throw new ArgumentException($"{GetType().Name} needs continuous actions; the environment has {environment.ActionSpace}", nameof(environment));
        }
        _environment = environment;
        _accelerator = accelerator;
        var n = environment.EnvironmentCount;
        var batch = options.BatchSize;
        Parameters = new ParameterStore(layout);
        Parameters.Initialize(options.Seed);
        TwinParameters = new ParameterStore(layout);
        TwinParameters.Initialize(options.Seed + TwinSeedOffset);
        // A frozen critic slice is frozen in both critics (the twin has the same layout).
        Parameters.FreezeCovered(options.Freeze);
        TwinParameters.FreezeCovered(options.Freeze);
        TargetParameters = new ParameterStore(layout);
        TargetParameters.CopyValuesFrom(Parameters);
        TwinTargetParameters = new ParameterStore(layout);
        TwinTargetParameters.CopyValuesFrom(TwinParameters);

        Actor = createActor(Parameters, Math.Max(batch, n));
        Critic = createCritic(Parameters, batch);
        TwinCritic = createCritic(TwinParameters, batch);
        TargetCritic = createCritic(TargetParameters, batch);
        TwinTargetCritic = createCritic(TwinTargetParameters, batch);
        TargetActor = targetActor ? createActor(TargetParameters, batch) : null;
        CheckNetworks(environment);
        foreach (var critic in new[] { Critic, TwinCritic, TargetCritic, TwinTargetCritic }) critic.UseGemm(options.Gemm, accelerator);
        Actor.UseGemm(options.Gemm, accelerator);
        TargetActor?.UseGemm(options.Gemm, accelerator);
        ActionSize = Actor.ActionSize;
        TaskCount = environment.TaskCount;

        var clip = options.GradientClip;
        ActorOptimizer = new Adam(Parameters, new AdamOptions(LearningRate: actorLearningRate, MaxGradientNorm: clip), accelerator, Actor.TrainedSlices);
        CriticOptimizer = new Adam(Parameters, new AdamOptions(LearningRate: criticLearningRate, MaxGradientNorm: clip), accelerator, Critic.TrainedSlices);
        TwinOptimizer = new Adam(TwinParameters, new AdamOptions(LearningRate: criticLearningRate, MaxGradientNorm: clip), accelerator, TwinCritic.TrainedSlices);

        _actionLow = new float[ActionSize];
        _actionScale = new float[ActionSize];
        for (var d = 0; d < ActionSize; d++)
        {
            _actionLow[d] = environment.ActionSpace.Low[d];
            _actionScale[d] = 0.5f * (environment.ActionSpace.High[d] - environment.ActionSpace.Low[d]);
        }
        _normalizedActions = new float[n * ActionSize];
        _environmentActions = new float[n * ActionSize];
        _fixedTaskWeights = new double[TaskCount];
        for (var t = 0; t < TaskCount; t++) _fixedTaskWeights[t] = options.TaskWeights?[t] ?? 1.0;
        RowWeights = new float[batch];
        _criticGradient = new float[batch];
        _priorities = new float[batch];
        _rowLosses = new float[batch];
        _masked = new float[batch * 2 * ActionSize];
        _actorBackward = Actor.Backward;
        _criticBackward = Critic.Backward;
        _twinBackward = TwinCritic.Backward;
        _taskRows = new int[TaskCount];
        _taskLosses = new double[TaskCount];
        if (options.Gradients != TaskGradientMethod.None)
        {
            _criticCombiner = new TaskGradientCombiner(Parameters, TaskCount, options, CriticPcGradStream, accelerator, Critic.TrainedSlices);
            _twinCombiner = new TaskGradientCombiner(TwinParameters, TaskCount, options, TwinPcGradStream, accelerator, TwinCritic.TrainedSlices);
            ActorCombiner = new TaskGradientCombiner(Parameters, TaskCount, options, ActorPcGradStream, accelerator, Actor.TrainedSlices, gradNormWeightsFrom: _criticCombiner);
        }
        BaseOptions = options;
        // Last: the loop resets the environments.
        Loop = new OffPolicyLoop(environment, options, accelerator);
    }

    /// <summary>The actor's and critic 1's parameters (and every shared block's).</summary>
    public ParameterStore Parameters { get; }

    /// <summary>Critic 2's parameters (the same layout, its own initialisation).</summary>
    public ParameterStore TwinParameters { get; }

    /// <summary>Target copy of <see cref="Parameters"/>.</summary>
    public ParameterStore TargetParameters { get; }

    /// <summary>Target copy of <see cref="TwinParameters"/>.</summary>
    public ParameterStore TwinTargetParameters { get; }

    /// <summary>The actor's optimizer.</summary>
    public Adam ActorOptimizer { get; }

    /// <summary>Critic 1's optimizer.</summary>
    public Adam CriticOptimizer { get; }

    /// <summary>Critic 2's optimizer.</summary>
    public Adam TwinOptimizer { get; }

    /// <summary>Rollouts, replay and schedule.</summary>
    public OffPolicyLoop Loop { get; }

    /// <inheritdoc />
    public long Transitions => Loop.Transitions;

    /// <inheritdoc />
    public long TargetTransitions => BaseOptions.Steps;

    /// <inheritdoc />
    public long Updates { get; private set; }

    /// <inheritdoc />
    public long SkippedUpdates { get; private set; }

    /// <inheritdoc />
    public long NonFiniteTransitions => Loop.NonFiniteTransitions;

    /// <inheritdoc />
    public long SkippedTransitions => Loop.SkippedTransitions;

    /// <inheritdoc />
    public NonFiniteValue? LastNonFinite => Loop.LastNonFinite;

    /// <summary>Critic loss of the last update: the two critics' weighted mean squared TD errors, summed (NaN before the first).</summary>
    public double LastLoss { get; private set; } = double.NaN;

    /// <summary>Actor loss of the last actor update (NaN before the first).</summary>
    public double LastActorLoss { get; protected set; } = double.NaN;

    /// <inheritdoc />
    public EpisodeStatistics Episodes => Loop.Episodes;

    /// <summary>Finished episodes of each task.</summary>
    public ReadOnlySpan<EpisodeStatistics> TaskEpisodes => Loop.TaskEpisodes;

    /// <summary>Action dimensions.</summary>
    public int ActionSize { get; }

    /// <summary>Tasks the environments run.</summary>
    public int TaskCount { get; }

    /// <summary>The actor (bound to <see cref="Parameters"/>).</summary>
    protected IPolicyNetwork Actor { get; }

    /// <summary>Target actor (bound to <see cref="TargetParameters"/>), when asked for.</summary>
    protected IPolicyNetwork? TargetActor { get; }

    /// <summary>Critic 1.</summary>
    protected ICriticNetwork Critic { get; }

    /// <summary>Critic 2.</summary>
    protected ICriticNetwork TwinCritic { get; }

    /// <summary>Target of critic 1.</summary>
    protected ICriticNetwork TargetCritic { get; }

    /// <summary>Target of critic 2.</summary>
    protected ICriticNetwork TwinTargetCritic { get; }

    /// <summary>The actor loss's task-gradient combiner (null without a task gradient method).</summary>
    protected TaskGradientCombiner? ActorCombiner { get; }

    /// <summary>The shared options.</summary>
    protected OffPolicyOptions BaseOptions { get; }

    /// <summary>This update's weight of each batch row: its task's loss weight times its importance weight (prioritized replay).</summary>
    protected float[] RowWeights { get; }

    /// <summary>Where kernels run.</summary>
    protected Accelerator? Accelerator => _accelerator;

    /// <inheritdoc />
    public TrainingProfile? Profile
    {
        get => Loop.Profile;
        set => Loop.Profile = value;
    }

    /// <summary>Starts timing <paramref name="phase"/> when a profile is attached.</summary>
    protected PhaseScope Measure(TrainingPhase phase) => TrainingProfile.Measure(Loop.Profile, phase);

    /// <summary>Called with "critic", "twin", "actor" or "alpha" just before that optimizer steps (tests read the gradients there).</summary>
    internal Action<string>? BeforeOptimizerStep { get; set; }

    /// <inheritdoc />
    public void Train(long? transitions = null, CancellationToken cancellation = default)
    {
        var goal = transitions ?? BaseOptions.Steps;
        while (Transitions < goal && !cancellation.IsCancellationRequested) Step();
    }

    /// <summary>One vector step: act (uniformly at random during warm-up), store the transitions, then make the updates that fall due.</summary>
    public void Step()
    {
        var n = _environment.EnvironmentCount;
        var actions = _normalizedActions.AsSpan(0, n * ActionSize);
        using (Measure(TrainingPhase.Act))
        {
            Loop.BeginStep();
            if (Loop.InWarmup)
            {
                PhiloxFill.Uniform(actions, BaseOptions.Seed, WarmupStream, (ulong)Loop.VectorSteps * PhiloxFill.CountersForFloats(actions.Length), _accelerator);
                for (var i = 0; i < actions.Length; i++) actions[i] = 2f * actions[i] - 1f;
            }
            else
            {
                Explore(Loop.CurrentInputs, actions);
            }
            Loop.CheckActions(actions);
            for (var i = 0; i < actions.Length; i++)
            {
                var d = i % ActionSize;
                _environmentActions[i] = _actionLow[d] + (actions[i] + 1f) * _actionScale[d];
            }
        }
        var updates = Loop.EndStep(_environmentActions, actions);
        for (var update = 0L; update < updates; update++) UpdateOnce();
    }

    /// <summary>Samples a batch and makes one update (benchmarks time exactly this).</summary>
    internal void UpdateOnce()
    {
        var skippedBefore = OptimizerSkippedSteps();
        _lossNotFinite = false;
        Loop.Sample();
        Update(Updates);
        if (_lossNotFinite || OptimizerSkippedSteps() != skippedBefore) SkippedUpdates++;
        Updates++;
    }

    /// <summary>
    /// True (and the update counted as skipped) when <paramref name="loss"/> is NaN or ±∞: the
    /// caller then leaves its backward pass and optimizer step out, so task-gradient state
    /// (GradNorm's weights) and priorities never take in a non-finite value.
    /// </summary>
    protected bool SkipNonFinite(double loss)
    {
        if (double.IsFinite(loss)) return false;
        _lossNotFinite = true;
        return true;
    }

    private bool _lossNotFinite;

    /// <summary>Steps every optimizer of the algorithm has skipped for a non-finite gradient.</summary>
    private long OptimizerSkippedSteps() => ActorOptimizer.SkippedSteps + CriticOptimizer.SkippedSteps + TwinOptimizer.SkippedSteps + ExtraSkippedSteps;

    /// <summary>Skipped steps of optimizers the algorithm adds (SAC's temperature optimizer).</summary>
    protected virtual long ExtraSkippedSteps => 0;

    /// <inheritdoc />
    public IEnumerable<TNetwork> NetworksOf<TNetwork>() where TNetwork : class
    {
        object?[] bound = { Actor, Critic, TwinCritic, TargetCritic, TwinTargetCritic, TargetActor };
        foreach (var network in bound)
        {
            if (network is TNetwork match) yield return match;
        }
    }

    /// <inheritdoc />
    /// <remarks>Critic 2 draws from its own seed, as at construction, so the twins stay different.</remarks>
    public void Reinitialize(IReadOnlyList<ParameterSlice> slices, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(slices);
        Parameters.Reinitialize(slices, seed);
        TargetParameters.Reinitialize(slices, seed);
        TwinParameters.Reinitialize(slices, seed + TwinSeedOffset);
        TwinTargetParameters.Reinitialize(slices, seed + TwinSeedOffset);
        ActorOptimizer.ResetMoments(slices);
        CriticOptimizer.ResetMoments(slices);
        TwinOptimizer.ResetMoments(slices);
    }

    /// <inheritdoc />
    public int MaxRows => Actor.MaxBatch;

    /// <summary>Deterministic actions in the environment's bounds for the given rows (evaluation): tanh(μ) mapped onto the bounds.</summary>
    public void Act(scoped in NetworkInputs inputs, Span<float> actions)
    {
        var count = inputs.Count;
        if (actions.Length < count * ActionSize) throw new ArgumentException($"actions needs {count * ActionSize} values", nameof(actions));
        var readout = Actor.Forward(inputs);
        var width = Actor.IsStochastic ? 2 * ActionSize : ActionSize;
        for (var b = 0; b < count; b++)
        {
            for (var d = 0; d < ActionSize; d++)
            {
                var mean = readout[b * width + d];
                var a = Actor.IsStochastic ? MathF.Tanh(mean) : mean;
                actions[b * ActionSize + d] = _actionLow[d] + (a + 1f) * _actionScale[d];
            }
        }
    }

    /// <summary>
    /// Parameters, twin parameters (<c>twin</c>), both targets (<c>target</c>, <c>twin_target</c>),
    /// every optimizer's moments and the counters <c>transitions</c> and <c>updates</c>, plus what the
    /// algorithm adds.
    /// </summary>
    public Checkpoint CreateCheckpoint()
    {
        var checkpoint = Checkpoint.Of(Parameters)
            .With(ActorOptimizer, "actor_adam").With(CriticOptimizer, "critic_adam").With(TwinOptimizer, "twin_adam")
            .With("transitions", Transitions).With("updates", Updates);
        checkpoint.Arrays["twin"] = (float[])TwinParameters.Values.Clone();
        checkpoint.Arrays["target"] = (float[])TargetParameters.Values.Clone();
        checkpoint.Arrays["twin_target"] = (float[])TwinTargetParameters.Values.Clone();
        checkpoint.Counters["skipped_updates"] = SkippedUpdates;
        checkpoint.Counters["last_loss"] = BitConverter.DoubleToInt64Bits(LastLoss);
        checkpoint.Counters["last_actor_loss"] = BitConverter.DoubleToInt64Bits(LastActorLoss);
        _criticCombiner?.SaveState(checkpoint, "critic_gradients.");
        _twinCombiner?.SaveState(checkpoint, "twin_gradients.");
        ActorCombiner?.SaveState(checkpoint, "actor_gradients.");
        Loop.SaveState(checkpoint);
        AddToCheckpoint(checkpoint);
        return checkpoint;
    }

    /// <inheritdoc />
    public ReplayBuffer Replay => Loop.Replay;

    /// <inheritdoc />
    public void Resume(Checkpoint checkpoint)
    {
        Restore(checkpoint);
        Loop.RestoreState(checkpoint);
        _criticCombiner?.RestoreState(checkpoint, "critic_gradients.");
        _twinCombiner?.RestoreState(checkpoint, "twin_gradients.");
        ActorCombiner?.RestoreState(checkpoint, "actor_gradients.");
        Updates = checkpoint.Counter("updates");
        SkippedUpdates = checkpoint.Counter("skipped_updates");
        LastLoss = BitConverter.Int64BitsToDouble(checkpoint.Counter("last_loss"));
        LastActorLoss = BitConverter.Int64BitsToDouble(checkpoint.Counter("last_actor_loss"));
    }

    /// <inheritdoc />
    public void Restore(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        checkpoint.RestoreTo(Parameters);
        checkpoint.RestoreArray("twin", TwinParameters.Values);
        checkpoint.RestoreArray("target", TargetParameters.Values);
        checkpoint.RestoreArray("twin_target", TwinTargetParameters.Values);
        checkpoint.RestoreTo(ActorOptimizer, "actor_adam");
        checkpoint.RestoreTo(CriticOptimizer, "critic_adam");
        checkpoint.RestoreTo(TwinOptimizer, "twin_adam");
        RestoreFromCheckpoint(checkpoint);
    }

    /// <summary>
    /// Starts from <paramref name="checkpoint"/>'s parameters (<see cref="ITrainer.InitializeFrom"/>):
    /// the actor and critic 1 from its <c>parameters</c>, critic 2 from its <c>twin</c> (a checkpoint
    /// without one — a DQN agent's — leaves critic 2 as initialised, since two critics started
    /// equal would stay equal), both targets copied, every optimizer reset. The algorithm's own
    /// state (SAC's temperatures) starts from the options, as in a new run.
    /// </summary>
    public FineTuneResult InitializeFrom(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (Transitions != 0 || Updates != 0) throw new InvalidOperationException("a trainer starts from a checkpoint's parameters before its first step");
        var result = FineTune.LoadParameters(Parameters, checkpoint);
        if (checkpoint.Arrays.ContainsKey("twin")) FineTune.LoadParameters(TwinParameters, checkpoint, "twin");
        TargetParameters.CopyValuesFrom(Parameters);
        TwinTargetParameters.CopyValuesFrom(TwinParameters);
        ActorOptimizer.Reset();
        CriticOptimizer.Reset();
        TwinOptimizer.Reset();
        return result;
    }

    /// <summary>Normalised actions in [−1, 1] for the rows the environments are at (after warm-up).</summary>
    protected abstract void Explore(scoped in NetworkInputs inputs, Span<float> actions);

    /// <summary>One update from the freshly sampled <see cref="OffPolicyLoop.Batch"/>; <paramref name="update"/> numbers it from 0.</summary>
    protected abstract void Update(long update);

    /// <summary>Each task's loss weight in this update (fixed weights by default).</summary>
    protected virtual double TaskWeight(int task) => _fixedTaskWeights[task];

    /// <summary>Adds algorithm state (temperatures, their optimizer) to a checkpoint.</summary>
    protected virtual void AddToCheckpoint(Checkpoint checkpoint)
    {
    }

    /// <summary>Restores what <see cref="AddToCheckpoint"/> saved.</summary>
    protected virtual void RestoreFromCheckpoint(Checkpoint checkpoint)
    {
    }

    /// <summary>
    /// Trains both critics toward <paramref name="targets"/> on the batch's (s, a): loss
    /// Σᵢ wᵢ(Qₖ(sᵢ, aᵢ) − yᵢ)²/B for k = 1, 2, one optimizer step each; with prioritized replay the
    /// new priorities are the mean of the two |TD errors|.
    /// </summary>
    protected void UpdateCritics(ReadOnlySpan<float> targets)
    {
        var batch = Loop.Batch;
        var size = batch.Size;
        var actions = batch.Actions.AsSpan(0, size * ActionSize);
        var inputs = Loop.BatchInputs(next: false);
        double loss = 0;
        loss += UpdateCritic(Critic, _criticBackward, Parameters, CriticOptimizer, _criticCombiner, inputs, actions, targets, first: true);
        loss += UpdateCritic(TwinCritic, _twinBackward, TwinParameters, TwinOptimizer, _twinCombiner, inputs, actions, targets, first: false);
        LastLoss = loss;
        // A non-finite loss means a non-finite TD error, which a sum tree cannot hold; the update is counted as skipped.
        if (!BaseOptions.IsPrioritized || !double.IsFinite(loss)) return;
        using var phase = Measure(TrainingPhase.Sample);
        Loop.Replay.UpdatePriorities(batch.Slots, _priorities.AsSpan(0, size));
    }

    /// <summary>Polyak-averages both target stores toward their online stores (every value, so a target reads exactly what its network would).</summary>
    protected void UpdateTargets(float tau)
    {
        using var phase = Measure(TrainingPhase.TargetUpdate);
        Polyak.Update(TargetParameters, Parameters, tau);
        Polyak.Update(TwinTargetParameters, TwinParameters, tau);
    }

    /// <summary>
    /// Back-propagates an actor-loss gradient on the actor's readout, whole or per task through
    /// <see cref="ActorCombiner"/>, into <see cref="Parameters"/>' gradients (zeroed first), ready
    /// for <see cref="ActorOptimizer"/>. <paramref name="rowLosses"/> (one per row) feed GradNorm.
    /// </summary>
    protected void BackwardActor(ReadOnlySpan<float> readoutGradient, int width, ReadOnlySpan<float> rowLosses)
    {
        using var phase = Measure(TrainingPhase.BackwardPolicy);
        if (ActorCombiner is null)
        {
            Parameters.ZeroGradients();
            Actor.Backward(readoutGradient);
            return;
        }
        BackwardPerTask(ActorCombiner, _actorBackward, readoutGradient, width, rowLosses);
    }

    private double UpdateCritic(ICriticNetwork critic, GradientSink backward, ParameterStore store, Adam optimizer, TaskGradientCombiner? combiner,
        scoped in NetworkInputs inputs, ReadOnlySpan<float> actions, ReadOnlySpan<float> targets, bool first)
    {
        var size = inputs.Count;
        ReadOnlySpan<float> q;
        using (Measure(TrainingPhase.ForwardOnline)) q = critic.Forward(inputs, actions);
        var gradient = _criticGradient.AsSpan(0, size);
        double loss = 0;
        using (Measure(TrainingPhase.Loss))
        {
            for (var i = 0; i < size; i++)
            {
                var error = q[i] - targets[i];
                loss += (double)RowWeights[i] * error * error;
                gradient[i] = 2f * RowWeights[i] * error / size;
                _rowLosses[i] = error * error;
                var magnitude = 0.5f * MathF.Abs(error);
                _priorities[i] = first ? magnitude : _priorities[i] + magnitude;
            }
        }
        if (SkipNonFinite(loss)) return loss / size;
        using (Measure(TrainingPhase.Backward))
        {
            if (combiner is null)
            {
                store.ZeroGradients();
                critic.Backward(gradient);
            }
            else
            {
                BackwardPerTask(combiner, backward, gradient, 1, _rowLosses);
            }
        }
        BeforeOptimizerStep?.Invoke(first ? "critic" : "twin");
        using (Measure(TrainingPhase.Optimizer)) optimizer.Step();
        return loss / size;
    }

    private void BackwardPerTask(TaskGradientCombiner combiner, GradientSink backward, ReadOnlySpan<float> gradient, int width, ReadOnlySpan<float> rowLosses)
    {
        var batch = Loop.Batch;
        var size = batch.Size;
        var tasks = batch.TaskIds.AsSpan(0, size);
        TaskRowGradient.CountRows(tasks, _taskRows);
        Array.Clear(_taskLosses);
        for (var i = 0; i < size; i++) _taskLosses[tasks[i]] += rowLosses[i];
        for (var t = 0; t < TaskCount; t++)
        {
            if (_taskRows[t] > 0) _taskLosses[t] /= _taskRows[t];
        }
        combiner.BeginStep();
        for (var task = 0; task < TaskCount; task++)
        {
            if (_taskRows[task] > 0)
            {
                var masked = _masked.AsSpan(0, size * width);
                TaskRowGradient.Mask(gradient, tasks, task, (float)size / _taskRows[task], width, masked);
                backward(masked);
            }
            combiner.Capture(task);
        }
        combiner.Apply(_taskRows, _taskLosses, Updates);
    }

    /// <summary>Sets <see cref="RowWeights"/> for the sampled batch from <see cref="TaskWeight"/> (and importance weights); updates call it first.</summary>
    protected void PrepareRowWeights()
    {
        var batch = Loop.Batch;
        var prioritized = BaseOptions.IsPrioritized;
        for (var i = 0; i < batch.Size; i++)
        {
            var weight = (float)TaskWeight(batch.TaskIds[i]);
            RowWeights[i] = prioritized ? weight * batch.Weights[i] : weight;
        }
    }

    private void CheckNetworks(IContinuousVectorEnvironment environment)
    {
        var actions = environment.ActionSpace.Dimensions;
        var goalWidth = (environment as IGoalVectorEnvironment)?.GoalSize ?? 0;
        foreach (var (name, observation, goal, size) in new (string, int, int, int)[]
        {
            ("actor", Actor.ObservationWidth, Actor.GoalWidth, Actor.ActionSize),
            ("critic", Critic.ObservationWidth, Critic.GoalWidth, Critic.ActionSize),
        })
        {
            if (size != actions) throw new ArgumentException($"the {name} acts in {size} dimensions but the environment's actions have {actions}", nameof(environment));
            if (observation != environment.ObservationSize) throw new ArgumentException($"the {name} reads observations {observation} wide but the environment's are {environment.ObservationSize} wide", nameof(environment));
            if (goal != goalWidth) throw new ArgumentException($"the {name} reads goals {goal} wide but the environment's are {goalWidth} wide", nameof(environment));
        }
    }
}
