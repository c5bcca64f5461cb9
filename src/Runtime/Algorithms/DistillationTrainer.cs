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
/// Policy distillation (Rusu et al. 2015, arXiv:1511.06295) and Actor-Mimic (Parisotto et al.
/// 2015, arXiv:1511.06342): a student network, whose outputs are read as logits (or as Q values
/// for <see cref="DistillationMethod.Mse"/>), learns to act like per-task teachers.
/// </summary>
/// <remarks>
/// <para><b>Per step.</b> The collector (<see cref="DistillationOptions.Collector"/>: the student,
/// or each environment's teacher) acts ε-greedily (uniformly at random during warm-up); the
/// transitions go to replay like any off-policy trainer's.</para>
/// <para><b>Per update.</b> A batch of stored states is drawn; each row is answered by its task's
/// teacher (the rows of one teacher run as one batch), the student runs on the same rows, the
/// chosen loss of <see cref="DistillationLoss"/> gives ∂L/∂outputs (each row times its task's
/// weight), and one Adam step moves the student. With <see cref="ActorMimicFeatures"/> the feature
/// predictor's squared error to the teachers' features, times 2·<see cref="DistillationOptions.FeatureWeight"/>
/// (Eq. 4's β with Eq. 3's unhalved norm), is back-propagated into the same store before the step.</para>
/// <para><b>Teachers</b> are used as given: the trainer only calls their Forward (never Backward or
/// UseGemm), so their parameters, gradients and settings stay as the caller left them. Teacher t
/// answers for task t; a single teacher answers for every task (one multi-task teacher reads the
/// rows' task ids). They are not part of checkpoints or <see cref="NetworksOf{TNetwork}"/>.</para>
/// <para>Nothing is allocated per step after the first update; results depend only on the seed,
/// not on the accelerator's thread count.</para>
/// </remarks>
public sealed class DistillationTrainer : ITrainer, IDiscreteGreedyPolicy
{
    private const ulong ExplorationStream = 0x4449_5354_4558; // "DISTEX"

    private readonly IDiscreteVectorEnvironment _environment;
    private readonly OffPolicyLoop _loop;
    private readonly IQNetwork _student;
    private readonly IFeatureNetwork? _predictor;
    private readonly TeacherRouter _teachers;
    private readonly TeacherRouter? _teacherFeatures;
    private readonly Adam _adam;
    private readonly Accelerator? _accelerator;
    private readonly int _actions;
    private readonly float[] _taskWeights;

    // One vector step.
    private readonly int[] _chosenActions;
    private readonly float[] _uniforms;
    private readonly float[] _collectorQ;

    // One update.
    private readonly float[] _teacherQ;
    private readonly float[] _gradient;
    private readonly float[] _expertFeatures;
    private readonly float[] _featureGradient;

