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
/// Deep Q-learning (Mnih et al. 2015) with double-DQN targets (van Hasselt et al. 2016), a
/// Huber or squared TD loss, a target network updated by copy or Polyak averaging, ε-greedy
/// exploration decaying linearly, experience replay, and optional hindsight relabeling
/// (Andrychowicz et al. 2017) for goal environments. Multi-task batches pass their task ids to
/// the network. One <see cref="Step"/> is one vector-environment step; nothing is allocated per
/// step after the first update.
/// </summary>
public sealed class DqnTrainer : ITrainer, IDiscreteGreedyPolicy
{
    private const ulong ExplorationStream = 0x4558_504C_4F52; // "EXPLOR"
    private const ulong PcGradStream = 0x5043_4752_4144; // "PCGRAD"

    private readonly IDiscreteVectorEnvironment _environment;
    private readonly OffPolicyLoop _loop;
    private readonly IQNetwork _online;
    private readonly IQNetwork _target;
    private readonly Adam _adam;
    private readonly int _actions;
    private readonly Accelerator? _accelerator;

    // One vector step's actions and the draws they come from.
    private readonly int[] _chosenActions;
    private readonly float[] _uniforms;

    // One update.
    private readonly float[] _onlineNext;
    private readonly float[] _targets;
    private readonly float[] _chosen;
    private readonly float[] _chosenGradient;
    private readonly float[] _qGradient;
    private readonly float[] _tdErrors;
    private readonly TaskGradientCombiner? _taskGradients;
    private readonly float[] _taskGradient;
    private readonly int[] _taskRows;
    private readonly double[] _taskLosses;

    /// <summary>Builds the trainer: parameters initialised from the seed, target network copied, environments reset.</summary>
    /// <param name="environment">The environments to learn in (a goal environment for HER).</param>
    /// <param name="layout">The agent's parameter layout.</param>
    /// <param name="createNetwork">Binds a Q network to a parameter store with room for a batch size.</param>
    /// <param name="options">Hyperparameters.</param>
    /// <param name="accelerator">Runs the optimizer, replay and exploration kernels; null = <see cref="CpuAccelerator.Default"/>.</param>
    public DqnTrainer(IDiscreteVectorEnvironment environment, ParameterLayout layout, Func<ParameterStore, int, IQNetwork> createNetwork, DqnOptions options, Accelerator? accelerator = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(createNetwork);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (environment.ActionSpace.Kind != ActionKind.Discrete)
        {
            throw new ArgumentException("DQN needs discrete actions", nameof(environment));
        }
        _environment = environment;
        _accelerator = accelerator;
        Options = options;
        var n = environment.EnvironmentCount;
        var batch = options.BatchSize;
        Parameters = new ParameterStore(layout);
        Parameters.Initialize(options.Seed);
        Parameters.FreezeCovered(options.Freeze);
        TargetParameters = new ParameterStore(layout);
        TargetParameters.CopyValuesFrom(Parameters);
        _online = createNetwork(Parameters, Math.Max(batch, n));
        _target = createNetwork(TargetParameters, batch);
        CheckNetwork(_online, environment);
        // The networks' matrix products run where everything else does, so the thread count is the caller's.
        _online.UseGemm(options.Gemm, accelerator);
        _target.UseGemm(options.Gemm, accelerator);
        _actions = _online.ActionCount;
        _adam = new Adam(Parameters, new AdamOptions(LearningRate: options.LearningRate, MaxGradientNorm: options.GradientClip), accelerator);

        _chosenActions = new int[n];
        _uniforms = new float[2 * n];
        _onlineNext = new float[batch * _actions];
        _targets = new float[batch];
        _chosen = new float[batch];
        _chosenGradient = new float[batch];
        _qGradient = new float[batch * _actions];
        _tdErrors = new float[batch];
        if (options.Gradients != TaskGradientMethod.None)
        {
            var tasks = environment.TaskCount;
            _taskGradients = new TaskGradientCombiner(Parameters, tasks, options, PcGradStream, accelerator);
            _taskGradient = new float[batch * _actions];
            _taskRows = new int[tasks];
            _taskLosses = new double[tasks];
        }
        else
        {
            _taskGradient = [];
            _taskRows = [];
            _taskLosses = [];
        }

        // Last, because it resets the environments: as before the loop existed, so runs keep their bits.
        _loop = new OffPolicyLoop(environment, options, accelerator);
    }

