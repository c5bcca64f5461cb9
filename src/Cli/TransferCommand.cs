using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using Mtrl.Runs;
using Mtrl.Runtime.Evaluation;
using Mtrl.Runtime.Transfer;

namespace Mtrl.Cli;

/// <summary>
/// <c>mtrl transfer SPEC --env NAME</c>: measures a sequential schedule as a transfer method. It
/// trains the spec's tasks in sequence, every task alone from a fresh network with the same budget
/// (the from-scratch baseline: the first stage of a schedule whose task order starts with that
/// task), and any <c>--compare</c> specs in sequence too (e.g. fine-tuning one network); then it
/// reports per task the steps to a threshold, the speed-up over scratch, the area under the
/// learning curve, forward transfer, and after the last stage backward transfer and forgetting.
/// Every run has its own run directory under one comparison directory, beside <c>transfer.json</c>.
/// </summary>
internal static class TransferCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var file = new Argument<string>("file") { Description = "The spec whose sequential schedule to measure (.mtrl)." };
        var environment = new Option<string>("--env") { Description = $"The environment: {string.Join(", ", TrainingEnvironments.Names)}.", Required = true };
        var compare = new Option<string[]>("--compare") { Description = "Further specs to train in the same sequence and report beside it (e.g. one network fine-tuned from task to task).", AllowMultipleArgumentsPerToken = true };
        var threshold = new Option<double?>("--threshold") { Description = "The greedy return (or success rate, with --metric success) whose first crossing counts as learned.", CustomParser = TrainCommand.NullableReal("--threshold") };
        var metric = new Option<string>("--metric") { Description = "What the curves hold: return or success.", DefaultValueFactory = _ => "return" };
        var range = new Option<string?>("--return-range") { Description = "LO:HI, the returns mapped to 0 and 1 for forward transfer (default: the lowest and highest return of any curve or stage-end evaluation).", HelpName = "LO:HI" };
        var stepsPerTask = new Option<long?>("--steps-per-task") { Description = "Transitions per task (default: the spec's steps_per_task).", CustomParser = TrainCommand.NullableInteger("--steps-per-task", 1) };
        var environments = new Option<int>("--envs") { Description = "Environments stepped together (1–65,536).", DefaultValueFactory = _ => 8, CustomParser = TrainCommand.Integer("--envs", 1, TrainRequest.MaxEnvironments) };
        var seed = new Option<long?>("--seed") { Description = "Seed (default: the spec's).", CustomParser = TrainCommand.NullableInteger("--seed", 0) };
        var threads = new Option<int>("--threads") { Description = "Worker threads (1 to the number of cores).", DefaultValueFactory = _ => 1, CustomParser = TrainCommand.Integer("--threads", 1, System.Environment.ProcessorCount) };
        var evalEvery = new Option<long?>("--eval-every") { Description = "Transitions between evaluations of the task being learned (default: a tenth of a stage).", CustomParser = TrainCommand.NullableInteger("--eval-every", 0) };
        var evalEpisodes = new Option<int>("--eval-episodes") { Description = $"Episodes per task in each evaluation (1–{TrainRequest.MaxEvalEpisodes:N0}).", DefaultValueFactory = _ => 10, CustomParser = TrainCommand.Integer("--eval-episodes", 1, TrainRequest.MaxEvalEpisodes) };
        var runsDir = new Option<string?>("--runs-dir") { Description = "Where the comparison directory goes (default: $MTRL_RUNS_DIR, else ./runs)." };
        var noScratch = new Option<bool>("--no-scratch") { Description = "Skip the from-scratch baseline (no speed-up or forward transfer)." };
        var command = new Command("transfer", "Measure a sequential schedule as transfer: against every task trained from scratch and against other specs in the same sequence.")
        {
            file, environment, compare, threshold, metric, range, stepsPerTask, environments, seed, threads, evalEvery, evalEpisodes, runsDir, noScratch,
        };
        command.SetAction((parse, cancellation) =>
        {
            using var stop = StopSignals.Listen(cancellation);
            return System.Threading.Tasks.Task.FromResult(Run(new TransferRequest(
                parse.GetValue(file)!, parse.GetValue(environment)!, parse.GetValue(compare) ?? Array.Empty<string>(), parse.GetValue(threshold),
                parse.GetValue(metric)!, parse.GetValue(range), parse.GetValue(stepsPerTask), parse.GetValue(environments), parse.GetValue(seed),
                parse.GetValue(threads), parse.GetValue(evalEvery), parse.GetValue(evalEpisodes), parse.GetValue(runsDir), parse.GetValue(noScratch)),
                output, error, stop.Token));
        });
        return command;
    }

    public static int Run(TransferRequest request, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        if (request.Check() is { } problem)
        {
            error.WriteLine($"mtrl: error: {problem}");
            return 2;
        }
        var train = request.ToTrainRequest();
        if (OutputPaths.CheckDirectory("--runs-dir", train.RunsRoot) is { } runsProblem)
        {
            error.WriteLine($"mtrl: error: {runsProblem}");
            return 2;
        }
        var started = DateTimeOffset.UtcNow;
        string root;
        try
        {
            root = RunDirectory.CreatePlain(train.RunsRoot, $"transfer-{Path.GetFileNameWithoutExtension(request.File)}-{started.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        }
        catch (RunDirectoryException exception)
        {
            error.WriteLine($"mtrl: error: {exception.Message}");
            return 1;
        }
        output.WriteLine($"comparison {root}");

        var methods = new List<(string Name, SequentialTrainer Trainer)>();
        int? tasks = null;
        foreach (var spec in new[] { request.File }.Concat(request.Compare))
        {
            var trained = TrainSequence(request with { File = spec }, root, Path.GetFileNameWithoutExtension(spec), taskOrder: null, stagesToRun: null, output, error, cancellation, ref tasks);
            if (trained is null) return 1;
            methods.Add((Path.GetFileNameWithoutExtension(spec), trained));
            if (cancellation.IsCancellationRequested) return 1;
        }

        List<IReadOnlyList<CurvePoint>>? scratch = null;
        if (!request.NoScratch)
        {
            scratch = new List<IReadOnlyList<CurvePoint>>();
            for (var task = 0; task < tasks!.Value; task++)
            {
                // Task k from scratch: the first stage of the same schedule with the suite reordered to start at k.
                var order = new[] { task }.Concat(Enumerable.Range(0, tasks.Value).Where(t => t != task)).ToArray();
                var trained = TrainSequence(request, root, $"scratch-task{task}", order, stagesToRun: 1, output, error, cancellation, ref tasks);
                if (trained is null) return 1;
                if (cancellation.IsCancellationRequested) return 1;
                scratch.Add(Curve(trained.Results[0], request.Metric));
            }
        }

        var reports = new List<(string Name, TransferReport Report)>();
        var (minimum, maximum) = Range(request, methods.Select(m => m.Trainer), scratch);
        // One threshold for every method, so their steps to it and speed-ups compare.
        var threshold = request.Threshold ?? DefaultThreshold(methods.SelectMany(m => m.Trainer.Results.Select(r => Curve(r, request.Metric))), scratch);
        foreach (var (name, trainer) in methods)
        {
            var matrix = new TransferMatrix(trainer.Tasks);
            foreach (var stage in trainer.Results)
            {
                foreach (var task in stage.Evaluation.Tasks) matrix[stage.Stage, task.Task] = Value(task, request.Metric);
            }
            var curves = trainer.Results.Select(r => Curve(r, request.Metric)).ToList();
            var report = TransferReport.Create(matrix, curves, scratch, trainer.StageBudget, threshold, minimum, maximum);
            reports.Add((name, report));
            Write(name, report, request.Metric, output);
        }
        var path = Path.Combine(root, "transfer.json");
        File.WriteAllText(path, JsonSerializer.Serialize(reports.ToDictionary(r => r.Name, r => Document(r.Report)), new JsonSerializerOptions { WriteIndented = true }) + "\n");
        output.WriteLine($"wrote {path}");
        return 0;
    }

    /// <summary>Trains one spec's schedule (all its stages, or the first <paramref name="stagesToRun"/>) in a run directory under <paramref name="root"/>; null after one line on <paramref name="error"/>.</summary>
    private static SequentialTrainer? TrainSequence(TransferRequest request, string root, string name, IReadOnlyList<int>? taskOrder, int? stagesToRun,
        TextWriter output, TextWriter error, CancellationToken cancellation, ref int? tasks)
    {
        var train = request.ToTrainRequest();
        using var session = AgentSession.Open(train.ToAgentRequest(), output, error, out _);
        if (session is null) return null;
        if (!session.IsSequential)
        {
            var span = session.Agent.Training.Span;
            error.WriteLine($"{span.File}({span.Line},{span.Column}): error: mtrl transfer measures sequential schedules; agent '{session.Agent.Name}' trains its tasks jointly (add 'schedule: sequential(steps_per_task: …)')");
            return null;
        }
        if (tasks is { } expected && session.Agent.Tasks != expected)
        {
            error.WriteLine($"mtrl: error: {request.File} learns {session.Agent.Tasks} tasks but the first spec learns {expected}; compared specs must learn the same tasks");
            return null;
        }
        tasks ??= session.Agent.Tasks;
        var seed = request.Seed is { } given ? (ulong)given : session.SpecOptions.Seed;
        var options = session.SpecOptions with { Seed = seed };
        var spec = session.SpecSequentialOptions;
        var sequential = TrainCommand.SequentialFor(spec, request.StepsPerTask ?? spec.StepsPerTask, request.EvalEvery, request.EvalEpisodes) with { Seed = seed };
        var trainer = session.CreateSequentialTrainer(options, sequential, out var problem, taskOrder);
        if (trainer is null)
        {
            error.WriteLine($"mtrl: error: {problem}");
            return null;
        }
        var steps = (stagesToRun ?? trainer.Tasks) * trainer.StageBudget;
        var schedule = train.ScheduleFor(steps) with { EvalEvery = sequential.EvaluateEvery, CheckpointEvery = steps };
        RunDirectory run;
        try
        {
            var manifest = TrainCommand.Manifest(train, session, options with { Steps = steps }, schedule, DateTimeOffset.UtcNow);
            if (taskOrder is not null)
            {
                // A from-scratch baseline is one stage of a reordered schedule, which --resume cannot rebuild; say so in the run.
                var environmentOptions = new SortedDictionary<string, string>(StringComparer.Ordinal) { [TrainCommand.ScratchOrderKey] = string.Join(",", taskOrder) };
                foreach (var (key, value) in manifest.EnvironmentOptions) environmentOptions[key] = value;
                manifest = manifest with { EnvironmentOptions = environmentOptions };
            }
            run = RunDirectory.Create(root, name, session.SpecText, manifest);
        }
        catch (RunDirectoryException exception)
        {
            error.WriteLine($"mtrl: error: {exception.Message}");
            return null;
        }
        output.WriteLine($"{name}: {(stagesToRun is null ? $"{trainer.Tasks} tasks in sequence, {trainer.StageBudget:N0} transitions each" : $"task {taskOrder![0]} from scratch, {trainer.StageBudget:N0} transitions")}; run {run.Path}");
        // Its evaluations run in the schedule's own environments; this set only tells what success is.
        var signal = session.CreateEnvironment(error)?.SuccessSignal ?? default;
        using var recorder = new RunRecorder(run, schedule, null, new EvaluationOptions().Seed, signal);
        return TrainCommand.Train(trainer, recorder, output, error, cancellation, steps) ? trainer : null;
    }

    private static double Value(TaskEvaluation evaluation, string metric) => metric == "success" ? evaluation.SuccessRate : evaluation.MeanReturn;

    private static IReadOnlyList<CurvePoint> Curve(StageResult stage, string metric) =>
        stage.Curve.Select(p => new CurvePoint(p.StageTransitions, Value(p.Evaluation, metric))).ToList();

    /// <summary>Without --threshold: 90 % of the way from the lowest to the highest value any curve reached.</summary>
    private static double DefaultThreshold(IEnumerable<IReadOnlyList<CurvePoint>> curves, IEnumerable<IReadOnlyList<CurvePoint>>? scratch)
    {
        var values = curves.Concat(scratch ?? Enumerable.Empty<IReadOnlyList<CurvePoint>>()).SelectMany(c => c).Select(p => p.Value).ToList();
        var (low, high) = (values.Min(), values.Max());
        return low + 0.9 * (high - low);
    }

    private static (double? Minimum, double? Maximum) Range(TransferRequest request, IEnumerable<SequentialTrainer> methods, List<IReadOnlyList<CurvePoint>>? scratch)
    {
        if (request.Metric == "success") return (null, null);
        if (request.ReturnRange is { } given)
        {
            var parts = given.Split(':');
            return (double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture));
        }
        var values = methods.SelectMany(m => m.Results).SelectMany(r => r.Curve.Select(p => p.Evaluation.MeanReturn).Concat(r.Evaluation.Tasks.Select(t => t.MeanReturn)))
            .Concat(scratch?.SelectMany(c => c).Select(p => p.Value) ?? Enumerable.Empty<double>()).ToList();
        var (low, high) = (values.Min(), values.Max());
        return high > low ? (low, high) : (low, low + 1);
    }

    internal static void Write(string name, TransferReport report, string metric, TextWriter output)
    {
        string Steps(long? steps) => steps is { } s ? s.ToString("N0", CultureInfo.InvariantCulture) : "never";
        string Number(double value, string format) => double.IsNaN(value) ? "—" : value.ToString(format, CultureInfo.InvariantCulture);
        output.WriteLine($"{name}: {metric} threshold {report.Threshold.ToString("G4", CultureInfo.InvariantCulture)}, {report.Budget:N0} transitions per task");
        output.WriteLine($"{"task",6} {"to threshold",13} {"scratch",10} {"speed-up",9} {"AUC",9} {"AUC scratch",12} {"FT",7} {"after own",10} {"after last",11} {"forgetting",11}");
        foreach (var task in report.Tasks)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{task.Task,6} {Steps(task.TransferSteps),13} {Steps(task.ScratchSteps),10} {SpeedUp(task.SpeedUp),9} {Number(task.TransferAuc, "F3"),9} {Number(task.ScratchAuc, "F3"),12} {Number(task.ForwardTransfer, "F2"),7} {Number(task.AfterOwnStage, "F3"),10} {Number(task.AfterLastStage, "F3"),11} {Number(task.Forgetting, "F3"),11}"));
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"",6} backward transfer {Number(report.BackwardTransfer, "F3")}, average forgetting {Number(report.AverageForgetting, "F3")}, average forward transfer {Number(report.AverageForwardTransfer, "F2")}, average after the last stage {Number(report.AverageFinal, "F3")}"));
    }

    internal static object Document(TransferReport report) => new
    {
        budget = report.Budget,
        threshold = report.Threshold,
        return_range = report.Minimum is null ? null : new[] { report.Minimum, report.Maximum },
        backward_transfer = Finite(report.BackwardTransfer),
        average_forgetting = Finite(report.AverageForgetting),
        average_forward_transfer = Finite(report.AverageForwardTransfer),
        average_final = Finite(report.AverageFinal),
        tasks = report.Tasks.Select(t => new
        {
            task = t.Task,
            steps_to_threshold = t.TransferSteps,
            scratch_steps_to_threshold = t.ScratchSteps,
            // Reached at 0 transitions while scratch needed some: infinite, written as null (the steps say why).
            speed_up = t.SpeedUp is { } up && double.IsFinite(up) ? up : (double?)null,
            auc = Finite(t.TransferAuc),
            scratch_auc = Finite(t.ScratchAuc),
            forward_transfer = Finite(t.ForwardTransfer),
            after_own_stage = Finite(t.AfterOwnStage),
            after_last_stage = Finite(t.AfterLastStage),
            forgetting = Finite(t.Forgetting),
        }),
        matrix = Enumerable.Range(0, report.Matrix.Tasks).Select(stage => Enumerable.Range(0, report.Matrix.Tasks).Select(task => Finite(report.Matrix[stage, task]))),
    };

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    /// <summary>"2.50×"; "∞ (0)" when the task was at the threshold before training in the sequence (zero-shot); "—" when unknown.</summary>
    private static string SpeedUp(double? speedUp) => speedUp switch
    {
        null => "—",
        double.PositiveInfinity => "∞ (0)",
        { } up => up.ToString("F2", CultureInfo.InvariantCulture) + "×",
    };
}