    /// <summary>Builds the trainer: the student initialised from the seed, environments reset.</summary>
    /// <param name="environment">The environments to collect in (a goal environment if the networks read goals).</param>
    /// <param name="layout">The student's parameter layout.</param>
    /// <param name="createStudent">Binds the student to a parameter store with room for a batch size; its outputs are logits (Q values for Mse).</param>
    /// <param name="teachers">One teacher per task (teacher t answers for task t) or one for all tasks; only their Forward is called.</param>
    /// <param name="options">Hyperparameters.</param>
    /// <param name="accelerator">Runs the optimizer, replay, exploration kernels and the student's products; null = <see cref="CpuAccelerator.Default"/>.</param>
    /// <param name="features">Actor-Mimic's feature regression, or null for none.</param>
    /// <exception cref="ArgumentException">A network that does not fit the environment, teachers neither one nor one per task, or feature networks of unequal widths.</exception>
    public DistillationTrainer(IDiscreteVectorEnvironment environment, ParameterLayout layout, Func<ParameterStore, int, IQNetwork> createStudent,
        IReadOnlyList<IQNetwork> teachers, DistillationOptions options, Accelerator? accelerator = null, ActorMimicFeatures? features = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(createStudent);
        ArgumentNullException.ThrowIfNull(teachers);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (environment.ActionSpace.Kind != ActionKind.Discrete)
        {
            throw new ArgumentException("distillation needs discrete actions", nameof(environment));
        }
        var tasks = environment.TaskCount;
        CheckTeacherCount(teachers.Count, tasks, nameof(teachers));
        _environment = environment;
        _accelerator = accelerator;
        Options = options;
        var n = environment.EnvironmentCount;
        var batch = options.BatchSize;
        var rows = Math.Max(batch, n);
        Parameters = new ParameterStore(layout);
        Parameters.Initialize(options.Seed);
        _student = createStudent(Parameters, rows);
        QNetworks.CheckFits(_student, environment, "the student");
        _student.UseGemm(options.Gemm, accelerator);
        _actions = _student.ActionCount;

        var forwards = new RowsForward[teachers.Count];
        var maxBatches = new int[teachers.Count];
        for (var t = 0; t < teachers.Count; t++)
        {
            var teacher = teachers[t] ?? throw new ArgumentException($"teacher {t} is null", nameof(teachers));
            QNetworks.CheckFits(teacher, environment, $"teacher {t}");
            forwards[t] = teacher.Forward;
            maxBatches[t] = teacher.MaxBatch;
        }
        var goalWidth = (environment as IGoalVectorEnvironment)?.GoalSize ?? 0;
        _teachers = new TeacherRouter(forwards, maxBatches, _actions, environment.ObservationSize, goalWidth, rows);
        TeacherPolicy = new RoutedGreedyPolicy(_teachers, rows);

        if (features is not null)
        {
            CheckTeacherCount(features.Teachers.Count, tasks, nameof(features));
            _predictor = features.CreatePredictor(Parameters, batch);
            _predictor.UseGemm(options.Gemm, accelerator);
            var width = _predictor.Width;
            var featureForwards = new RowsForward[features.Teachers.Count];
            var featureBatches = new int[features.Teachers.Count];
            for (var t = 0; t < featureForwards.Length; t++)
            {
                var teacher = features.Teachers[t];
                if (teacher.Width != width)
                {
                    throw new ArgumentException($"teacher {t}'s features are {teacher.Width} wide but the student's predictor gives {width}", nameof(features));
                }
                featureForwards[t] = teacher.Forward;
                featureBatches[t] = teacher.MaxBatch;
            }
            _teacherFeatures = new TeacherRouter(featureForwards, featureBatches, width, environment.ObservationSize, goalWidth, batch);
            _expertFeatures = new float[batch * width];
            _featureGradient = new float[batch * width];
        }
        else
        {
            _expertFeatures = [];
            _featureGradient = [];
        }

        _adam = new Adam(Parameters, new AdamOptions(LearningRate: options.LearningRate, MaxGradientNorm: options.GradientClip), accelerator);
        _taskWeights = new float[tasks];
        for (var t = 0; t < tasks; t++) _taskWeights[t] = (float)(options.TaskWeights?[t] ?? 1.0);
        _chosenActions = new int[n];
        _uniforms = new float[2 * n];
        _collectorQ = new float[n * _actions];
        _teacherQ = new float[batch * _actions];
        _gradient = new float[batch * _actions];

        // Last, because it resets the environments.
        _loop = new OffPolicyLoop(environment, options, accelerator);
    }

    /// <summary>The hyperparameters.</summary>
    public DistillationOptions Options { get; }

    /// <summary>The student's parameters (what a checkpoint saves and what <see cref="Act"/> uses).</summary>
    public ParameterStore Parameters { get; }

    /// <summary>The teachers' greedy policy (each row by its task's teacher): what the student is measured against.</summary>
    public IDiscreteGreedyPolicy TeacherPolicy { get; }

    /// <summary>The replay buffer.</summary>
    public ReplayBuffer Replay => _loop.Replay;

    /// <summary>The student's optimizer.</summary>
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

    /// <summary>The last update's loss: the method's loss plus the weighted feature loss (NaN before the first).</summary>
    public double LastLoss { get; private set; } = double.NaN;

    /// <summary>The last update's weighted feature-regression loss (NaN before the first or without features).</summary>
    public double LastFeatureLoss { get; private set; } = double.NaN;

    /// <summary>The exploration rate the next step acts with.</summary>
    public double Epsilon => Transitions < Options.Warmup ? 1.0 : Options.EpsilonAt(Transitions);

