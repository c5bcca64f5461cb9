using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Mtrl.Contracts;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Evaluation;
using Mtrl.Runtime.Profiling;
using Mtrl.Runtime.Replay;

namespace Mtrl.Runtime.Transfer;

/// <summary>
/// Trains an agent's tasks one after another (a sequential schedule): stage k trains task k
/// alone, in environments that all run it, for <see cref="SequentialOptions.StepsPerTask"/>
/// transitions with a fresh trainer (fresh replay, exploration schedule and counters) that
/// starts from the learned state the previous stage ended with. Between stages the
/// architecture's own transfer step runs:
/// <list type="bullet">
/// <item><b>Progressive columns</b> (Rusu et al. 2016): stage k activates column k; when it ends
/// the column and its readout are frozen, so parameters and optimizer moments of earlier
/// columns stay bit-identical while later columns learn through their laterals.</item>
/// <item><b>PathNet</b> (Fernando et al. 2017): during stage k a population of pathways competes
/// in tournaments (<see cref="PathwayEvolution"/>), each contestant training the shared grid for
/// <see cref="PathNetEvolutionOptions.StepsPerEvaluation"/> transitions; when the stage ends the
/// best pathway becomes task k's, is frozen with its readout, and every module no frozen pathway
/// uses is re-initialised (with its optimizer moments).</item>
/// <item><b>Neither</b>: the next task fine-tunes the same network, which may forget.</item>
/// </list>
/// When a stage ends every task the network can run is evaluated, so forward and backward
/// transfer can be read off <see cref="Results"/>. The whole schedule is one
/// <see cref="ITrainer"/>: it checkpoints and resumes mid-stage bit-identically.
/// </summary>
public sealed class SequentialTrainer : ITrainer, IDiscreteGreedyPolicy, IContinuousGreedyPolicy
{
    private const string Prefix = "sequential.";
    private const string TournamentStartPrefix = Prefix + "tournament_start.";
    private const string LeaderPrefix = Prefix + "leader.";
    private const ulong ReinitializeStream = 0x5245_494E_4954; // "REINIT"
    private const ulong EvolutionStream = 0x5041_5448_4E45; // "PATHNE"

    private readonly Func<int, IVectorEnvironment> _createEnvironment;
    private readonly Func<int, IVectorEnvironment, ITrainer> _createTrainer;
    private readonly IVectorEnvironment?[] _evaluationEnvironments;
    private readonly EpisodeStatistics[] _taskEpisodes;
    private readonly List<StageResult> _results = new();
    private readonly List<StageCurvePoint> _curve = new();

    // Finished tasks' PathNet pathways: [task][layer] → modules.
    private readonly int[][][] _pathways;

    private IVectorEnvironment _environment;
    private ITrainer _trainer;
    private PathwayEvolution? _evolution;
    private TrainingProfile? _profile;
    private long _completedTransitions;
    private long _completedUpdates;
    private long _completedSkippedUpdates;
    private long _completedNonFinite;
    private long _completedSkippedTransitions;
    private long _nextEvaluation;

    // The running PathNet contestant's fitness window.
    private long _windowSteps;
    private double _windowReward;
    private long _windowEpisodes;
    private long _windowFinished;
    private long _windowSuccesses;

    // LoserUpdates.Discard: the learned state the running tournament started from (the last
    // winner's), and the best contestant's so far with its fitness.
    private Checkpoint? _tournamentStart;
    private Checkpoint? _leader;
    private double _leaderFitness;

