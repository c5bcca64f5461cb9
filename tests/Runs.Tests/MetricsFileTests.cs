using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Mtrl.Runs.Metrics;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Evaluation;
using Xunit;

namespace Mtrl.Runs.Tests;

public sealed class MetricsFileTests
{
    private static EvaluationResult Evaluation() => new(12_000, SuccessSignal.Termination, new[]
    {
        new TaskEvaluation(0, 10, -3.5, 0.25, 1.0, 4.5),
        new TaskEvaluation(1, 10, -9.0, 1.5, 0.4, 12.0),
        new TaskEvaluation(2, 10, -6.0, 0.0, 0.7, 8.25),
    });

    [Fact]
    public void EvaluationsBecomeOneRecordPerTaskAndOneAcrossTasks()
    {
        var records = MetricRecords.FromEvaluation(Evaluation(), 3.5);

        Assert.Equal(4, records.Count);
        Assert.Equal(new int?[] { 0, 1, 2, null }, records.Select(r => r.Task));
        Assert.All(records, r => Assert.Equal((MetricKinds.Eval, 12_000L), (r.Kind, r.Transitions)));
        Assert.Equal(0.4, records[1]["success"]);
        Assert.Equal(12.0, records[1]["length"]);
        var across = records[3];
        Assert.Equal((1.0 + 0.4 + 0.7) / 3, across["success_avg"], 12);
        Assert.Equal(0.7, across["success_median"]);
        Assert.Equal(0.4, across["success_worst"]);
        Assert.Equal(-6.0, across["return_median"]);
        Assert.Equal(-9.0, across["return_worst"]);
    }

    [Fact]
    public void TrainingBecomesARunRecordAndOnePerTask()
    {
        var trainer = new FakeTrainer(2);
        trainer.TaskStatistics[0].Add(-2, 3, terminated: true);
        trainer.TaskStatistics[1].Add(-10, 10, terminated: false);
        trainer.Pooled.Add(-2, 3, terminated: true);
        trainer.Pooled.Add(-10, 10, terminated: false);

        var records = MetricRecords.FromTraining(trainer, SuccessSignal.Survival, 1.0, 2_500);

        Assert.Equal(new int?[] { null, 0, 1 }, records.Select(r => r.Task));
        Assert.Equal(0.5, records[0]["success"]);
        Assert.Equal(-6.0, records[0]["return"]);
        Assert.Equal(42, records[0]["updates"]);
        Assert.Equal((3.0, 5.0, 40.0), (records[0]["skipped_updates"], records[0]["nonfinite_transitions"], records[0]["skipped_transitions"]));
        Assert.Equal(0.0, records[1]["success"]); // survival: task 0's only episode terminated
        Assert.Equal(1.0, records[2]["success"]);
        Assert.True(double.IsNaN(MetricRecords.FromTraining(trainer, SuccessSignal.None, 1, 1)[0]["success"]));
    }

    [Fact]
    public void JsonLinesHoldTheNumbersAndReadBackExactly()
    {
        var path = Path.Combine(TempDirectory.Create(), "metrics.jsonl");
        var written = MetricRecords.FromEvaluation(Evaluation(), 3.25).ToList();
        written.Add(new MetricRecord(MetricKinds.Train, 13_000, 4.0, null, new Metric[] { new("loss", double.NaN), new("return", 1.0 / 3) }));
        using (var writer = new JsonLinesMetricsWriter(path)) writer.Write(written);

        var lines = File.ReadAllLines(path);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("{\"kind\":\"eval\",\"transitions\":12000,\"time_s\":3.25,\"task\":0,\"return\":-3.5,", lines[0]);
        Assert.Contains("\"loss\":null", lines[4]);

        var read = MetricsFile.Read(path);
        Assert.Equal(written.Count, read.Count);
        for (var i = 0; i < written.Count; i++)
        {
            Assert.Equal((written[i].Kind, written[i].Transitions, written[i].Seconds, written[i].Task), (read[i].Kind, read[i].Transitions, read[i].Seconds, read[i].Task));
            Assert.Equal(written[i].Values, read[i].Values);
        }
    }