    /// <summary>Finished episodes: returns, lengths, termination rate.</summary>
    public EpisodeStatistics Episodes => _loop.Episodes;

    /// <summary>Finished episodes of each task.</summary>
    public ReadOnlySpan<EpisodeStatistics> TaskEpisodes => _loop.TaskEpisodes;

    /// <summary>The batch of the last update (tests read it).</summary>
    internal ReplayBatch LastBatch => _loop.Batch;

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

    /// <summary>One vector step: the collector acts ε-greedily, the transitions are stored, and the updates that fall due are made.</summary>
    public void Step()
    {
        using (TrainingProfile.Measure(Profile, TrainingPhase.Act))
        {
            _loop.BeginStep();
            ChooseActions(_environment.EnvironmentCount);
        }
        var updates = _loop.EndStep(_chosenActions);
        for (var update = 0L; update < updates; update++) Update();
    }

    /// <summary>
    /// The student's parameters, Adam's moments (<c>adam</c>), the counters (<c>transitions</c>,
    /// <c>updates</c>, …) and the loop's state. Neither the teachers nor the replay buffer are part
    /// of it (save the buffer with <see cref="ReplayBuffer.Save"/>).
    /// </summary>
    public Checkpoint CreateCheckpoint()
    {
        var checkpoint = Checkpoint.Of(Parameters).With(_adam).With("transitions", Transitions).With("updates", Updates)
            .With("skipped_updates", SkippedUpdates).With("last_loss", BitConverter.DoubleToInt64Bits(LastLoss))
            .With("last_feature_loss", BitConverter.DoubleToInt64Bits(LastFeatureLoss));
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
        LastFeatureLoss = BitConverter.Int64BitsToDouble(checkpoint.Counter("last_feature_loss"));
    }

    /// <inheritdoc />
    public void Restore(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        checkpoint.RestoreTo(Parameters);
        checkpoint.RestoreTo(_adam);
    }

    /// <inheritdoc />
    /// <remarks>The student and its feature predictor; never a teacher.</remarks>
    public IEnumerable<TNetwork> NetworksOf<TNetwork>() where TNetwork : class
    {
        if (_student is TNetwork student) yield return student;
        if (_predictor is TNetwork predictor) yield return predictor;
    }

    /// <inheritdoc />
    public void Reinitialize(IReadOnlyList<ParameterSlice> slices, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(slices);
        Parameters.Reinitialize(slices, seed);
        _adam.ResetMoments(slices);
    }

    /// <inheritdoc />
    public int MaxRows => _student.MaxBatch;

    /// <summary>The student's greedy actions (argmax of its outputs) for the given rows (evaluation).</summary>
    public void Act(in NetworkInputs inputs, Span<int> actions)
    {
        var outputs = _student.Forward(inputs);
        for (var i = 0; i < inputs.Count; i++) actions[i] = TemporalDifference.ArgMax(outputs.Slice(i * _actions, _actions));
    }

    private void ChooseActions(int n)
    {
        PhiloxFill.Uniform(_uniforms, Options.Seed, ExplorationStream, (ulong)_loop.VectorSteps * PhiloxFill.CountersForFloats(_uniforms.Length), _accelerator);
        var epsilon = Epsilon;
        ReadOnlySpan<float> values = default;
        if (epsilon < 1.0)
        {
            if (Options.Collector == DistillationCollector.Student)
            {
                values = _student.Forward(_loop.CurrentInputs);
            }
            else
            {
                _teachers.Forward(_loop.CurrentInputs, _collectorQ);
                values = _collectorQ;
            }
        }
        for (var i = 0; i < n; i++)
        {
            _chosenActions[i] = _uniforms[2 * i] < epsilon
                ? Math.Min((int)(_uniforms[2 * i + 1] * _actions), _actions - 1)
                : TemporalDifference.ArgMax(values.Slice(i * _actions, _actions));
        }
    }

