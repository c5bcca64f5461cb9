using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Runs.Metrics;
using Mtrl.Runtime.Evaluation;

namespace Mtrl.Runs.Plots;

/// <summary>One line of a plot.</summary>
public sealed record Curve(string Label, double[] X, double[] Y);

/// <summary>A shaded range of a plot.</summary>
public sealed record Band(string Label, double[] X, double[] Low, double[] High);

/// <summary>What one figure shows: its lines and bands, already computed from the metrics.</summary>
public sealed record Figure(string Title, string YLabel, IReadOnlyList<Curve> Lines, IReadOnlyList<Band> Bands);

/// <summary>
/// Learning curves from metrics records, kept apart from drawing so the numbers a plot shows can
/// be checked against the metrics. Greedy evaluations are plotted when the run has them; otherwise
/// the training episodes.
/// </summary>
public static class LearningCurves
{
    /// <summary>The kind of record curves come from: evaluations when there are any.</summary>
    public static string SourceKind(IReadOnlyList<MetricRecord> records) =>
        records.Any(r => r.Kind == MetricKinds.Eval) ? MetricKinds.Eval : MetricKinds.Train;

    /// <summary>
    /// One run: a line per task, the average and median task, and a band from the worst to the
    /// best task, against transitions.
    /// </summary>
    /// <param name="records">The run's metrics.</param>
    /// <param name="metric"><see cref="MetricNames.Success"/> or <see cref="MetricNames.Return"/>.</param>
    /// <param name="title">The figure's title.</param>
    public static Figure PerTask(IReadOnlyList<MetricRecord> records, string metric, string title)
    {
        var kind = SourceKind(records);
        var perTask = records.Where(r => r.Kind == kind && r.Task is not null).ToList();
        var lines = new List<Curve>();
        var bands = new List<Band>();
        if (perTask.Count == 0)
        {
            var run = records.Where(r => r.Kind == kind && r.Task is null && !double.IsNaN(r[metric])).ToList();
            lines.Add(new Curve(metric, run.Select(r => (double)r.Transitions).ToArray(), run.Select(r => r[metric]).ToArray()));
            return new Figure(title, YLabel(kind, metric), lines, bands);
        }
        foreach (var task in perTask.Select(r => r.Task!.Value).Distinct().Order())
        {
            var points = perTask.Where(r => r.Task == task && !double.IsNaN(r[metric])).ToList();
            lines.Add(new Curve($"task {task}", points.Select(r => (double)r.Transitions).ToArray(), points.Select(r => r[metric]).ToArray()));
        }
        // Across tasks at each point where every task has a value.
        var taskCount = lines.Count;
        var complete = perTask.Where(r => !double.IsNaN(r[metric])).GroupBy(r => r.Transitions).Where(g => g.Count() == taskCount).OrderBy(g => g.Key).ToList();
        var x = complete.Select(g => (double)g.Key).ToArray();
        var values = complete.Select(g => g.Select(r => r[metric]).ToArray()).ToList();
        var across = values.Select(v => AcrossTasks.Of(v)).ToArray();
        lines.Add(new Curve("average", x, across.Select(a => a.Average).ToArray()));
        lines.Add(new Curve("median", x, across.Select(a => a.Median).ToArray()));
        bands.Add(new Band("worst to best task", x, across.Select(a => a.Worst).ToArray(), values.Select(v => v.Max()).ToArray()));
        return new Figure(title, YLabel(kind, metric), lines, bands);
    }

    /// <summary>
    /// Several runs (seeds): each run's average task, their mean, and a band of one standard
    /// deviation around it (population), at the transitions every run has.
    /// </summary>
    public static Figure AcrossRuns(IReadOnlyList<(string Label, IReadOnlyList<MetricRecord> Records)> runs, string metric, string title)
    {
        if (runs.Count == 0) throw new ArgumentException("no runs to plot", nameof(runs));
        var kind = runs.All(r => SourceKind(r.Records) == MetricKinds.Eval) ? MetricKinds.Eval : MetricKinds.Train;
        var averages = runs.Select(run => (run.Label, Points: RunAverage(run.Records, kind, metric))).ToList();
        var lines = averages.Select(a => new Curve(a.Label, a.Points.Keys.Select(k => (double)k).ToArray(), a.Points.Values.ToArray())).ToList();
        var common = averages.Select(a => (IEnumerable<long>)a.Points.Keys).Aggregate((a, b) => a.Intersect(b)).Order().ToArray();
        var x = common.Select(t => (double)t).ToArray();
        var mean = new double[common.Length];
        var low = new double[common.Length];
        var high = new double[common.Length];
        for (var i = 0; i < common.Length; i++)
        {
            var at = averages.Select(a => a.Points[common[i]]).ToArray();
            mean[i] = at.Average();
            var spread = Math.Sqrt(at.Select(v => (v - mean[i]) * (v - mean[i])).Average());
            low[i] = mean[i] - spread;
            high[i] = mean[i] + spread;
        }
        lines.Add(new Curve($"mean of {runs.Count} runs", x, mean));
        return new Figure(title, YLabel(kind, metric) + " (average task)", lines, new[] { new Band("± one standard deviation across runs", x, low, high) });
    }

    /// <summary>A run's across-task average at each point: the aggregate record when there is one, else the run record.</summary>
    private static SortedDictionary<long, double> RunAverage(IReadOnlyList<MetricRecord> records, string kind, string metric)
    {
        var result = new SortedDictionary<long, double>();
        foreach (var record in records.Where(r => r.Kind == kind && r.Task is null))
        {
            var value = record[metric + MetricNames.Average];
            if (double.IsNaN(value)) value = record[metric];
            if (!double.IsNaN(value)) result[record.Transitions] = value;
        }
        return result;
    }

    private static string YLabel(string kind, string metric) =>
        (kind == MetricKinds.Eval ? "greedy evaluation " : "training episodes ") + metric;
}
