using System;
using System.Globalization;
using System.IO;
using System.Linq;
using Mtrl.Runs.Metrics;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Evaluation;
using Spectre.Console;

namespace Mtrl.Cli;

/// <summary>
/// Where <c>mtrl train</c> shows progress: plain lines everywhere output is a file, a pipe, CI or a
/// test, and a live Spectre.Console display (bar, transitions/s, time left, recent success per
/// task) on a terminal. Either way the log and evaluation lines are the same text.
/// </summary>
internal abstract class ProgressSink
{
    /// <summary>A line of the progress log.</summary>
    public abstract void Line(string text);

    /// <summary>Called at every stop of the training loop with the trainer's state.</summary>
    public virtual void Tick(ITrainer trainer, EvaluationResult? lastEvaluation)
    {
    }

    /// <summary>Transitions between extra stops the display needs to stay current (0: none).</summary>
    public virtual long RefreshEvery(long total) => 0;

    /// <summary>True when <paramref name="output"/> is the process's own terminal (not redirected, not CI, not a dumb terminal).</summary>
    public static bool IsTerminal(TextWriter output) =>
        ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))
        && Environment.GetEnvironmentVariable("TERM") is not (null or "" or "dumb");
}

/// <summary>Progress as plain lines.</summary>
internal sealed class PlainProgress(TextWriter output) : ProgressSink
{
    public override void Line(string text) => output.WriteLine(text);
}

/// <summary>
/// Progress as a live display: the log lines scroll above a bar whose description holds the
/// transitions, their rate, the loss, the last evaluation's average and worst task success, and
/// the share of each task's recent training episodes that ended by termination.
/// </summary>
internal sealed class LiveProgress : ProgressSink
{
    private readonly IAnsiConsole _console;
    private readonly ProgressTask _task;
    private long _lastTransitions;
    private DateTime _lastTime = DateTime.UtcNow;
    private double _rate;

    public LiveProgress(IAnsiConsole console, ProgressTask task)
    {
        _console = console;
        _task = task;
    }

    /// <summary>Runs <paramref name="body"/> inside a live display on <paramref name="console"/> for a run of <paramref name="total"/> transitions starting at <paramref name="start"/>.</summary>
    public static T Show<T>(IAnsiConsole console, long total, long start, Func<LiveProgress, T> body) =>
        console.Progress()
            .AutoClear(false)
            .Columns(new ProgressBarColumn { Width = 20 }, new PercentageColumn(), new RemainingTimeColumn(), new TaskDescriptionColumn { Alignment = Justify.Left })
            .Start(context =>
            {
                var task = context.AddTask("starting", maxValue: total);
                task.Value = start;
                var live = new LiveProgress(console, task) { _lastTransitions = start };
                return body(live);
            });

    public override void Line(string text) => _console.WriteLine(text);

    public override long RefreshEvery(long total) => Math.Max(total / 400, 1);

    public override void Tick(ITrainer trainer, EvaluationResult? lastEvaluation)
    {
        var now = DateTime.UtcNow;
        var seconds = (now - _lastTime).TotalSeconds;
        if (seconds > 0.5)
        {
            _rate = (trainer.Transitions - _lastTransitions) / seconds;
            _lastTransitions = trainer.Transitions;
            _lastTime = now;
        }
        _task.Value = trainer.Transitions;
        _task.Description = Markup.Escape(Describe(trainer, lastEvaluation, _rate));
    }

    /// <summary>The text beside the bar: speed, loss, last evaluation, recent training success per task.</summary>
    internal static string Describe(ITrainer trainer, EvaluationResult? lastEvaluation, double rate)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{trainer.Transitions:N0} · {rate:N0}/s · loss {trainer.LastLoss:G3}");
        if (lastEvaluation is { } evaluation && !double.IsNaN(evaluation.Success.Average))
        {
            text += string.Create(CultureInfo.InvariantCulture, $" · eval {Percent(evaluation.Success.Average)} (worst {Percent(evaluation.Success.Worst)})");
        }
        var tasks = trainer.TaskEpisodes;
        if (tasks.Length > 1)
        {
            var recent = new string[Math.Min(tasks.Length, 16)];
            for (var t = 0; t < recent.Length; t++)
            {
                recent[t] = double.IsNaN(tasks[t].TerminationRate) ? "–" : Percent(tasks[t].TerminationRate);
            }
            text += $" · tasks {string.Join(" ", recent)}{(tasks.Length > recent.Length ? " …" : "")}";
        }
        return text;
    }

    private static string Percent(double share) => (100 * share).ToString("F0", CultureInfo.InvariantCulture) + "%";
}
