using System;
using System.Collections.Generic;
using System.Diagnostics;
using Mtrl.Runs;
using Mtrl.Runs.Metrics;
using Mtrl.Runs.TensorBoard;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Evaluation;
using Mtrl.Runtime.Transfer;

namespace Mtrl.Cli;

/// <summary>
/// What <c>mtrl train</c> leaves in a run directory while it trains: training log points and
/// greedy evaluations as JSON Lines, CSV and TensorBoard events, and checkpoints on schedule.
/// It decides nothing about training; the command asks it when to stop next and reports there.
/// </summary>
internal sealed class RunRecorder : IDisposable
{
    private readonly IMetricsWriter[] _writers;
    private readonly PolicyEvaluator? _evaluator;
    private readonly SuccessSignal _trainingSignal;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastLogTransitions;
    private TimeSpan _lastLogTime;
    private long _previous;
    private long _loggedAt = -1;
    private long _evaluatedAt = -1;
    private long _checkpointedAt = -1;
    private readonly long _resumedAt;
    private int _recordedStages;
    private int _recordedCurve;

    /// <param name="run">The run directory written to.</param>
    /// <param name="schedule">When to log, evaluate and checkpoint.</param>
    /// <param name="evaluationEnvironment">Environments of the evaluations' own (null for a sequential schedule, which evaluates in its own).</param>
    /// <param name="evaluationSeed">Seed every evaluation starts from.</param>
    /// <param name="trainingSignal">What success is in the training environment.</param>
    /// <param name="resumedAt">Transitions of the checkpoint a resumed run continues from: everything due there was done.</param>
    /// <param name="evaluatedTasks">The tasks evaluations cover (<c>--task</c> on a multi-task agent), or null for all.</param>
    public RunRecorder(RunDirectory run, RunSchedule schedule, IVectorEnvironment? evaluationEnvironment, ulong evaluationSeed, SuccessSignal trainingSignal, long resumedAt = 0, IReadOnlyList<int>? evaluatedTasks = null)
    {
        _previous = _resumedAt = resumedAt;
        if (resumedAt > 0) _loggedAt = _evaluatedAt = _checkpointedAt = resumedAt;
        _lastLogTransitions = resumedAt;
        Run = run;
        Schedule = schedule;
        _trainingSignal = trainingSignal;
        _evaluator = evaluationEnvironment is null ? null : new PolicyEvaluator(evaluationEnvironment, new EvaluationOptions { EpisodesPerTask = schedule.EvalEpisodes, Seed = evaluationSeed, Tasks = evaluatedTasks });
        _writers = new IMetricsWriter[]
        {
            new JsonLinesMetricsWriter(run.MetricsFile),
            new CsvMetricsWriter(run.CsvFile),
            new TensorBoardWriter(run.TensorBoardDirectory),
        };
    }

    public RunDirectory Run { get; }

    public RunSchedule Schedule { get; }

    /// <summary>The last evaluation (null before the first).</summary>
    public EvaluationResult? LastEvaluation { get; private set; }

    /// <summary>Wall-clock time since the recorder started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>The next transition count at which something is due after <paramref name="transitions"/>, capped at the run's end.</summary>
    public long NextStop(long transitions)
    {
        var next = Schedule.Steps;
        foreach (var every in new[] { Schedule.LogEvery, Schedule.EvalEvery, Schedule.CheckpointEvery })
        {
            if (every > 0) next = Math.Min(next, NextMultiple(transitions, every, Schedule.Steps));
        }
        return next;
    }

    /// <summary>The next multiple of <paramref name="every"/> after <paramref name="transitions"/>, capped at <paramref name="total"/> without overflowing.</summary>
    internal static long NextMultiple(long transitions, long every, long total)
    {
        var remaining = every - transitions % every;
        return remaining > total - transitions ? total : transitions + remaining;
    }

