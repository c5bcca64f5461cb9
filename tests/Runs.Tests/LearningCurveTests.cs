using System.Collections.Generic;
using System.Linq;
using Mtrl.Runs.Metrics;
using Mtrl.Runs.Plots;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Evaluation;
using Xunit;

namespace Mtrl.Runs.Tests;

public sealed class LearningCurveTests
{
    /// <summary>A run with two evaluations of three tasks; task t's success at evaluation k is (t + k) / 4.</summary>
    private static List<MetricRecord> Run(double offset = 0)
    {
        var records = new List<MetricRecord>();
        for (var k = 1; k <= 2; k++)
        {
            var tasks = Enumerable.Range(0, 3).Select(t => new TaskEvaluation(t, 10, -t - k, 0, (t + k) / 4.0 + offset, 5)).ToArray();
            records.AddRange(MetricRecords.FromEvaluation(new EvaluationResult(k * 1000, SuccessSignal.Termination, tasks), k));
            records.Add(new MetricRecord(MetricKinds.Train, k * 1000, k, null, new Metric[] { new(MetricNames.Success, 0.1) }));
        }
        return records;
    }

    [Fact]
    public void OneRunShowsEveryTaskTheAverageAndMedianAndTheWorstToBestBand()
    {
        var figure = LearningCurves.PerTask(Run(), MetricNames.Success, "run");

        Assert.Equal(new[] { "task 0", "task 1", "task 2", "average", "median" }, figure.Lines.Select(l => l.Label));
        Assert.All(figure.Lines, l => Assert.Equal(new double[] { 1000, 2000 }, l.X));
        Assert.Equal(new[] { 0.5, 0.75 }, figure.Lines[1].Y);
        Assert.Equal(new[] { 0.5, 0.75 }, figure.Lines[3].Y);
        Assert.Equal(new[] { 0.5, 0.75 }, figure.Lines[4].Y);
        var band = Assert.Single(figure.Bands);
        Assert.Equal(new[] { 0.25, 0.5 }, band.Low);
        Assert.Equal(new[] { 0.75, 1.0 }, band.High);
        Assert.StartsWith("greedy evaluation", figure.YLabel);
    }

    [Fact]
    public void ReturnsArePlottedFromTheSameRecords()
    {
        var figure = LearningCurves.PerTask(Run(), MetricNames.Return, "run");
        Assert.Equal(new[] { -3.0, -4.0 }, figure.Lines[2].Y);
    }

    [Fact]
    public void RunsWithoutEvaluationsFallBackToTrainingEpisodes()
    {
        var trainingOnly = Run().Where(r => r.Kind == MetricKinds.Train).ToList();
        var figure = LearningCurves.PerTask(trainingOnly, MetricNames.Success, "run");
        var line = Assert.Single(figure.Lines);
        Assert.Equal(new[] { 0.1, 0.1 }, line.Y);
        Assert.StartsWith("training episodes", figure.YLabel);
    }

    [Fact]
    public void SeveralRunsShowTheirMeanAndSpread()
    {
        var runs = new List<(string, IReadOnlyList<MetricRecord>)> { ("seed 1", Run()), ("seed 2", Run(0.2)) };
        var figure = LearningCurves.AcrossRuns(runs, MetricNames.Success, "seeds");

        Assert.Equal(new[] { "seed 1", "seed 2", "mean of 2 runs" }, figure.Lines.Select(l => l.Label));
        Assert.Equal(new[] { 0.5, 0.75 }, figure.Lines[0].Y);
        Assert.Equal(new[] { 0.6, 0.85 }, figure.Lines[2].Y.Select(v => System.Math.Round(v, 12)));
        var band = Assert.Single(figure.Bands);
        Assert.Equal(new[] { 0.5, 0.75 }, band.Low.Select(v => System.Math.Round(v, 12)));
        Assert.Equal(new[] { 0.7, 0.95 }, band.High.Select(v => System.Math.Round(v, 12)));
    }
}