    /// <summary>The hyperparameters.</summary>
    public DqnOptions Options { get; }

    /// <summary>The online network's parameters (what a checkpoint saves and what acts).</summary>
    public ParameterStore Parameters { get; }

    /// <summary>The target network's parameters.</summary>
    public ParameterStore TargetParameters { get; }

    /// <summary>The replay buffer.</summary>
    public ReplayBuffer Replay => _loop.Replay;

    /// <summary>The optimizer (its counters tell skipped non-finite steps).</summary>
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

    /// <inheritdoc />
    public TrainingProfile? Profile
    {
        get => _loop.Profile;
        set => _loop.Profile = value;
    }

    /// <summary>TD loss of the last update (NaN before the first).</summary>
    public double LastLoss { get; private set; } = double.NaN;

    /// <summary>The exploration rate the next step acts with.</summary>
    public double Epsilon => Transitions < Options.Warmup ? 1.0 : Options.EpsilonAt(Transitions);

    /// <summary>Finished episodes: returns, lengths, termination rate.</summary>
    public EpisodeStatistics Episodes => _loop.Episodes;

    /// <summary>Finished episodes of each task.</summary>
    public ReadOnlySpan<EpisodeStatistics> TaskEpisodes => _loop.TaskEpisodes;

    /// <summary>GradNorm's current task loss weights (they sum to the task count); empty for other gradient methods.</summary>
    public ReadOnlySpan<double> TaskLossWeights => Options.Gradients == TaskGradientMethod.GradNorm ? _taskGradients!.LossWeights : default;

    /// <summary>Steps until <see cref="Transitions"/> reaches <paramref name="transitions"/> (or <see cref="OffPolicyOptions.Steps"/>).</summary>
    public void Train(long? transitions = null, CancellationToken cancellation = default)
    {
        var goal = transitions ?? Options.Steps;
        while (Transitions < goal && !cancellation.IsCancellationRequested) Step();
    }

    /// <summary>One vector step: act ε-greedily, store the transitions, then train and update the target when due.</summary>
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
    /// (<c>transitions</c>, <c>updates</c>, …), GradNorm's state and the loop's (running episodes,
    /// episode statistics, the environments' state when they can save it). The replay buffer is
    /// not part of it: save it with <see cref="ReplayBuffer.Save"/>.
    /// </summary>
    public Checkpoint CreateCheckpoint()
    {
        var checkpoint = Checkpoint.Of(Parameters).With(_adam).With("transitions", Transitions).With("updates", Updates)
            .With("skipped_updates", SkippedUpdates).With("last_loss", BitConverter.DoubleToInt64Bits(LastLoss));
        checkpoint.Arrays["target"] = (float[])TargetParameters.Values.Clone();
        _taskGradients?.SaveState(checkpoint, "task_gradients.");
        _loop.SaveState(checkpoint);
        return checkpoint;
    }

