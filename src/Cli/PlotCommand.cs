using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using Mtrl.Cli.Plotting;
using Mtrl.Runs;
using Mtrl.Runs.Metrics;
using Mtrl.Runs.Plots;

namespace Mtrl.Cli;

/// <summary>
/// <c>mtrl plot RUN_DIR...</c>: learning curves as PNG and SVG. One run: every task, the average
/// and median task and the worst-to-best band. Several runs (or a directory of runs, such as the
/// seeds of <c>--seeds N</c>): each run's average task, their mean and its spread.
/// </summary>
internal static class PlotCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var runs = new Argument<string[]>("runs") { Description = "Run directories, or directories holding runs.", Arity = ArgumentArity.OneOrMore };
        var metric = new Option<string>("--metric") { Description = "success or return.", DefaultValueFactory = _ => MetricNames.Success };
        var outputOption = new Option<string?>("--output") { Description = "Directory for the images (default: RUN/plots for one run, ./plots for several)." };
        var command = new Command("plot", "Plot learning curves of runs as PNG and SVG.") { runs, metric, outputOption };
        command.SetAction(parse => Run(parse.GetValue(runs) ?? Array.Empty<string>(), parse.GetValue(metric)!, parse.GetValue(outputOption), output, error));
        return command;
    }

    public static int Run(string[] paths, string metric, string? outputDirectory, TextWriter output, TextWriter error)
    {
        if (metric is not (MetricNames.Success or MetricNames.Return))
        {
            error.WriteLine($"mtrl: error: --metric must be {MetricNames.Success} or {MetricNames.Return}; found '{metric}'");
            return 2;
        }
        // Before any run is read: empty, a file, a path through a file, or a place that takes no files.
        if (outputDirectory is not null && OutputPaths.CheckDirectory("--output", outputDirectory) is { } outputProblem)
        {
            error.WriteLine($"mtrl: error: {outputProblem}");
            return 2;
        }
        var runs = new List<(string Label, IReadOnlyList<MetricRecord> Records, RunDirectory Run)>();
        try
        {
            foreach (var run in paths.SelectMany(Expand))
            {
                var records = MetricsFile.Read(run.MetricsFile);
                if (records.Count == 0) throw new RunDirectoryException($"{run.MetricsFile}: no metrics yet");
                runs.Add((Path.GetFileName(run.Path), records, run));
            }
        }
        catch (Exception exception) when (exception is RunDirectoryException or MetricsFileException)
        {
            error.WriteLine($"mtrl: error: {exception.Message}");
            return 1;
        }

        var (figure, directory) = runs.Count == 1
            ? (LearningCurves.PerTask(runs[0].Records, metric, runs[0].Label), outputDirectory ?? Path.Combine(runs[0].Run.Path, "plots"))
            : (LearningCurves.AcrossRuns(runs.Select(r => (r.Label, r.Records)).ToList(), metric, $"{runs.Count} runs"), outputDirectory ?? "plots");
        try
        {
            var (png, svg) = FigureRenderer.Save(figure, Path.Combine(directory, runs.Count == 1 ? metric : metric + "-runs"));
            output.WriteLine($"wrote {png}");
            output.WriteLine($"wrote {svg}");
            return 0;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"mtrl: error: cannot write the plots to '{directory}': {exception.Message}");
            return 1;
        }
    }

    /// <summary>A run directory, or the run directories directly inside a directory that is not one.</summary>
    private static IEnumerable<RunDirectory> Expand(string path)
    {
        if (File.Exists(Path.Combine(path, RunDirectory.ManifestName)) || !Directory.Exists(path))
        {
            yield return RunDirectory.Open(path);
            yield break;
        }
        var inside = Directory.EnumerateDirectories(path).Where(d => File.Exists(Path.Combine(d, RunDirectory.ManifestName))).Order(StringComparer.Ordinal).ToList();
        if (inside.Count == 0) throw new RunDirectoryException($"'{path}' is not a run directory and holds none: it has no {RunDirectory.ManifestName}");
        foreach (var run in inside) yield return RunDirectory.Open(run);
    }
}
