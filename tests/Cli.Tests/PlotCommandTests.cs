using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Mtrl.Runs;
using Mtrl.Runs.Metrics;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Evaluation;
using Xunit;

namespace Mtrl.Cli.Tests;

public sealed class PlotCommandTests
{
    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string Root() => Directory.CreateTempSubdirectory("mtrl-plot-").FullName;

    /// <summary>A run directory with three evaluations of two tasks; the success of task t at evaluation k is (k + t) / 4 + offset.</summary>
    private static RunDirectory MakeRun(string root, string name, double offset)
    {
        var manifest = new RunManifest("mtrl test", "x.mtrl", "A", "dqn", "gridworld", 4, 1, JsonSerializer.SerializeToElement(new { }),
            new RunSchedule(3_000, 1_000, 1_000, 5, 0, 1), new System.Collections.Generic.Dictionary<string, string>(), MachineFacts.Current(), DateTimeOffset.UnixEpoch, Array.Empty<string>());
        var run = RunDirectory.Create(root, name, "", manifest);
        using var writer = new JsonLinesMetricsWriter(run.MetricsFile);
        for (var k = 1; k <= 3; k++)
        {
            var tasks = Enumerable.Range(0, 2).Select(t => new TaskEvaluation(t, 5, -k, 0, (k + t) / 4.0 + offset, 10)).ToArray();
            writer.Write(MetricRecords.FromEvaluation(new EvaluationResult(k * 1_000, SuccessSignal.Termination, tasks), k));
        }
        return run;
    }

    private static void AssertImages(string png, string svg, params string[] legend)
    {
        var bytes = File.ReadAllBytes(png);
        Assert.True(bytes.Length > 1_000);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes.Take(4));
        var text = File.ReadAllText(svg);
        Assert.Contains("<svg", text);
        foreach (var label in legend) Assert.Contains(label, text);
    }

    [Fact]
    public void OneRunIsPlottedPerTaskIntoItsOwnDirectory()
    {
        var run = MakeRun(Root(), "one", 0);
        var (code, output, error) = Run("plot", run.Path);

        Assert.True(code == 0, error);
        var png = Path.Combine(run.Path, "plots", "success.png");
        var svg = Path.Combine(run.Path, "plots", "success.svg");
        Assert.Contains($"wrote {png}", output);
        AssertImages(png, svg, "task 0", "task 1", "average", "median", "worst to best task");
    }

    [Fact]
    public void ADirectoryOfSeedsIsPlottedAsMeanAndSpread()
    {
        var root = Root();
        MakeRun(root, "seed-1", 0);
        MakeRun(root, "seed-2", 0.1);
        var images = Path.Combine(root, "images");
        var (code, _, error) = Run("plot", root, "--metric", "return", "--output", images);

        Assert.True(code == 0, error);
        AssertImages(Path.Combine(images, "return-runs.png"), Path.Combine(images, "return-runs.svg"), "mean of 2 runs", "one standard deviation");
    }

    [Fact]
    public void WhatIsNotARunIsRefusedNamingIt()
    {
        var root = Root();
        var (code, _, error) = Run("plot", root);
        Assert.Equal(1, code);
        Assert.Contains($"'{root}' is not a run directory and holds none", error);
        Assert.DoesNotContain("   at ", error);

        var run = MakeRun(root, "broken", 0);
        File.WriteAllText(run.MetricsFile, "garbage\n");
        (code, _, error) = Run("plot", run.Path);
        Assert.Equal(1, code);
        Assert.Contains($"{run.MetricsFile}:1: not a metrics record", error);

        (code, _, error) = Run("plot", run.Path, "--metric", "loss");
        Assert.Equal(2, code);
        Assert.Contains("--metric must be success or return", error);
    }

    [Fact]
    public void ABadOutputDirectoryIsRefusedBeforeAnyRunIsRead()
    {
        var root = Root();
        var run = MakeRun(root, "seed-1", 0);
        var file = Path.Combine(root, "a-file");
        File.WriteAllText(file, "");
        foreach (var (directory, message) in new[]
        {
            ("", "mtrl: error: --output must name a directory; found an empty path"),
            (file, $"mtrl: error: --output must name a directory, but '{file}' is a file"),
            (Path.Combine(file, "plots"), $"mtrl: error: --output '{Path.Combine(file, "plots")}': '{file}' is a file, not a directory"),
        })
        {
            var (code, output, error) = Run("plot", run.Path, "--output", directory);
            Assert.Equal(2, code);
            Assert.Equal("", output);
            Assert.Equal(message + Environment.NewLine, error);
        }
    }
}