    /// <inheritdoc />
    public void Resume(Checkpoint checkpoint)
    {
        Restore(checkpoint);
        _loop.RestoreState(checkpoint);
        _taskGradients?.RestoreState(checkpoint, "task_gradients.");
        Updates = checkpoint.Counter("updates");
        SkippedUpdates = checkpoint.Counter("skipped_updates");
        LastLoss = BitConverter.Int64BitsToDouble(checkpoint.Counter("last_loss"));
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
    public IEnumerable<TNetwork> NetworksOf<TNetwork>() where TNetwork : class
    {
        if (_online is TNetwork online) yield return online;
        if (_target is TNetwork target) yield return target;
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
    public FineTuneResult InitializeFrom(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (Transitions != 0 || Updates != 0) throw new InvalidOperationException("a trainer starts from a checkpoint's parameters before its first step");
        var result = FineTune.LoadParameters(Parameters, checkpoint);
        TargetParameters.CopyValuesFrom(Parameters);
        _adam.Reset();
        return result;
    }

    /// <inheritdoc />
    public int MaxRows => _online.MaxBatch;

    /// <summary>Greedy actions of the online network for the given rows (evaluation).</summary>
    public void Act(in NetworkInputs inputs, Span<int> actions)
    {
        var q = _online.Forward(inputs);
        for (var i = 0; i < inputs.Count; i++) actions[i] = TemporalDifference.ArgMax(q.Slice(i * _actions, _actions));
    }

    private void ChooseActions(int n)
    {
        PhiloxFill.Uniform(_uniforms, Options.Seed, ExplorationStream, (ulong)_loop.VectorSteps * PhiloxFill.CountersForFloats(_uniforms.Length), _accelerator);
        var epsilon = Epsilon;
        ReadOnlySpan<float> q = default;
        if (epsilon < 1.0)
        {
            q = _online.Forward(_loop.CurrentInputs);
        }
        for (var i = 0; i < n; i++)
        {
            _chosenActions[i] = _uniforms[2 * i] < epsilon
                ? Math.Min((int)(_uniforms[2 * i + 1] * _actions), _actions - 1)
                : TemporalDifference.ArgMax(q.Slice(i * _actions, _actions));
        }
    }

    private void Update()
    {
        _loop.Sample();
        var batch = _loop.Batch;
        var size = batch.Size;
        var next = _loop.BatchInputs(next: true);
        if (Options.Double)
        {
            using var phase = TrainingProfile.Measure(Profile, TrainingPhase.ForwardNextOnline);
            _online.Forward(next).CopyTo(_onlineNext);
        }
        ReadOnlySpan<float> targetNext;
        using (TrainingProfile.Measure(Profile, TrainingPhase.ForwardTarget)) targetNext = _target.Forward(next);
        ReadOnlySpan<float> q;
        using (TrainingProfile.Measure(Profile, TrainingPhase.ForwardOnline)) q = _online.Forward(_loop.BatchInputs(next: false));

        bool finite;
        using (TrainingProfile.Measure(Profile, TrainingPhase.Loss)) finite = LossGradient(batch, targetNext, q);
        if (!finite)
        {
            // Non-finite Q values or targets (replay holds only finite data, so the networks diverged):
            // no step, no priorities (a sum tree cannot hold NaN), counted.
            SkippedUpdates++;
            Updates++;
            return;
        }

        using (TrainingProfile.Measure(Profile, TrainingPhase.Backward))
        {
            if (_taskGradients is null)
            {
                Parameters.ZeroGradients();
                _online.Backward(_qGradient);
            }
            else
            {
                BackwardPerTask(batch, size);
            }
        }
        using (TrainingProfile.Measure(Profile, TrainingPhase.Optimizer))
        {
            var skippedBefore = _adam.SkippedSteps;
            _adam.Step();
            if (_adam.SkippedSteps != skippedBefore) SkippedUpdates++;
        }
        if (Options.IsPrioritized)
        {
            using var phase = TrainingProfile.Measure(Profile, TrainingPhase.Sample);
            _loop.Replay.UpdatePriorities(batch.Slots, _tdErrors);
        }
        Updates++;
    }

    /// <summary>TD targets, the loss (<see cref="LastLoss"/>) and ∂L/∂Q scattered to the chosen actions; false when the loss is not finite.</summary>
    private bool LossGradient(ReplayBatch batch, ReadOnlySpan<float> targetNext, ReadOnlySpan<float> q)
    {
        var size = batch.Size;
        TemporalDifference.Targets(batch.Rewards, batch.Terminated, targetNext, Options.Double ? _onlineNext : default, size, _actions, (float)Options.Gamma, _targets);
        TemporalDifference.Chosen(q, batch.DiscreteActions, size, _actions, _chosen);
        LastLoss = Options.Loss == TdLossKind.Huber
            ? Loss.Huber(_chosen, _targets, _chosenGradient, size)
            : Loss.MeanSquaredError(_chosen, _targets, _chosenGradient, size);
        if (!double.IsFinite(LastLoss)) return false;
        if (Options.TaskWeights is { } taskWeights)
        {
            for (var i = 0; i < size; i++) _chosenGradient[i] *= (float)taskWeights[batch.TaskIds[i]];
        }
        if (Options.IsPrioritized)
        {
            // Importance weights correct the loss for the skewed draw; new priorities are the TD errors.
            for (var i = 0; i < size; i++)
            {
                _chosenGradient[i] *= batch.Weights[i];
                _tdErrors[i] = MathF.Abs(_chosen[i] - _targets[i]);
            }
        }
        TemporalDifference.Scatter(_chosenGradient, batch.DiscreteActions, size, _actions, _qGradient);
        return true;
    }

    /// <summary>
    /// One backward pass per task over the same forward: task t's loss is the mean over its rows
    /// (the batch gradient rescaled by batch/rows), then the shared gradients are combined.
    /// </summary>
    private void BackwardPerTask(ReplayBatch batch, int size)
    {
        var taskGradients = _taskGradients!;
        var tasks = batch.TaskIds.AsSpan(0, size);
        TaskRowGradient.CountRows(tasks, _taskRows);
        Array.Clear(_taskLosses);
        for (var i = 0; i < size; i++) _taskLosses[tasks[i]] += RowLoss(_chosen[i] - _targets[i]);
        for (var t = 0; t < _taskRows.Length; t++)
        {
            if (_taskRows[t] > 0) _taskLosses[t] /= _taskRows[t];
        }
        taskGradients.BeginStep();
        for (var task = 0; task < _taskRows.Length; task++)
        {
            if (_taskRows[task] > 0)
            {
                var gradient = _taskGradient.AsSpan(0, size * _actions);
                TaskRowGradient.Mask(_qGradient, tasks, task, (float)size / _taskRows[task], _actions, gradient);
                _online.Backward(gradient);
            }
            taskGradients.Capture(task);
        }
        taskGradients.Apply(_taskRows, _taskLosses, Updates);
    }

    /// <summary>One row's TD loss, as the batch loss counts it.</summary>
    private double RowLoss(float difference)
    {
        var magnitude = Math.Abs((double)difference);
        return Options.Loss == TdLossKind.SquaredError ? magnitude * magnitude : magnitude <= 1 ? 0.5 * magnitude * magnitude : magnitude - 0.5;
    }

    private static void CheckNetwork(IQNetwork network, IDiscreteVectorEnvironment environment)
    {
        if (network.ActionCount != environment.ActionSpace.Count)
        {
            throw new ArgumentException($"the network has {network.ActionCount} Q values per row but the environment has {environment.ActionSpace.Count} actions", nameof(environment));
        }
        if (network.ObservationWidth != environment.ObservationSize)
        {
            throw new ArgumentException($"the network reads observations {network.ObservationWidth} wide but the environment's are {environment.ObservationSize} wide", nameof(environment));
        }
        var goalWidth = (environment as IGoalVectorEnvironment)?.GoalSize ?? 0;
        if (network.GoalWidth != goalWidth)
        {
            throw new ArgumentException($"the network reads goals {network.GoalWidth} wide but the environment's are {goalWidth} wide", nameof(environment));
        }
    }
}