/// <summary>The arguments of <c>mtrl transfer</c>.</summary>
internal sealed record TransferRequest(
    string File, string Environment, IReadOnlyList<string> Compare, double? Threshold, string Metric, string? ReturnRange, long? StepsPerTask,
    int Environments, long? Seed, int Threads, long? EvalEvery, int EvalEpisodes, string? RunsDir, bool NoScratch)
{
    /// <summary>The most transitions per task (the spec's limit for steps).</summary>
    public const long MaxStepsPerTask = 1_000_000_000_000;

    /// <summary>The same agent and run settings as <c>mtrl train</c> would take them.</summary>
    public TrainRequest ToTrainRequest() => new(File, Environment, null, Environments, null, Seed, Threads, null, null)
    {
        RunsDir = RunsDir,
        EvalEvery = EvalEvery,
        EvalEpisodes = EvalEpisodes,
    };

    /// <summary>The first argument out of range, named with its range; null if all are fine.</summary>
    public string? Check()
    {
        if (Metric is not ("return" or "success")) return $"--metric must be return or success; found '{Metric}'";
        if (Threshold is { } threshold && !double.IsFinite(threshold)) return $"--threshold must be a finite number; found {threshold}";
        if (StepsPerTask is < 1 or > MaxStepsPerTask) return $"--steps-per-task must be in [1, {MaxStepsPerTask}]; found {StepsPerTask}";
        if (EvalEvery is < 0) return $"--eval-every must be at least 0 (0: only at each stage's end); found {EvalEvery}";
        if (ReturnRange is { } range)
        {
            if (Metric == "success") return "--return-range applies to --metric return only";
            var parts = range.Split(':');
            if (parts.Length != 2
                || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var low)
                || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var high)
                || !double.IsFinite(low) || !double.IsFinite(high) || low >= high)
            {
                return $"--return-range must be LO:HI with finite LO < HI; found '{range}'";
            }
        }
        foreach (var spec in Compare)
        {
            if (spec.Trim().Length == 0) return "--compare must name a spec file; found an empty path";
        }
        return ToTrainRequest().Check();
    }
}
