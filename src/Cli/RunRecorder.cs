using System;
using System.Collections.Generic;
using System.Diagnostics;
using Mtrl.Runs;
using Mtrl.Runs.Metrics;
using Mtrl.Runs.TensorBoard;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Evaluation;

namespace Mtrl.Cli;

/// <summary>
/// What <c>mtrl train</c> leaves in a run directory while it trains: training log points and
/// greedy evaluations as JSON Lines, CSV and TensorBoard events, and checkpoints on schedule.
/// It decides nothing about training; the command asks it when to stop next and reports there.
/// </summary>
internal sealed class RunRecorder : IDisposable
{
    private readonly IMetricsWriter[] _writers;
    private readonly PolicyEvaluator _evaluator;
    private readonly SuccessSignal _trainingSignal;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastLogTransitions;
    private TimeSpan _lastLogTime;
    private long _previous;

    public RunRecorder(RunDirectory run, RunSchedule schedule, IVectorEnvironment evaluationEnvironment, ulong evaluationSeed, SuccessSignal trainingSignal)
    {
        Run = run;
        Schedule = schedule;
        _trainingSignal = trainingSignal;
        _evaluator = new PolicyEvaluator(evaluationEnvironment, new EvaluationOptions { EpisodesPerTask = schedule.EvalEpisodes, Seed = evaluationSeed });
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
            if (every > 0) next = Math.Min(next, (transitions / every + 1) * every);
        }
        return next;
    }

    /// <summary>Writes whatever fell due at the trainer's current transitions (and everything at the end or when stopping); returns the training records when a log point was written.</summary>
    public IReadOnlyList<MetricRecord>? Report(ITrainer trainer, bool final)
    {
        var transitions = trainer.Transitions;
        IReadOnlyList<MetricRecord>? logged = null;
        if (final || Crossed(transitions, Schedule.LogEvery))
        {
            var elapsed = _clock.Elapsed;
            var rate = (transitions - _lastLogTransitions) / Math.Max((elapsed - _lastLogTime).TotalSeconds, 1e-9);
            _lastLogTransitions = transitions;
            _lastLogTime = elapsed;
            logged = MetricRecords.FromTraining(trainer, _trainingSignal, elapsed.TotalSeconds, rate);
            Write(logged);
        }
        if (final || Crossed(transitions, Schedule.EvalEvery))
        {
            LastEvaluation = _evaluator.EvaluateTrainer(trainer);
            Write(MetricRecords.FromEvaluation(LastEvaluation, _clock.Elapsed.TotalSeconds));
        }
        if (final || Crossed(transitions, Schedule.CheckpointEvery))
        {
            Run.SaveCheckpoint(trainer.CreateCheckpoint(), transitions, Schedule.KeepCheckpoints);
        }
        _previous = transitions;
        return logged;
    }

    /// <summary>True when a multiple of <paramref name="every"/> lies in (previous report, transitions].</summary>
    private bool Crossed(long transitions, long every) => every > 0 && transitions / every > _previous / every;

    private void Write(IReadOnlyList<MetricRecord> records)
    {
        foreach (var writer in _writers) writer.Write(records);
    }

    public void Dispose()
    {
        foreach (var writer in _writers) writer.Dispose();
    }
}