    private void Update()
    {
        _loop.Sample();
        var batch = _loop.Batch;
        var size = batch.Size;
        var inputs = _loop.BatchInputs(next: false);
        var teacherQ = _teacherQ.AsSpan(0, size * _actions);
        using (TrainingProfile.Measure(Profile, TrainingPhase.ForwardTarget)) _teachers.Forward(inputs, teacherQ);
        ReadOnlySpan<float> student;
        using (TrainingProfile.Measure(Profile, TrainingPhase.ForwardOnline)) student = _student.Forward(inputs);
        var gradient = _gradient.AsSpan(0, size * _actions);
        var loss = Options.Method switch
        {
            DistillationMethod.Kl => DistillationLoss.KlTemperature(student, teacherQ, gradient, size, _actions, Options.Temperature),
            DistillationMethod.Nll => DistillationLoss.NllTeacherArgmax(student, teacherQ, gradient, size, _actions),
            DistillationMethod.Mse => DistillationLoss.MseQ(student, teacherQ, gradient, size, _actions),
            _ => DistillationLoss.PolicyRegression(student, teacherQ, gradient, size, _actions, Options.Temperature),
        };
        WeighRows(gradient, batch.TaskIds, _actions);

        var featureLoss = double.NaN;
        var regressFeatures = _predictor is not null && Options.FeatureWeight > 0f;
        if (regressFeatures)
        {
            var width = _predictor!.Width;
            var expert = _expertFeatures.AsSpan(0, size * width);
            _teacherFeatures!.Forward(inputs, expert);
            var predicted = _predictor.Forward(inputs);
            var featureGradient = _featureGradient.AsSpan(0, size * width);
            featureLoss = DistillationLoss.FeatureRegression(predicted.Slice(0, size * width), expert, featureGradient, size, width, scale: 2f * Options.FeatureWeight);
            WeighRows(featureGradient, batch.TaskIds, width);
            loss += featureLoss;
        }
        LastLoss = loss;
        LastFeatureLoss = featureLoss;
        if (!double.IsFinite(loss))
        {
            // A teacher or the student produced NaN or ±∞ (replay holds only finite data): no step, counted.
            SkippedUpdates++;
            Updates++;
            return;
        }

        using (TrainingProfile.Measure(Profile, TrainingPhase.Backward))
        {
            Parameters.ZeroGradients();
            _student.Backward(gradient);
            if (regressFeatures) _predictor!.Backward(_featureGradient.AsSpan(0, size * _predictor.Width));
        }
        BeforeOptimizerStep?.Invoke();
        using (TrainingProfile.Measure(Profile, TrainingPhase.Optimizer))
        {
            if (!_adam.Step()) SkippedUpdates++;
        }
        Updates++;
    }

    /// <summary>Multiplies each row of <paramref name="gradient"/> by its task's weight (nothing to do without task weights).</summary>
    private void WeighRows(Span<float> gradient, ReadOnlySpan<int> tasks, int width)
    {
        if (Options.TaskWeights is null) return;
        var rows = gradient.Length / width;
        for (var i = 0; i < rows; i++)
        {
            var weight = _taskWeights[tasks[i]];
            foreach (ref var g in gradient.Slice(i * width, width)) g *= weight;
        }
    }

    private static void CheckTeacherCount(int count, int tasks, string parameter)
    {
        if (count != 1 && count != tasks)
        {
            throw new ArgumentException($"{count} teachers for {tasks} task(s): give one teacher per task (teacher t answers for task t) or one for all tasks", parameter);
        }
    }

    /// <summary>Greedy actions of the routed teachers.</summary>
    private sealed class RoutedGreedyPolicy : IDiscreteGreedyPolicy
    {
        private readonly TeacherRouter _router;
        private readonly float[] _q;

        public RoutedGreedyPolicy(TeacherRouter router, int rows)
        {
            _router = router;
            MaxRows = rows;
            _q = new float[rows * router.Width];
        }

        public int MaxRows { get; }

        public void Act(in NetworkInputs inputs, Span<int> actions)
        {
            if (inputs.Count > MaxRows) throw new ArgumentOutOfRangeException(nameof(inputs), inputs.Count, $"at most {MaxRows} rows per call");
            var width = _router.Width;
            var q = _q.AsSpan(0, inputs.Count * width);
            _router.Forward(inputs, q);
            for (var i = 0; i < inputs.Count; i++) actions[i] = TemporalDifference.ArgMax(q.Slice(i * width, width));
        }
    }
}