    [Fact]
    public void AppendingKeepsEarlierRecordsAndAnUnfinishedLastLineIsSkipped()
    {
        var path = Path.Combine(TempDirectory.Create(), "metrics.jsonl");
        using (var writer = new JsonLinesMetricsWriter(path)) writer.Write(MetricRecords.FromEvaluation(Evaluation(), 1));
        using (var writer = new JsonLinesMetricsWriter(path)) writer.Write(MetricRecords.FromEvaluation(Evaluation() with { Transitions = 24_000 }, 2));
        File.AppendAllText(path, "{\"kind\":\"eval\",\"transi");

        var read = MetricsFile.Read(path);
        Assert.Equal(8, read.Count);
        Assert.Equal(24_000, read[^1].Transitions);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"transitions\":5}")]
    [InlineData("{\"kind\":\"eval\"}")]
    [InlineData("{\"kind\":\"eval\",\"transitions\":\"many\"}")]
    public void AMalformedLineIsRefusedNamingTheFileAndLine(string line)
    {
        var path = Path.Combine(TempDirectory.Create(), "metrics.jsonl");
        File.WriteAllText(path, "{\"kind\":\"eval\",\"transitions\":1,\"success\":1}\n" + line + "\n");
        var error = Assert.Throws<MetricsFileException>(() => MetricsFile.Read(path));
        Assert.StartsWith($"{path}:2: not a metrics record", error.Message);
    }

    [Fact]
    public void CsvIsATidyTableOfTheSameNumbers()
    {
        var path = Path.Combine(TempDirectory.Create(), "metrics.csv");
        var written = MetricRecords.FromEvaluation(Evaluation(), 3.25);
        using (var writer = new CsvMetricsWriter(path)) writer.Write(written);
        using (var writer = new CsvMetricsWriter(path)) writer.Write(new[] { new MetricRecord(MetricKinds.Train, 13_000, 4.0, null, new Metric[] { new("loss", double.NaN) }) });

        var lines = File.ReadAllLines(path);
        Assert.Equal(CsvMetricsWriter.Header, lines[0]);
        Assert.Single(lines, CsvMetricsWriter.Header);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.All(rows, r => Assert.Equal(6, r.Length));
        var expected = written.SelectMany(r => r.Values.Select(v => (r.Task, v.Name, v.Value))).ToList();
        Assert.Equal(expected.Count + 1, rows.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal("eval", rows[i][0]);
            Assert.Equal("12000", rows[i][1]);
            Assert.Equal(expected[i].Task?.ToString(CultureInfo.InvariantCulture) ?? "", rows[i][3]);
            Assert.Equal(expected[i].Name, rows[i][4]);
            Assert.Equal(expected[i].Value, double.Parse(rows[i][5], CultureInfo.InvariantCulture));
        }
        Assert.Equal(new[] { "train", "13000", "4", "", "loss", "" }, rows[^1]);
    }

    private sealed class FakeTrainer(int tasks) : ITrainer
    {
        public Mtrl.Runtime.Profiling.TrainingProfile? Profile { get; set; }

        public EpisodeStatistics Pooled { get; } = new();

        public EpisodeStatistics[] TaskStatistics { get; } = Enumerable.Range(0, tasks).Select(_ => new EpisodeStatistics(20)).ToArray();

        public long Transitions => 9_000;

        public long TargetTransitions => 10_000;

        public long Updates => 42;

        public double LastLoss => 0.5;

        public long SkippedUpdates => 3;

        public long NonFiniteTransitions => 5;

        public long SkippedTransitions => 40;

        public Mtrl.Runtime.Replay.NonFiniteValue? LastNonFinite => null;

        public EpisodeStatistics Episodes => Pooled;

        public ReadOnlySpan<EpisodeStatistics> TaskEpisodes => TaskStatistics;

        public void Step() => throw new NotSupportedException();

        public void Train(long? transitions = null, CancellationToken cancellation = default) => throw new NotSupportedException();

        public Checkpoint CreateCheckpoint() => throw new NotSupportedException();

        public void Restore(Checkpoint checkpoint) => throw new NotSupportedException();

        public Mtrl.Runtime.Replay.ReplayBuffer Replay => throw new NotSupportedException();

        public void Resume(Checkpoint checkpoint) => throw new NotSupportedException();
        public System.Collections.Generic.IEnumerable<TNetwork> NetworksOf<TNetwork>() where TNetwork : class => [];
        public void Reinitialize(System.Collections.Generic.IReadOnlyList<Mtrl.Runtime.Parameters.ParameterSlice> slices, ulong seed) => throw new NotSupportedException();
    }
}
