using System.Collections.Generic;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Evaluation;

namespace Mtrl.Runs.Metrics;

/// <summary>Turns what trainers and evaluators compute into <see cref="MetricRecord"/>s.</summary>
public static class MetricRecords
{
    /// <summary>
    /// One record per task (return, its spread, success, length, episodes), then one across tasks
    /// (average, median and worst of return and success; average length).
    /// </summary>
    public static IReadOnlyList<MetricRecord> FromEvaluation(EvaluationResult result, double seconds)
    {
        var records = new List<MetricRecord>(result.Tasks.Count + 1);
        foreach (var task in result.Tasks)
        {
            records.Add(new MetricRecord(MetricKinds.Eval, result.Transitions, seconds, task.Task, new Metric[]
            {
                new(MetricNames.Return, task.MeanReturn),
                new(MetricNames.ReturnStdDev, task.ReturnStdDev),
                new(MetricNames.Success, task.SuccessRate),
                new(MetricNames.Length, task.MeanLength),
                new(MetricNames.Episodes, task.Episodes),
            }));
        }
        var returns = result.Return;
        var success = result.Success;
        records.Add(new MetricRecord(MetricKinds.Eval, result.Transitions, seconds, null, new Metric[]
        {
            new(MetricNames.Return + MetricNames.Average, returns.Average),
            new(MetricNames.Return + MetricNames.Median, returns.Median),
            new(MetricNames.Return + MetricNames.Worst, returns.Worst),
            new(MetricNames.Success + MetricNames.Average, success.Average),
            new(MetricNames.Success + MetricNames.Median, success.Median),
            new(MetricNames.Success + MetricNames.Worst, success.Worst),
            new(MetricNames.Length + MetricNames.Average, result.Length.Average),
        }));
        return records;
    }

    private static bool HasPredictor(DistillationTrainer trainer)
    {
        foreach (var _ in trainer.NetworksOf<IFeatureNetwork>()) return true;
        return false;
    }

    /// <summary>
    /// One record for the run (updates, loss, the pooled training episodes, what the non-finite
    /// data policy skipped, speed), then one per
    /// task over its recent training episodes when the trainer runs several tasks.
    /// </summary>
    /// <param name="trainer">The trainer, read at this log point.</param>
    /// <param name="signal">What success is in the training environment.</param>
    /// <param name="seconds">Wall-clock seconds since the run started.</param>
    /// <param name="transitionsPerSecond">Speed since the previous log point.</param>
    public static IReadOnlyList<MetricRecord> FromTraining(ITrainer trainer, SuccessSignal signal, double seconds, double transitionsPerSecond)
    {
        var tasks = trainer.TaskEpisodes;
        var records = new List<MetricRecord>(tasks.Length + 1);
        var pooled = trainer.Episodes;
        var metrics = new List<Metric>
        {
            new(MetricNames.Updates, trainer.Updates),
            new(MetricNames.Loss, trainer.LastLoss),
            new(MetricNames.Episodes, pooled.Episodes),
            new(MetricNames.Return, pooled.MeanReturn),
            new(MetricNames.Success, SuccessRate(pooled, signal)),
            new(MetricNames.Length, pooled.MeanLength),
            new(MetricNames.SkippedUpdates, trainer.SkippedUpdates),
            new(MetricNames.NonFiniteTransitions, trainer.NonFiniteTransitions),
            new(MetricNames.SkippedTransitions, trainer.SkippedTransitions),
            new(MetricNames.TransitionsPerSecond, transitionsPerSecond),
        };
        // Actor-Mimic: the part of the loss that feature regression adds, so a run shows it is at work.
        if (trainer is DistillationTrainer { Options.FeatureWeight: > 0f } distillation && HasPredictor(distillation))
        {
            metrics.Insert(2, new Metric(MetricNames.FeatureLoss, distillation.LastFeatureLoss));
        }
        records.Add(new MetricRecord(MetricKinds.Train, trainer.Transitions, seconds, null, metrics));
        if (tasks.Length < 2) return records;
        for (var t = 0; t < tasks.Length; t++)
        {
            var episodes = tasks[t];
            records.Add(new MetricRecord(MetricKinds.Train, trainer.Transitions, seconds, t, new Metric[]
            {
                new(MetricNames.Episodes, episodes.Episodes),
                new(MetricNames.Return, episodes.MeanReturn),
                new(MetricNames.Success, SuccessRate(episodes, signal)),
                new(MetricNames.Length, episodes.MeanLength),
            }));
        }
        return records;
    }

    /// <summary>Every finished episode terminated or was truncated, so survival is the complement of termination.</summary>
    public static double SuccessRate(EpisodeStatistics episodes, SuccessSignal signal) => signal switch
    {
        SuccessSignal.Termination => episodes.TerminationRate,
        SuccessSignal.Survival => 1.0 - episodes.TerminationRate,
        _ => double.NaN,
    };
}