    /// <summary>
    /// Writes whatever fell due at the trainer's current transitions, and everything when
    /// <paramref name="final"/>: the training log point, an evaluation of every task (a joint
    /// schedule), or a sequential schedule's evaluations in the order made (<c>Stages</c>, empty otherwise).
    /// </summary>
    public (IReadOnlyList<MetricRecord>? Logged, EvaluationResult? Evaluated, IReadOnlyList<StageEvaluation> Stages) Report(ITrainer trainer, bool final)
    {
        var transitions = trainer.Transitions;
        IReadOnlyList<MetricRecord>? logged = null;
        if (Due(final, transitions, Schedule.LogEvery, ref _loggedAt))
        {
            var elapsed = _clock.Elapsed;
            var rate = (transitions - _lastLogTransitions) / Math.Max((elapsed - _lastLogTime).TotalSeconds, 1e-9);
            _lastLogTransitions = transitions;
            _lastLogTime = elapsed;
            logged = MetricRecords.FromTraining(trainer, _trainingSignal, elapsed.TotalSeconds, rate);
            Write(logged);
        }
        EvaluationResult? evaluated = null;
        IReadOnlyList<StageEvaluation> stages = Array.Empty<StageEvaluation>();
        if (trainer is SequentialTrainer sequential)
        {
            // A sequential schedule evaluates on its own clock: its stage task during each stage, every task when a stage ends.
            stages = RecordStages(sequential);
        }
        else if (Due(final, transitions, Schedule.EvalEvery, ref _evaluatedAt))
        {
            evaluated = LastEvaluation = (_evaluator ?? throw new InvalidOperationException("the recorder has no evaluation environments")).EvaluateTrainer(trainer);
            Write(MetricRecords.FromEvaluation(evaluated, _clock.Elapsed.TotalSeconds));
        }
        if (Due(final, transitions, Schedule.CheckpointEvery, ref _checkpointedAt))
        {
            Run.SaveCheckpoint(trainer.CreateCheckpoint(), transitions, Schedule.KeepCheckpoints, ReplayOf(trainer));
        }
        _previous = transitions;
        return (logged, evaluated, stages);
    }

    /// <summary>
    /// Writes the sequential schedule's evaluations made since the last report: each stage task's
    /// learning-curve points as one-task evaluations and each finished stage's evaluation of every
    /// task (nothing at or before a resumed run's checkpoint, which the metrics already hold); returns
    /// them in that order, each with the stage it belongs to.
    /// </summary>
    private List<StageEvaluation> RecordStages(SequentialTrainer sequential)
    {
        var recorded = new List<StageEvaluation>();
        var elapsed = _clock.Elapsed.TotalSeconds;
        var budget = sequential.StageBudget;
        void Record(StageEvaluation evaluation)
        {
            if (evaluation.Result.Transitions <= _resumedAt) return;
            Write(MetricRecords.FromEvaluation(evaluation.Result, elapsed));
            recorded.Add(evaluation);
        }
        void RecordCurve(int stage, IReadOnlyList<StageCurvePoint> curve, int count, long stageStart)
        {
            for (; _recordedCurve < count; _recordedCurve++)
            {
                var point = curve[_recordedCurve];
                var result = new EvaluationResult(stageStart + point.StageTransitions, _trainingSignal, new[] { point.Evaluation });
                Record(new StageEvaluation(stage, point.StageTransitions, budget, result, null));
            }
        }
        for (; _recordedStages < sequential.Results.Count; _recordedStages++)
        {
            var stage = sequential.Results[_recordedStages];
            var stageStart = stage.Transitions - stage.Curve[^1].StageTransitions;
            // The curve's last point is the stage's end, which the evaluation of every task covers.
            RecordCurve(stage.Stage, stage.Curve, stage.Curve.Count - 1, stageStart);
            _recordedCurve = 0;
            Record(new StageEvaluation(stage.Stage, stage.Curve[^1].StageTransitions, budget, stage.Evaluation, stage));
            if (stage.Transitions > _resumedAt) LastEvaluation = stage.Evaluation;
        }
        if (!sequential.IsFinished) RecordCurve(sequential.Stage, sequential.CurrentCurve, sequential.CurrentCurve.Count, sequential.Transitions - sequential.StageTransitions);
        return recorded;
    }

    /// <summary>A checkpoint now (a run being stopped), unless one was just written at this point.</summary>
    public void CheckpointNow(ITrainer trainer)
    {
        var transitions = trainer.Transitions;
        if (_checkpointedAt == transitions) return;
        _checkpointedAt = transitions;
        Run.SaveCheckpoint(trainer.CreateCheckpoint(), transitions, Schedule.KeepCheckpoints, ReplayOf(trainer));
    }

    /// <summary>The replay saved beside a checkpoint: none for a trainer whose replay lives on a device (such a run is not resumed).</summary>
    private static Runtime.Replay.ReplayBuffer? ReplayOf(ITrainer trainer) => trainer is Devices.IDeviceResidentTrainer ? null : trainer.Replay;

    /// <summary>
    /// True when a multiple of <paramref name="every"/> lies in (previous report, transitions], or at
    /// the end — but never twice for one transition count (a stop right after a log point).
    /// </summary>
    private bool Due(bool final, long transitions, long every, ref long doneAt)
    {
        var due = (final || (every > 0 && transitions / every > _previous / every)) && doneAt != transitions;
        if (due) doneAt = transitions;
        return due;
    }

    private void Write(IReadOnlyList<MetricRecord> records)
    {
        foreach (var writer in _writers) writer.Write(records);
    }

    public void Dispose()
    {
        foreach (var writer in _writers) writer.Dispose();
    }
}