    /// <summary>Builds stage 0: its environments, its trainer and, for PathNet, its population.</summary>
    /// <param name="createEnvironment">Environments that all run task k (training and evaluation each call it); every call's TaskCount must be the same.</param>
    /// <param name="createTrainer">A fresh trainer for stage k on the given environments (options, seed and accelerator are the caller's).</param>
    /// <param name="options">Budget per task, PathNet settings, evaluation.</param>
    /// <exception cref="ArgumentException">An environment's task count differs, or a network's task count differs from it.</exception>
    public SequentialTrainer(Func<int, IVectorEnvironment> createEnvironment, Func<int, IVectorEnvironment, ITrainer> createTrainer, SequentialOptions options)
    {
        ArgumentNullException.ThrowIfNull(createEnvironment);
        ArgumentNullException.ThrowIfNull(createTrainer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _createEnvironment = createEnvironment;
        _createTrainer = createTrainer;
        Options = options;
        _environment = createEnvironment(0) ?? throw new ArgumentException("createEnvironment returned null for task 0", nameof(createEnvironment));
        Tasks = _environment.TaskCount;
        _evaluationEnvironments = new IVectorEnvironment?[Tasks];
        _taskEpisodes = new EpisodeStatistics[Tasks];
        for (var t = 0; t < Tasks; t++) _taskEpisodes[t] = new EpisodeStatistics(OffPolicyLoop.TaskWindow);
        _pathways = new int[Tasks][][];
        _trainer = BuildStage(0, _environment, previous: null);
        StartCurve();
    }

    /// <summary>The settings.</summary>
    public SequentialOptions Options { get; }

    /// <summary>Tasks, trained in order 0 .. Tasks − 1.</summary>
    public int Tasks { get; }

    /// <summary>The stage running now, which is also the task it trains (the last stage once <see cref="IsFinished"/>).</summary>
    public int Stage { get; private set; }

    /// <summary>True once the last stage has ended and been evaluated.</summary>
    public bool IsFinished { get; private set; }

    /// <summary>The current stage's trainer.</summary>
    public ITrainer StageTrainer => _trainer;

    /// <summary>The current stage's PathNet population (null without a PathNet grid).</summary>
    public PathwayEvolution? Evolution => _evolution;

    /// <summary>Every finished stage, in order.</summary>
    public IReadOnlyList<StageResult> Results => _results;

    /// <summary>The current stage task's learning curve so far.</summary>
    public IReadOnlyList<StageCurvePoint> CurrentCurve => _curve;

    /// <summary>Transitions the current stage has made.</summary>
    public long StageTransitions => _trainer.Transitions;

    /// <inheritdoc />
    public long Transitions => _completedTransitions + _trainer.Transitions;

    /// <inheritdoc />
    public long TargetTransitions => Tasks * StageBudget;

    /// <inheritdoc />
    public long Updates => _completedUpdates + _trainer.Updates;

    /// <inheritdoc />
    public double LastLoss => _trainer.LastLoss;

    /// <inheritdoc />
    public long SkippedUpdates => _completedSkippedUpdates + _trainer.SkippedUpdates;

    /// <inheritdoc />
    public long NonFiniteTransitions => _completedNonFinite + _trainer.NonFiniteTransitions;

    /// <inheritdoc />
    public long SkippedTransitions => _completedSkippedTransitions + _trainer.SkippedTransitions;

    /// <inheritdoc />
    public NonFiniteValue? LastNonFinite => _trainer.LastNonFinite;

    /// <summary>The current stage's finished episodes.</summary>
    public EpisodeStatistics Episodes => _trainer.Episodes;

    /// <summary>Each task's finished episodes from the stage that trained it (empty before its stage).</summary>
    public ReadOnlySpan<EpisodeStatistics> TaskEpisodes => _taskEpisodes;

    /// <inheritdoc />
    public ReplayBuffer Replay => _trainer.Replay;

    /// <summary>Transitions of one stage: the budget rounded up to whole vector steps.</summary>
    public long StageBudget
    {
        get
        {
            var n = _environment.EnvironmentCount;
            return (Options.StepsPerTask + n - 1) / n * n;
        }
    }

    /// <summary>Tasks the network can run now: those with an active column for progressive networks, every task otherwise.</summary>
    public int EvaluableTasks => _trainer.NetworksOf<IProgressiveNetwork>().Select(p => p.ActiveColumns).DefaultIfEmpty(Tasks).Min();

    /// <inheritdoc />
    public void Train(long? transitions = null, CancellationToken cancellation = default)
    {
        var goal = transitions ?? TargetTransitions;
        while (!IsFinished && Transitions < goal && !cancellation.IsCancellationRequested) Step();
    }

    /// <inheritdoc />
    /// <remarks>Every stage's trainer records into it (evaluations between stages are not timed).</remarks>
    public TrainingProfile? Profile
    {
        get => _profile;
        set
        {
            _profile = value;
            _trainer.Profile = value;
        }
    }

    /// <summary>One vector step of the current stage; ends the stage (transfer step, evaluation, next stage) when its budget is spent.</summary>
    public void Step()
    {
        if (IsFinished) return;
        _trainer.Step();
        if (_evolution is not null) ObserveContestant();
        var stageTransitions = _trainer.Transitions;
        if (Options.EvaluateEvery > 0 && stageTransitions >= _nextEvaluation && stageTransitions < StageBudget)
        {
            _curve.Add(new StageCurvePoint(stageTransitions, EvaluateStageTask()));
            _nextEvaluation += Options.EvaluateEvery;
        }
        if (stageTransitions >= StageBudget) EndStage();
    }

    /// <summary>Every evaluable task's greedy return and success now (ordered by task id).</summary>
    public EvaluationResult EvaluateTasks()
    {
        var tasks = new List<TaskEvaluation>();
        for (var task = 0; task < EvaluableTasks; task++) tasks.Add(EvaluateTask(task));
        return new EvaluationResult(Transitions, _environment.SuccessSignal, tasks);
    }

    /// <summary>Task <paramref name="task"/>'s greedy evaluation now, on environments that all run it.</summary>
    public TaskEvaluation EvaluateTask(int task)
    {
        if ((uint)task >= (uint)EvaluableTasks) throw new ArgumentOutOfRangeException(nameof(task), task, $"task must be in [0, {EvaluableTasks}) (the tasks the network can run now)");
        var environment = _evaluationEnvironments[task] ??= CreateEnvironment(task);
        var evaluator = new PolicyEvaluator(environment, Options.Evaluation with { Tasks = new[] { task } });
        return evaluator.EvaluateTrainer(_trainer).Tasks[0];
    }

    /// <summary>
    /// The stage task's learning-curve point: with PathNet, the best pathway so far is evaluated (the
    /// one a stage ending now would keep), not the contestant that happens to be training.
    /// </summary>
    private TaskEvaluation EvaluateStageTask()
    {
        if (_evolution is null) return EvaluateTask(Stage);
        var now = DiscardsLosers ? _trainer.CreateCheckpoint() : null;
        KeepPathway();
        var evaluation = EvaluateTask(Stage);
        if (now is not null) _trainer.Restore(now);
        UseGenotype(_evolution.Current);
        return evaluation;
    }

    /// <summary>True when a losing contestant's parameter updates are undone (<see cref="LoserUpdates.Discard"/>).</summary>
    private bool DiscardsLosers => _evolution?.Options.LoserUpdates == LoserUpdates.Discard;

    /// <summary>
    /// Puts the pathway a stage ending now would keep on every grid copy, with its learned state:
    /// the best recorded fitness (the paper), or, when losers' updates are undone, the last
    /// tournament's winner with the parameters its tournament left (a running tournament's
    /// training so far is set aside). Returns the genotype.
    /// </summary>
    private int KeepPathway()
    {
        var evolution = _evolution!;
        if (!DiscardsLosers)
        {
            UseGenotype(evolution.Best);
            return evolution.Best;
        }
        _trainer.Restore(_tournamentStart!);
        UseGenotype(evolution.LastWinner);
        return evolution.LastWinner;
    }

    private void EndStage()
    {
        var stage = Stage;
        var progressive = _trainer.NetworksOf<IProgressiveNetwork>().ToList();
        foreach (var network in progressive) network.FreezeColumn(stage);
        var grids = _trainer.NetworksOf<IPathNetNetwork>().ToList();
        if (grids.Count > 0)
        {
            var kept = KeepPathway();
            _pathways[stage] = Pathway(_evolution!, kept);
            foreach (var grid in grids)
            {
                SetPathway(grid, stage, _pathways[stage]);
                grid.FreezePathway(stage);
            }
            // Every module no frozen pathway uses starts over, online and target copies alike.
            // Every grid's free modules (an actor's and a critic's alike), each slice once.
            var free = grids.SelectMany(g => g.UnfrozenModuleSlices()).DistinctBy(slice => slice.Index).ToList();
            _trainer.Reinitialize(free, Mix(Options.Seed, ReinitializeStream, (ulong)stage));
        }

        var curve = _curve.ToList();
        var final = EvaluateTasks();
        curve.Add(new StageCurvePoint(_trainer.Transitions, final.Tasks[stage]));
        _results.Add(new StageResult(stage, Transitions, final, curve));
        _curve.Clear();

        if (stage + 1 == Tasks)
        {
            IsFinished = true;
            return;
        }
        var learned = _trainer.CreateCheckpoint();
        _completedTransitions += _trainer.Transitions;
        _completedUpdates += _trainer.Updates;
        _completedSkippedUpdates += _trainer.SkippedUpdates;
        _completedNonFinite += _trainer.NonFiniteTransitions;
        _completedSkippedTransitions += _trainer.SkippedTransitions;
        Stage = stage + 1;
        _environment = CreateEnvironment(Stage);
        _trainer = BuildStage(Stage, _environment, learned);
        StartCurve();
    }

    /// <summary>
    /// The stage task's curve starts with its evaluation before any training in the stage, so the
    /// area under it covers the whole stage (and a fresh network's value is known).
    /// </summary>
    private void StartCurve()
    {
        if (Options.EvaluateEvery > 0) _curve.Add(new StageCurvePoint(0, EvaluateStageTask()));
    }

    /// <summary>A fresh trainer for <paramref name="stage"/> with the structure earlier stages left (active and frozen columns, frozen pathways), then their learned state.</summary>
    private ITrainer BuildStage(int stage, IVectorEnvironment environment, Checkpoint? previous)
    {
        var trainer = _createTrainer(stage, environment) ?? throw new InvalidOperationException($"createTrainer returned null for stage {stage}");
        foreach (var network in trainer.NetworksOf<IProgressiveNetwork>())
        {
            if (network.Columns != Tasks) throw new ArgumentException($"the network has {network.Columns} progressive columns but the environments run {Tasks} tasks; a sequential schedule needs one column per task");
            while (network.ActiveColumns <= stage) network.AddColumn();
            for (var column = 0; column < stage; column++) network.FreezeColumn(column);
        }
        var grids = trainer.NetworksOf<IPathNetNetwork>().ToList();
        foreach (var grid in grids)
        {
            if (grid.Tasks != Tasks) throw new ArgumentException($"the PathNet network has {grid.Tasks} task pathways but the environments run {Tasks} tasks");
            for (var task = 0; task < stage; task++)
            {
                if (_pathways[task] is null) throw new CheckpointException($"the schedule is in stage {stage} but holds no pathway for finished task {task}");
                SetPathway(grid, task, _pathways[task]);
                grid.FreezePathway(task);
            }
        }
        if (grids.Any(g => (g.PathLayers, g.PathModules, g.PathActive) != (grids[0].PathLayers, grids[0].PathModules, grids[0].PathActive)))
        {
            throw new ArgumentException("the agent's PathNet grids differ in layers, modules or active modules; one population of pathways drives them all, so they must have the same shape");
        }
        _evolution = grids.Count == 0 ? null : new PathwayEvolution(
            grids[0].PathLayers, grids[0].PathModules, grids[0].PathActive,
            Options.Evolution ?? new PathNetEvolutionOptions(), Options.Seed, Mix(Options.Seed, EvolutionStream, (ulong)stage));
        if (previous is not null) trainer.Restore(previous);
        _taskEpisodes[stage] = trainer.TaskEpisodes[stage];
        trainer.Profile = _profile;
        _trainer = trainer;
        StartContestant();
        _nextEvaluation = Options.EvaluateEvery;
        return trainer;
    }

    /// <summary>Puts the running contestant's pathway on every network copy and opens its fitness window.</summary>
    private void StartContestant()
    {
        if (_evolution is null) return;
        UseGenotype(_evolution.Current);
        if (DiscardsLosers && _evolution.Position == 0)
        {
            _tournamentStart = _trainer.CreateCheckpoint();
            _leader = null;
        }
        _windowSteps = 0;
        _windowReward = 0;
        _windowEpisodes = _environment.EnvironmentCount;
        _windowFinished = 0;
        _windowSuccesses = 0;
    }

    /// <summary>
    /// Adds the vector step just taken to the contestant's window; when the window is full, its
    /// fitness goes to the tournament and the next contestant starts. Fitness "return" is the
    /// window's reward per episode it touched (episodes still running at its end count with their
    /// return so far), so long episodes that outlast a window still rank contestants.
    /// </summary>
    private void ObserveContestant()
    {
        var buffers = _environment.Buffers;
        var n = _environment.EnvironmentCount;
        var signal = _environment.SuccessSignal;
        var finished = 0;
        for (var i = 0; i < n; i++)
        {
            _windowReward += buffers.Rewards[i];
            if (!buffers.Finished[i]) continue;
            finished++;
            if (signal.IsSuccess(buffers.Terminated[i])) _windowSuccesses++;
        }
        _windowFinished += finished;
        _windowSteps++;
        var window = (_evolution!.Options.StepsPerEvaluation + n - 1) / n;
        if (_windowSteps < window)
        {
            // Each finished episode was replaced by a new one this window also touches.
            _windowEpisodes += finished;
            return;
        }
        var fitness = _evolution.Options.Fitness == PathwayFitness.Success
            ? (double)_windowSuccesses / Math.Max(_windowFinished, 1)
            : _windowReward / _windowEpisodes;
        if (DiscardsLosers) KeepOrUndo(fitness);
        _evolution.Report(fitness);
        StartContestant();
    }

    /// <summary>
    /// <see cref="LoserUpdates.Discard"/> at the end of a contestant's window: the next contestant
    /// starts from the tournament's starting state; after the last one, the state the best
    /// contestant trained to (ties: the earliest, as the tournament decides) is put back.
    /// </summary>
    private void KeepOrUndo(double fitness)
    {
        var evolution = _evolution!;
        var last = evolution.Position == evolution.Contestants.Length - 1;
        var leads = evolution.Position == 0 || fitness > _leaderFitness || (double.IsNaN(_leaderFitness) && !double.IsNaN(fitness));
        if (leads)
        {
            _leaderFitness = fitness;
            _leader = last ? null : _trainer.CreateCheckpoint();
        }
        if (!last) _trainer.Restore(_tournamentStart!);
        else if (!leads) _trainer.Restore(_leader!);
    }

    /// <summary>Puts genotype <paramref name="index"/> of the population on every grid copy as the stage task's pathway.</summary>
    private void UseGenotype(int index)
    {
        var pathway = Pathway(_evolution!, index);
        foreach (var grid in _trainer.NetworksOf<IPathNetNetwork>()) SetPathway(grid, Stage, pathway);
    }

    private static int[][] Pathway(PathwayEvolution evolution, int index)
    {
        Span<int> modules = stackalloc int[evolution.Active];
        var pathway = new int[evolution.Layers][];
        for (var layer = 0; layer < evolution.Layers; layer++)
        {
            var count = evolution.LayerModules(index, layer, modules);
            pathway[layer] = modules[..count].ToArray();
        }
        return pathway;
    }

    private static void SetPathway(IPathNetNetwork grid, int task, int[][] pathway)
    {
        for (var layer = 0; layer < pathway.Length; layer++) grid.SetPathway(task, layer, pathway[layer]);
    }

    private IVectorEnvironment CreateEnvironment(int task)
    {
        var environment = _createEnvironment(task) ?? throw new InvalidOperationException($"createEnvironment returned null for task {task}");
        if (environment.TaskCount != Tasks)
        {
            throw new ArgumentException($"createEnvironment({task}) made environments with {environment.TaskCount} tasks, but task 0's had {Tasks}; every stage's environments must run the same task set");
        }
        return environment;
    }

    /// <summary>
    /// The seed of stage <paramref name="stage"/>'s trainer: <paramref name="seed"/> itself for
    /// stage 0 (so a task's from-scratch run is the first stage of a schedule that starts with it),
    /// a mixed one after, so that stage k of seed s shares no random stream with stage 0 of seed s + k.
    /// </summary>
    public static ulong StageSeed(ulong seed, int stage) =>
        stage == 0 ? seed : Mix(seed, 0x5354_4147_4553, (ulong)stage); // "STAGES"

    /// <summary>A seed for one stage's draws, distinct per purpose and stage.</summary>
    private static ulong Mix(ulong seed, ulong purpose, ulong stage) => seed ^ (purpose * 0x9E37_79B9_7F4A_7C15UL) ^ ((stage + 1) * 0xBF58_476D_1CE4_E5B9UL);

    // ----- checkpoints -----

    /// <summary>
    /// The current stage trainer's checkpoint plus the schedule's state: the stage, the finished
    /// stages' totals and results, finished tasks' pathways, the population and the running
    /// contestant's window, and the current learning curve.
    /// </summary>
    public Checkpoint CreateCheckpoint()
    {
        var checkpoint = _trainer.CreateCheckpoint();
        checkpoint.With(SavedSchedule.StageCounter, Stage).With(SavedSchedule.FinishedCounter, IsFinished ? 1 : 0)
            .With(Prefix + "completed_transitions", _completedTransitions).With(Prefix + "completed_updates", _completedUpdates)
            .With(Prefix + "completed_skipped_updates", _completedSkippedUpdates).With(Prefix + "completed_non_finite", _completedNonFinite)
            .With(Prefix + "completed_skipped_transitions", _completedSkippedTransitions).With(Prefix + "next_evaluation", _nextEvaluation)
            .With(Prefix + "window_steps", _windowSteps).With(Prefix + "window_reward", BitConverter.DoubleToInt64Bits(_windowReward))
            .With(Prefix + "window_episodes", _windowEpisodes).With(Prefix + "window_finished", _windowFinished)
            .With(Prefix + "window_successes", _windowSuccesses);
        checkpoint.Integers[SavedSchedule.PathwaysSection] = StageRecords.EncodePathways(_pathways, Stage);
        checkpoint.Integers[Prefix + "results"] = StageRecords.EncodeResults(_results);
        checkpoint.Integers[Prefix + "curve"] = StageRecords.EncodeCurve(_curve);
        _evolution?.Save(checkpoint, Prefix + "evolution.");
        // Finished tasks' training episodes live in no stage trainer any more.
        for (var task = 0; task < Stage; task++) _taskEpisodes[task].SaveState(checkpoint, $"{Prefix}task{task}.episodes.");
        if (_tournamentStart is not null) checkpoint.Embed(TournamentStartPrefix, _tournamentStart);
        if (_leader is not null)
        {
            checkpoint.Embed(LeaderPrefix, _leader);
            checkpoint.With(Prefix + "leader_fitness", BitConverter.DoubleToInt64Bits(_leaderFitness));
        }
        return checkpoint;
    }

    /// <summary>
    /// Loads a checkpoint's learned state for evaluation or further training: the stage it was
    /// saved in is rebuilt (its columns and frozen pathways), then the stage trainer restores its
    /// learned state (mid-stage with PathNet, the stage task takes the pathway the stage would keep,
    /// with the learned state that goes with it).
    /// Counters and results start from this stage. Nothing changes unless the whole checkpoint fits.
    /// </summary>
    public void Restore(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var saved = SavedSchedule.Read(checkpoint, Tasks);
        var (stage, finished, pathways) = (saved.Stage, saved.Finished, saved.Pathways);
        Transaction(() =>
        {
            Rebuild(stage, pathways, finished);
            _trainer.Restore(checkpoint);
            if (_evolution is not null && !finished)
            {
                _evolution.Restore(checkpoint, Prefix + "evolution.");
                RestoreTournament(checkpoint);
                KeepPathway();
            }
        });
    }

    /// <summary>
    /// Restores the whole schedule's state into a sequential trainer built like the saved one; with
    /// the replay reloaded, training continues bit-identically. Nothing changes unless the whole
    /// checkpoint fits.
    /// </summary>
    public void Resume(Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var saved = SavedSchedule.Read(checkpoint, Tasks);
        var (stage, finished, pathways) = (saved.Stage, saved.Finished, saved.Pathways);
        var results = StageRecords.DecodeResults(checkpoint.RequireIntegers(Prefix + "results"), _environment.SuccessSignal);
        var curve = StageRecords.DecodeCurve(checkpoint.RequireIntegers(Prefix + "curve"));
        if (results.Count != stage + (finished ? 1 : 0))
        {
            throw new CheckpointException($"the checkpoint is in stage {stage} but holds {results.Count} finished stage(s)");
        }
        Transaction(() =>
        {
            Rebuild(stage, pathways, finished);
            _trainer.Resume(checkpoint);
            if (_evolution is not null && !finished)
            {
                _evolution.Restore(checkpoint, Prefix + "evolution.");
                RestoreTournament(checkpoint);
                UseGenotype(_evolution.Current);
            }
            _completedTransitions = checkpoint.Counter(Prefix + "completed_transitions");
            _completedUpdates = checkpoint.Counter(Prefix + "completed_updates");
            _completedSkippedUpdates = checkpoint.Counter(Prefix + "completed_skipped_updates");
            _completedNonFinite = checkpoint.Counter(Prefix + "completed_non_finite");
            _completedSkippedTransitions = checkpoint.Counter(Prefix + "completed_skipped_transitions");
            _nextEvaluation = checkpoint.Counter(Prefix + "next_evaluation");
            _windowSteps = checkpoint.Counter(Prefix + "window_steps");
            _windowReward = BitConverter.Int64BitsToDouble(checkpoint.Counter(Prefix + "window_reward"));
            _windowEpisodes = checkpoint.Counter(Prefix + "window_episodes");
            _windowFinished = checkpoint.Counter(Prefix + "window_finished");
            _windowSuccesses = checkpoint.Counter(Prefix + "window_successes");
            for (var task = 0; task < stage; task++) _taskEpisodes[task].RestoreState(checkpoint, $"{Prefix}task{task}.episodes.");
            _results.AddRange(results);
            _curve.AddRange(curve);
        });
    }

    /// <summary>With <see cref="LoserUpdates.Discard"/>, the running tournament's starting state and its leader so far (after the first contestant).</summary>
    private void RestoreTournament(Checkpoint checkpoint)
    {
        _tournamentStart = _leader = null;
        if (!DiscardsLosers) return;
        if (!checkpoint.Arrays.ContainsKey(TournamentStartPrefix + "parameters"))
        {
            throw new CheckpointException($"the schedule undoes losing contestants' updates but the checkpoint holds no '{TournamentStartPrefix}' state");
        }
        _tournamentStart = checkpoint.Extract(TournamentStartPrefix);
        if (_evolution!.Position == 0) return;
        if (!checkpoint.Arrays.ContainsKey(LeaderPrefix + "parameters"))
        {
            throw new CheckpointException($"the checkpoint is at contestant {_evolution.Position} of a tournament but holds no '{LeaderPrefix}' state");
        }
        _leader = checkpoint.Extract(LeaderPrefix);
        _leaderFitness = BitConverter.Int64BitsToDouble(checkpoint.Counter(Prefix + "leader_fitness"));
    }

    /// <summary>Replaces the stage trainer by a fresh one for <paramref name="stage"/> with the given finished pathways (and, for a finished schedule, the last stage's transfer step without re-initialising).</summary>
    private void Rebuild(int stage, int[][][] pathways, bool finished)
    {
        for (var task = 0; task < Tasks; task++) _pathways[task] = task < stage || (finished && task == stage) ? pathways[task] : null!;
        for (var task = 0; task < Tasks; task++) _taskEpisodes[task] = new EpisodeStatistics(OffPolicyLoop.TaskWindow);
        Stage = stage;
        IsFinished = false;
        _results.Clear();
        _curve.Clear();
        _completedTransitions = _completedUpdates = _completedSkippedUpdates = _completedNonFinite = _completedSkippedTransitions = 0;
        _environment = CreateEnvironment(stage);
        _trainer = BuildStage(stage, _environment, previous: null);
        if (!finished) return;
        foreach (var network in _trainer.NetworksOf<IProgressiveNetwork>()) network.FreezeColumn(stage);
        foreach (var grid in _trainer.NetworksOf<IPathNetNetwork>())
        {
            if (_pathways[stage] is null) throw new CheckpointException($"the schedule finished but holds no pathway for its last task {stage}");
            SetPathway(grid, stage, _pathways[stage]);
            grid.FreezePathway(stage);
        }
        IsFinished = true;
    }

    /// <summary>Runs <paramref name="change"/>; if it throws, every field is put back as it was.</summary>
    private void Transaction(Action change)
    {
        var environment = _environment;
        var trainer = _trainer;
        var evolution = _evolution;
        var stage = Stage;
        var finished = IsFinished;
        var counters = (_completedTransitions, _completedUpdates, _completedSkippedUpdates, _completedNonFinite, _completedSkippedTransitions, _nextEvaluation);
        var window = (_windowSteps, _windowReward, _windowEpisodes, _windowFinished, _windowSuccesses);
        var tournament = (_tournamentStart, _leader, _leaderFitness);
        var pathways = (int[][][])_pathways.Clone();
        var episodes = (EpisodeStatistics[])_taskEpisodes.Clone();
        var results = _results.ToList();
        var curve = _curve.ToList();
        try
        {
            change();
        }
        catch
        {
            (_environment, _trainer, _evolution, Stage, IsFinished) = (environment, trainer, evolution, stage, finished);
            (_completedTransitions, _completedUpdates, _completedSkippedUpdates, _completedNonFinite, _completedSkippedTransitions, _nextEvaluation) = counters;
            (_windowSteps, _windowReward, _windowEpisodes, _windowFinished, _windowSuccesses) = window;
            (_tournamentStart, _leader, _leaderFitness) = tournament;
            pathways.CopyTo(_pathways, 0);
            episodes.CopyTo(_taskEpisodes, 0);
            _results.Clear();
            _results.AddRange(results);
            _curve.Clear();
            _curve.AddRange(curve);
            throw;
        }
    }

    // ----- the current stage's networks and policy -----

    /// <summary>Fine-tuning's start for the whole schedule: stage 0's trainer takes the checkpoint's parameters (see <see cref="ITrainer.InitializeFrom"/>); later stages inherit them as they inherit everything.</summary>
    public FineTuneResult InitializeFrom(Checkpoint checkpoint)
    {
        if (Stage != 0 || Transitions != 0) throw new InvalidOperationException("a sequential schedule starts from a checkpoint's parameters before its first step");
        return _trainer.InitializeFrom(checkpoint);
    }

    /// <inheritdoc />
    public IEnumerable<TNetwork> NetworksOf<TNetwork>() where TNetwork : class => _trainer.NetworksOf<TNetwork>();

    /// <inheritdoc />
    public void Reinitialize(IReadOnlyList<Parameters.ParameterSlice> slices, ulong seed) => _trainer.Reinitialize(slices, seed);

    /// <inheritdoc />
    public int MaxRows => _trainer switch
    {
        IDiscreteGreedyPolicy discrete => discrete.MaxRows,
        IContinuousGreedyPolicy continuous => continuous.MaxRows,
        _ => 0,
    };

    /// <inheritdoc />
    int IContinuousGreedyPolicy.ActionSize => (_trainer as IContinuousGreedyPolicy)?.ActionSize ?? 0;

    /// <summary>The current stage's greedy discrete actions.</summary>
    public void Act(in NetworkInputs inputs, Span<int> actions) =>
        (_trainer as IDiscreteGreedyPolicy ?? throw new InvalidOperationException("the stage trainer has no discrete greedy policy")).Act(inputs, actions);

    /// <summary>The current stage's greedy continuous actions.</summary>
    public void Act(scoped in NetworkInputs inputs, Span<float> actions) =>
        (_trainer as IContinuousGreedyPolicy ?? throw new InvalidOperationException("the stage trainer has no continuous greedy policy")).Act(inputs, actions);
}
