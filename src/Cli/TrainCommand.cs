using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;
using Mtrl.Cli.Devices;
using Mtrl.Cli.InProcess;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Semantics;
using Mtrl.Kernels;
using Mtrl.Runs;
using Mtrl.Runs.Metrics;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Evaluation;
using Mtrl.Runtime.Replay;
using Mtrl.Runtime.Transfer;
using Spectre.Console;

namespace Mtrl.Cli;

/// <summary>
/// <c>mtrl train SPEC --env NAME</c>: generates the agent in-process (the same generator a build
/// runs), compiles and loads it (cached by spec hash), builds its trainer with the generated
/// factory, trains in a built-in vectorized environment and prints progress; <c>--save</c>
/// writes a checkpoint at the end or on Ctrl+C.
/// </summary>
internal static class TrainCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var file = new Argument<string?>("file") { Description = "The spec whose agent to train (.mtrl); not with --resume.", Arity = ArgumentArity.ZeroOrOne };
        var environment = new Option<string?>("--env") { Description = $"The environment: {string.Join(", ", TrainingEnvironments.Names)} (required unless --resume)." };
        var resume = new Option<string?>("--resume") { Description = "Continue the run in this run directory from its newest checkpoint, exactly as if it had not stopped.", HelpName = "RUN_DIR" };
        var agent = new Option<string?>("--agent") { Description = "Which agent of the spec (needed when it declares several)." };
        var environments = new Option<int>("--envs") { Description = "Environments stepped together (1–65,536).", DefaultValueFactory = _ => 8, CustomParser = Integer("--envs", 1, TrainRequest.MaxEnvironments) };
        var steps = new Option<long?>("--steps") { Description = "Transitions to train for (default: the spec's steps).", CustomParser = NullableInteger("--steps", 1) };
        var seed = new Option<long?>("--seed") { Description = "Seed (default: the spec's seed).", CustomParser = NullableInteger("--seed", 0) };
        var threads = new Option<int>("--threads") { Description = "Worker threads (1 to the number of cores).", DefaultValueFactory = _ => 1, CustomParser = Integer("--threads", 1, System.Environment.ProcessorCount) };
        var logEvery = new Option<long?>("--log-every") { Description = "Transitions between progress lines (default: a twentieth of the run).", CustomParser = NullableInteger("--log-every", 1) };
        var save = new Option<string?>("--save") { Description = "Write a checkpoint (parameters, target, optimizer, counters) here when training ends." };
        var runsDir = new Option<string?>("--runs-dir") { Description = "Where run directories go (default: $MTRL_RUNS_DIR, else ./runs)." };
        var evalEvery = new Option<long?>("--eval-every") { Description = "Transitions between greedy evaluations of every task (default: a tenth of the run; 0: only at the end).", CustomParser = NullableInteger("--eval-every", 0) };
        var evalEpisodes = new Option<int>("--eval-episodes") { Description = $"Episodes per task in each evaluation (1–{TrainRequest.MaxEvalEpisodes:N0}).", DefaultValueFactory = _ => 10, CustomParser = Integer("--eval-episodes", 1, TrainRequest.MaxEvalEpisodes) };
        var checkpointEvery = new Option<long?>("--checkpoint-every") { Description = "Transitions between checkpoints in the run directory (default: a fifth of the run; 0: only at the end).", CustomParser = NullableInteger("--checkpoint-every", 0) };
        var keepCheckpoints = new Option<int>("--keep-checkpoints") { Description = $"How many of the newest checkpoints to keep (1–{TrainRequest.MaxKeptCheckpoints}).", DefaultValueFactory = _ => 3, CustomParser = Integer("--keep-checkpoints", 1, TrainRequest.MaxKeptCheckpoints) };
        var onNonFinite = new Option<string>("--on-nonfinite") { Description = "NaN or ±∞ in observations, rewards, goals or actions: fail (stop, naming where) or skip (drop the step, count it).", DefaultValueFactory = _ => "fail" };
        var seeds = new Option<int>("--seeds") { Description = $"Train this many seeds one after another, from --seed upward (1–{TrainRequest.MaxSeeds}), and summarise their spread.", DefaultValueFactory = _ => 1, CustomParser = Integer("--seeds", 1, TrainRequest.MaxSeeds) };
        var massCart = new Option<string?>(CartPoleSettings.MassCartOption) { Description = "CartPole cart mass (kg), LO:HI drawn per episode or one fixed value (default 1.0).", HelpName = "LO:HI" };
        var massPole = new Option<string?>(CartPoleSettings.MassPoleOption) { Description = "CartPole pole mass (kg), LO:HI or one value (default 0.1).", HelpName = "LO:HI" };
        var poleLength = new Option<string?>(CartPoleSettings.PoleLengthOption) { Description = "CartPole half pole length (m), LO:HI or one value (default 0.5).", HelpName = "LO:HI" };
        var force = new Option<string?>(CartPoleSettings.ForceOption) { Description = "CartPole push magnitude (N), LO:HI or one value (default 10).", HelpName = "LO:HI" };
        var initFrom = new Option<string?>("--init-from") { Description = "Fine-tune: start from this checkpoint's parameters (a checkpoint file, or a run directory's newest checkpoint); another layout loads the slices whose name and shape agree.", HelpName = "CHECKPOINT_OR_RUN" };
        var freeze = new Option<string[]>("--freeze") { Description = "Parameter slices to keep unchanged, added to the spec's freeze: networks, blocks or nodes such as encoder,q.h (see mtrl describe).", HelpName = "NAMES", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var task = new Option<int?>("--task") { Description = "Learn only this task of the environment's suite (a single-task agent learns it as its task 0; e.g. a distillation teacher).", CustomParser = NullableInt("--task") };
        var precision = new Option<string?>("--precision") { Description = MatrixPrecision.Description, HelpName = "fp32|bf16" };
        var device = new Option<string>("--device")
        {
            Description = "Where training runs: cpu (the CPU kernels), or an ILGPU device — cuda, opencl, or ilgpu-cpu (ILGPU's CPU emulator, for checks). Devices train DQN with a plain MLP in cartpole or bitflip.",
            DefaultValueFactory = _ => "cpu",
        };
        var teacher = new Option<string[]>("--teacher") { Description = "A distillation's teachers: run directories (their newest checkpoint) or checkpoints in one, one per task in task order, or one for all.", HelpName = "RUN", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var command = new Command("train", "Train a spec's agent in a built-in environment, generating and compiling it in-process.")
        {
            task, teacher, device,
            file, environment, agent, environments, steps, seed, threads, logEvery, save,
            runsDir, evalEvery, evalEpisodes, checkpointEvery, keepCheckpoints, seeds, onNonFinite, resume,
            massCart, massPole, poleLength, force, initFrom, freeze, precision,
        };
        command.SetAction((parse, cancellation) =>
        {
            using var stop = StopSignals.Listen(cancellation);
            return System.Threading.Tasks.Task.FromResult(Run(new TrainRequest(
            parse.GetValue(file) ?? "", parse.GetValue(environment) ?? "", parse.GetValue(agent), parse.GetValue(environments), parse.GetValue(steps),
            parse.GetValue(seed), parse.GetValue(threads), parse.GetValue(logEvery), parse.GetValue(save),
            new CartPoleSettings(parse.GetValue(massCart), parse.GetValue(massPole), parse.GetValue(poleLength), parse.GetValue(force)))
        {
            RunsDir = parse.GetValue(runsDir),
            EvalEvery = parse.GetValue(evalEvery),
            EvalEpisodes = parse.GetValue(evalEpisodes),
            CheckpointEvery = parse.GetValue(checkpointEvery),
            KeepCheckpoints = parse.GetValue(keepCheckpoints),
            Seeds = parse.GetValue(seeds),
            OnNonFinite = parse.GetValue(onNonFinite)!,
            Resume = parse.GetValue(resume),
            InitFrom = parse.GetValue(initFrom),
            Task = parse.GetValue(task),
            Teachers = parse.GetValue(teacher) ?? Array.Empty<string>(),
            Freeze = parse.GetValue(freeze) ?? Array.Empty<string>(),
            Precision = parse.GetValue(precision),
            Device = parse.GetValue(device)!,
        }, output, error, stop.Token));
        });
        return command;
    }

    /// <summary>
    /// A parser for an int option that names the option and its range when the text is not an
    /// integer or does not fit (the default message names a .NET type instead); the range itself
    /// is checked by <see cref="TrainRequest.Check"/> so that in-process callers get it too.
    /// </summary>
    internal static Func<System.CommandLine.Parsing.ArgumentResult, int> Integer(string option, int min, int max) => result =>
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)) return value;
        result.AddError($"{option} must be an integer in [{min}, {max}]; found '{text}'");
        return 0;
    };

    /// <summary>As <see cref="Integer"/>, for an optional int whose range <see cref="TrainRequest.Check"/> decides.</summary>
    private static Func<System.CommandLine.Parsing.ArgumentResult, int?> NullableInt(string option) => result =>
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)) return value;
        result.AddError($"{option} must be an integer; found '{text}'");
        return null;
    };

    /// <summary>As <see cref="Integer"/>, for an optional finite real number.</summary>
    internal static Func<System.CommandLine.Parsing.ArgumentResult, double?> NullableReal(string option) => result =>
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)) return value;
        result.AddError($"{option} must be a finite number; found '{text}'");
        return null;
    };

    /// <summary>As <see cref="Integer"/>, for an optional 64-bit option with no upper limit of its own.</summary>
    internal static Func<System.CommandLine.Parsing.ArgumentResult, long?> NullableInteger(string option, long min) => result =>
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)) return value;
        result.AddError($"{option} must be an integer in [{min}, {long.MaxValue}]; found '{text}'");
        return null;
    };

    public static int Run(TrainRequest request, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        if (request.Check() is { } problem)
        {
            error.WriteLine($"mtrl: error: {problem}");
            return 2;
        }
        // Before anything runs: a bad --save or --runs-dir found after training would cost the whole run.
        if (request.Save is { } save && OutputPaths.CheckFile("--save", save) is { } saveProblem)
        {
            error.WriteLine($"mtrl: error: {saveProblem}");
            return 2;
        }
        if (OutputPaths.CheckDirectory("--runs-dir", request.RunsRoot) is { } runsProblem)
        {
            error.WriteLine($"mtrl: error: {runsProblem}");
            return 2;
        }
        if (request.Resume is { } resumeDirectory) return Resume(request, resumeDirectory, output, error, cancellation);
        // Before compiling: a missing or damaged checkpoint found after it would waste the wait.
        InitialCheckpoint? initial = null;
        if (request.InitFrom is { } initFrom && (initial = LoadInitial(initFrom, error)) is null) return 1;
        using var session = AgentSession.Open(request.ToAgentRequest(), output, error, out var code);
        if (session is null) return code;
        if (LoadTeachers(request, session, output, error) is { } teacherCode) return teacherCode;

        var specOptions = session.SpecOptions;
        if (ResolveFreeze(session.Agent, specOptions.Freeze, request.FreezeArguments, out var freezeProblem) is not { } frozen)
        {
            error.WriteLine($"mtrl: error: --freeze: {freezeProblem}");
            return 2;
        }
        // Before the run directory: a spec the device cannot run, or a device that is not there, is one line.
        IDisposable? device = null;
        if (DeviceSupport.IsDevice(request.Device))
        {
            if (DeviceSupport.Check(session.Agent, request.Environment, specOptions with { NonFinite = request.NonFinitePolicy, Freeze = frozen }) is { } unsupported)
            {
                error.WriteLine($"mtrl: error: --device {request.Device} cannot train agent '{session.Agent.Name}': {unsupported}");
                return 2;
            }
            if ((device = DeviceTraining.Open(request.Device, error, out var description)) is null) return 2;
            output.WriteLine($"device {description}");
        }
        using var deviceScope = device;
        var sequential = session.IsSequential ? SequentialFor(request, session) : null;
        var steps = sequential is not null ? session.Agent.Tasks * StageBudget(sequential, request.Environments) : request.Steps ?? specOptions.Steps;
        var baseSeed = request.Seed is { } given ? (ulong)given : specOptions.Seed;
        var schedule = request.ScheduleFor(steps);
        if (sequential is not null) schedule = schedule with { EvalEvery = sequential.EvaluateEvery };
        var started = DateTimeOffset.UtcNow;
        var name = $"{RunName(request.File)}-{session.Agent.Name}-{started.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}";
        string root;
        try
        {
            root = request.Seeds == 1 ? request.RunsRoot : RunDirectory.CreatePlain(request.RunsRoot, name);
        }
        catch (RunDirectoryException exception)
        {
            error.WriteLine($"mtrl: error: {exception.Message}");
            return 1;
        }

        var finals = new List<(ulong Seed, EvaluationResult Result)>();
        ITrainer? last = null;
        for (var k = 0; k < request.Seeds && !cancellation.IsCancellationRequested; k++)
        {
            var seed = baseSeed + (ulong)k;
            var options = specOptions with { Steps = steps, Seed = seed, NonFinite = request.NonFinitePolicy, Freeze = frozen, Gemm = MatrixPrecision.Backend(request.Precision) };
            var environment = session.CreateEnvironment(error);
            var evaluation = session.CreateEnvironment(error);
            if (environment is null || evaluation is null) return 2;
            var trainer = sequential is null
                // On a device the CPU trainer is a shell whose replay is never filled: one row per environment.
                ? session.CreateTrainer(environment, device is null ? options : options with { ReplayCapacity = request.Environments }, out var trainerProblem)
                : session.CreateSequentialTrainer(options, sequential with { Seed = seed }, out trainerProblem);
            if (trainer is not null && device is not null)
            {
                trainer = DeviceTraining.CreateTrainer(device, trainer, environment, options, session.Agent, out trainerProblem);
            }
            if (trainer is null)
            {
                error.WriteLine($"mtrl: error: {trainerProblem}");
                return 2;
            }
            // A device trainer holds device memory: the previous seed's is released once this one exists.
            (last as IDisposable)?.Dispose();
            last = null;
            FineTuneResult? loaded = null;
            if (initial is not null)
            {
                try
                {
                    loaded = trainer.InitializeFrom(initial.Checkpoint);
                }
                catch (Exception exception) when (exception is CheckpointException or NotSupportedException)
                {
                    error.WriteLine($"mtrl: error: --init-from: {initial.Path} cannot initialise agent '{session.Agent.Name}': {CliApp.OneLine(exception.Message)}");
                    return 1;
                }
                if (k == 0) output.WriteLine($"initialised from {initial.Path}: {loaded.Summary()}");
            }
            RunDirectory run;
            try
            {
                run = RunDirectory.Create(root, request.Seeds == 1 ? name : string.Create(CultureInfo.InvariantCulture, $"seed-{seed}"), session.SpecText,
                    Manifest(request, session, options, schedule, started) with { FineTune = FineTuneRecordOf(initial, loaded, frozen, request.FreezeArguments) });
            }
            catch (RunDirectoryException exception)
            {
                error.WriteLine($"mtrl: error: {exception.Message}");
                return 1;
            }
            output.WriteLine($"run {run.Path}");
            using var recorder = new RunRecorder(run, schedule, evaluation, new EvaluationOptions().Seed, environment.SuccessSignal,
                evaluatedTasks: request.ToAgentRequest().EvaluatedTasks(session.Agent));
            if (!Train(trainer, recorder, output, error, cancellation)) return 1;
            if (recorder.LastEvaluation is { } final) finals.Add((seed, final));
            last = trainer;
        }
        if (request.Seeds > 1 && finals.Count > 0) WriteSeedSummary(finals, root, output);
        try
        {
            return request.Save is null || last is null ? 0 : Save(last, request.Save, output, error);
        }
        finally
        {
            (last as IDisposable)?.Dispose();
        }
    }

    /// <summary>
    /// <c>--resume RUN_DIR</c>: rebuilds the run's agent and environments from its manifest and spec
    /// copy, checks the training settings come out as recorded, restores the newest checkpoint and
    /// its replay buffer, rewinds the metrics to it and trains on to the run's end (or a new
    /// <c>--steps</c>); the metrics then match an uninterrupted run's record for record.
    /// </summary>
    private static int Resume(TrainRequest request, string directory, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        RunDirectory run;
        RunManifest manifest;
        (long Transitions, string Path) latest;
        try
        {
            run = RunDirectory.Open(directory);
            manifest = run.ReadManifest();
            latest = run.LatestCheckpoint() ?? throw new RunDirectoryException($"{run.CheckpointDirectory} holds no checkpoint to resume from");
        }
        catch (RunDirectoryException exception)
        {
            error.WriteLine($"mtrl: error: {exception.Message}");
            return 1;
        }
        if (manifest.EnvironmentOptions.TryGetValue(DeviceSupport.ManifestKey, out var trainedOn))
        {
            error.WriteLine($"mtrl: error: {run.Path} trained on --device {trainedOn}, whose replay and environments lived on the device, so it cannot be resumed; start a new run (--init-from {run.Path} takes its parameters)");
            return 1;
        }
        var replay = RunDirectory.ReplayFileOf(latest.Path);
        if (!System.IO.File.Exists(replay))
        {
            error.WriteLine($"mtrl: error: {latest.Path} has no replay buffer beside it ({Path.GetFileName(replay)}), so the run cannot be resumed exactly");
            return 1;
        }
        if (manifest.EnvironmentOptions.ContainsKey(ScratchOrderKey))
        {
            error.WriteLine($"mtrl: error: {run.Path} is a from-scratch baseline of mtrl transfer (one stage of a reordered schedule), which --resume cannot continue; run mtrl transfer again");
            return 1;
        }
        var steps = request.Steps ?? manifest.Run.Steps;
        if (steps < latest.Transitions)
        {
            error.WriteLine($"mtrl: error: --steps must be at least the {latest.Transitions:N0} transitions the run has reached; found {steps:N0}");
            return 2;
        }

        var agentRequest = new AgentRequest(run.SpecFile, manifest.Environment, manifest.Agent, manifest.Environments, request.Threads, CartPoleSettings.FromGiven(manifest.EnvironmentOptions))
        {
            Task = RecordedTask(manifest),
        };
        using var session = AgentSession.Open(agentRequest, output, error, out var code);
        if (session is null) return code;
        var teachers = RecordedTeachers(manifest);
        if (LoadTeachers(request with { Teachers = teachers }, session, output, error) is { } teacherCode) return teacherCode;
        if (session.IsSequential && steps != manifest.Run.Steps)
        {
            error.WriteLine($"mtrl: error: --steps cannot change a sequential schedule's budget ({manifest.Run.Steps:N0} transitions over its tasks) when resuming; found {steps:N0}");
            return 2;
        }
        var policy = manifest.Settings.TryGetProperty("non_finite", out var recorded) && recorded.GetString() == "skip" ? NonFinitePolicy.Skip : NonFinitePolicy.Fail;
        // Frozen slices as the run recorded them: --freeze names of the first command are not in the spec.
        var frozen = manifest.Settings.TryGetProperty("freeze", out var recordedFreeze) && recordedFreeze.ValueKind == JsonValueKind.Array
            ? recordedFreeze.EnumerateArray().Select(e => e.GetString() ?? "").ToArray()
            : session.SpecOptions.Freeze;
        // BF16 products as the run recorded them; runs without the entry used float32.
        var gemm = manifest.Settings.TryGetProperty("gemm", out var recordedGemm) && recordedGemm.GetString() == "bfloat16" ? GemmBackend.Bfloat16 : GemmBackend.Auto;
        if (gemm == GemmBackend.Bfloat16 && Gemm.Bfloat16Unavailable is { } noBf16)
        {
            error.WriteLine($"mtrl: error: {run.Path} trains with BF16 products (--precision bf16, recorded in {Path.GetFileName(run.ManifestFile)}), which cannot run here: {noBf16}");
            return 1;
        }
        var options = session.SpecOptions with { Steps = manifest.Run.Steps, Seed = manifest.Seed, NonFinite = policy, Freeze = frozen, Gemm = gemm };
        var rebuilt = JsonSerializer.Serialize(JsonSerializer.SerializeToElement(options, options.GetType(), SettingsJson));
        if (rebuilt != JsonSerializer.Serialize(manifest.Settings))
        {
            error.WriteLine($"mtrl: error: the training settings of {run.SpecFile} no longer come out as {run.ManifestFile} records them (a different tool version?); the run cannot be resumed exactly");
            return 1;
        }
        options = options with { Steps = steps };
        var environment = session.CreateEnvironment(error);
        var evaluation = session.CreateEnvironment(error);
        if (environment is null || evaluation is null) return 2;
        var trainer = session.IsSequential
            ? session.CreateSequentialTrainer(options, SequentialFor(request with { Steps = manifest.Run.Steps, EvalEvery = manifest.Run.EvalEvery, EvalEpisodes = manifest.Run.EvalEpisodes, Environments = manifest.Environments }, session) with { Seed = manifest.Seed }, out var trainerProblem)
            : session.CreateTrainer(environment, options, out trainerProblem);
        if (trainer is null)
        {
            error.WriteLine($"mtrl: error: {trainerProblem}");
            return 2;
        }
        try
        {
            trainer.Resume(CheckpointFile.Load(latest.Path));
            ReplayBufferFile.LoadInto(replay, trainer.Replay);
            var schedule = manifest.Run with { Steps = steps };
            if (schedule != manifest.Run)
            {
                run.WriteManifest(manifest with { Run = schedule, Settings = JsonSerializer.SerializeToElement(options, options.GetType(), SettingsJson) });
            }
            run.RewindMetrics(latest.Transitions, manifest.Started);
            output.WriteLine($"resuming {run.Path} from {latest.Transitions:N0} transitions");
            using var recorder = new RunRecorder(run, schedule, evaluation, new EvaluationOptions().Seed, environment.SuccessSignal, resumedAt: latest.Transitions,
                evaluatedTasks: agentRequest.EvaluatedTasks(session.Agent));
            if (!Train(trainer, recorder, output, error, cancellation)) return 1;
        }
        catch (CheckpointException exception)
        {
            error.WriteLine($"mtrl: error: cannot resume {run.Path}: {CliApp.OneLine(exception.Message)}");
            return 1;
        }
        catch (RunDirectoryException exception)
        {
            error.WriteLine($"mtrl: error: {exception.Message}");
            return 1;
        }
        return request.Save is null ? 0 : Save(trainer, request.Save, output, error);
    }

    /// <summary>
    /// A sequential schedule's settings: the spec's, with <c>--steps</c> as the whole schedule's
    /// budget split evenly over the tasks, <c>--eval-every</c> (default: a tenth of a stage) as the
    /// stage task's evaluation period and <c>--eval-episodes</c> per evaluation.
    /// </summary>
    private static SequentialOptions SequentialFor(TrainRequest request, AgentSession session)
    {
        var spec = session.SpecSequentialOptions;
        var tasks = session.Agent.Tasks;
        return SequentialFor(spec, request.Steps is { } total ? (total + tasks - 1) / tasks : spec.StepsPerTask, request.EvalEvery, request.EvalEpisodes);
    }

    /// <summary>The spec's schedule with <paramref name="perTask"/> transitions per task, the stage task evaluated every <paramref name="evalEvery"/> (default: a tenth of a stage).</summary>
    internal static SequentialOptions SequentialFor(SequentialOptions spec, long perTask, long? evalEvery, int evalEpisodes) => spec with
    {
        StepsPerTask = perTask,
        EvaluateEvery = evalEvery ?? Math.Max(perTask / 10, 1),
        Evaluation = new EvaluationOptions { EpisodesPerTask = evalEpisodes },
    };

    /// <summary>Transitions of one stage: the budget per task rounded up to whole vector steps.</summary>
    private static long StageBudget(SequentialOptions sequential, int environments) =>
        (sequential.StepsPerTask + environments - 1) / environments * environments;

    /// <summary>The spec's file name without extension, reduced to characters every file system takes.</summary>
    private static string RunName(string file)
    {
        var stem = Path.GetFileNameWithoutExtension(file);
        var safe = new string(stem.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray()).Trim('.');
        return safe.Length == 0 ? "run" : safe[..Math.Min(safe.Length, 64)];
    }

    /// <summary>The run.json environment option recording <c>--task</c>.</summary>
    private const string TaskKey = "--task";

    /// <summary>The run.json environment option recording the teachers' checkpoint files, one per line.</summary>
    private const string TeachersKey = "--teacher";

    /// <summary>The one task a run learned (<c>--task</c>), or null.</summary>
    internal static int? RecordedTask(RunManifest manifest) =>
        manifest.EnvironmentOptions.TryGetValue(TaskKey, out var task) ? int.Parse(task, CultureInfo.InvariantCulture) : null;

    /// <summary>The checkpoint files a distillation run's teachers were loaded from (none for other runs).</summary>
    internal static string[] RecordedTeachers(RunManifest manifest) =>
        manifest.EnvironmentOptions.TryGetValue(TeachersKey, out var teachers) ? teachers.Split('\n') : Array.Empty<string>();

    /// <summary>The run.json environment option that marks a from-scratch baseline of <c>mtrl transfer</c> (its task order).</summary>
    internal const string ScratchOrderKey = "--scratch-task-order";

    internal static RunManifest Manifest(TrainRequest request, AgentSession session, OffPolicyOptions options, RunSchedule schedule, DateTimeOffset started)
    {
        var settings = JsonSerializer.SerializeToElement(options, options.GetType(), SettingsJson);
        var environmentOptions = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (option, value) in request.CartPole?.Given ?? Array.Empty<(string, string)>()) environmentOptions[option] = value;
        if (request.Task is { } task) environmentOptions[TaskKey] = task.ToString(CultureInfo.InvariantCulture);
        // A device run is recorded as one, so that --resume refuses it instead of continuing with an empty replay.
        if (DeviceSupport.IsDevice(request.Device)) environmentOptions[DeviceSupport.ManifestKey] = request.Device;
        // A resumed distillation reloads the same teachers.
        if (session.TeacherCheckpoints is { Count: > 0 } teachers) environmentOptions[TeachersKey] = string.Join("\n", teachers);
        return new RunManifest(ToolVersion, request.File, session.Agent.Name, session.Algorithm, request.Environment, request.Environments,
            options.Seed, settings, schedule, environmentOptions, MachineFacts.Current(), started, System.Environment.GetCommandLineArgs().Skip(1).ToArray());
    }

    private static readonly JsonSerializerOptions SettingsJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        // An empty freeze list is left out, so runs that freeze nothing record (and resume) exactly as before it existed.
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver { Modifiers = { OmitEmptyFreeze } },
    };

    private static void OmitEmptyFreeze(System.Text.Json.Serialization.Metadata.JsonTypeInfo info)
    {
        if (!typeof(OffPolicyOptions).IsAssignableFrom(info.Type)) return;
        foreach (var property in info.Properties)
        {
            if (property.Name == "freeze") property.ShouldSerialize = (_, value) => value is IReadOnlyList<string> { Count: > 0 };
            // Float32 products are left out too, so such runs record (and resume) exactly as before the choice existed.
            if (property.Name == "gemm") property.ShouldSerialize = (_, value) => value is GemmBackend backend && backend != GemmBackend.Auto;
        }
    }

    /// <summary>The checkpoint <c>--init-from</c> names, loaded, and where it came from.</summary>
    private sealed record InitialCheckpoint(string Path, string? Run, Checkpoint Checkpoint);

    /// <summary>
    /// Loads the checkpoint of <c>--init-from</c>: a checkpoint file, or a run directory's newest
    /// checkpoint; null after one line naming the option and the problem.
    /// </summary>
    private static InitialCheckpoint? LoadInitial(string target, TextWriter error)
    {
        try
        {
            if (RunDirectory.LocateCheckpoint(target) is not var (checkpoint, run))
            {
                error.WriteLine($"mtrl: error: --init-from must name a checkpoint file or a run directory; '{target}' is neither");
                return null;
            }
            var path = Path.GetFullPath(checkpoint);
            return new InitialCheckpoint(path, run?.Path, CheckpointFile.Load(path));
        }
        catch (RunDirectoryException exception)
        {
            error.WriteLine($"mtrl: error: --init-from: {CliApp.OneLine(exception.Message)}");
            return null;
        }
        catch (CheckpointException exception)
        {
            error.WriteLine($"mtrl: error: --init-from: {CliApp.OneLine(exception.Message)}");
            return null;
        }
    }

    /// <summary>
    /// A distillation's teachers from <c>--teacher</c> (one per task, or one for all); null when
    /// they loaded (or the agent is no student and none were given), else the exit code after one
    /// line on <paramref name="error"/>.
    /// </summary>
    internal static int? LoadTeachers(TrainRequest request, AgentSession session, TextWriter output, TextWriter error)
    {
        var tasks = session.Agent.Tasks;
        if (!session.IsDistillation)
        {
            if (request.Teachers.Count == 0) return null;
            error.WriteLine($"mtrl: error: --teacher applies to a distillation (train distill); agent '{session.Agent.Name}' trains with {session.Algorithm}");
            return 2;
        }
        if (request.Teachers.Count != 1 && request.Teachers.Count != tasks)
        {
            error.WriteLine($"mtrl: error: --teacher must be given once for every task ({tasks}) or once for all; found {request.Teachers.Count}");
            return 2;
        }
        var teachers = new List<IQNetwork>();
        var checkpoints = new List<string>();
        // Actor-Mimic's feature regression: each teacher's hidden layer, as wide as the student's predictor.
        var featureWidth = session.Agent.Training.Distill is { FeatureWeight: > 0 }
            ? session.Agent.Networks.FirstOrDefault(n => n.Output.Op is QValuesOp)?.Features?.Width
            : null;
        var features = featureWidth is null ? null : new List<IFeatureNetwork>();
        for (var index = 0; index < request.Teachers.Count; index++)
        {
            // One teacher for all tasks teaches every task; one per task teaches its own.
            IReadOnlyList<int> taught = request.Teachers.Count == 1 ? Enumerable.Range(0, tasks).ToArray() : new[] { index };
            if (TeacherLoader.Load(request.Teachers[index], taught, session.SpecOptions.BatchSize, output, error, featureWidth) is not { } teacher) return 1;
            teachers.Add(teacher.Network);
            checkpoints.Add(teacher.Checkpoint);
            if (teacher.Features is { } teacherFeatures) features!.Add(teacherFeatures);
        }
        session.Teachers = teachers;
        session.TeacherFeatures = features;
        // The checkpoints themselves, so a resumed run reloads exactly these even if the teachers' runs went on.
        session.TeacherCheckpoints = checkpoints;
        return null;
    }

    /// <summary>
    /// The spec's frozen prefixes followed by those <c>--freeze</c> names resolve to (the spec's rule,
    /// <see cref="FreezeNames"/>), each once; null when a name matches no slice or everything would be frozen.
    /// </summary>
    private static IReadOnlyList<string>? ResolveFreeze(AgentModel agent, IReadOnlyList<string> spec, IReadOnlyList<string> names, out string problem)
    {
        problem = "";
        var prefixes = new List<string>(spec);
        foreach (var name in names)
        {
            if (FreezeNames.Resolve(agent, name, out problem) is not { } prefix) return null;
            if (!prefixes.Contains(prefix)) prefixes.Add(prefix);
        }
        if (names.Count > 0 && FreezeNames.NothingLeftToTrain(agent, prefixes) is { } everything)
        {
            problem = everything;
            return null;
        }
        return prefixes;
    }

    private static FineTuneRecord? FineTuneRecordOf(InitialCheckpoint? initial, FineTuneResult? loaded, IReadOnlyList<string> frozen, IReadOnlyList<string> freezeOption)
    {
        if (initial is null && frozen.Count == 0) return null;
        long? transitions = initial is not null && initial.Checkpoint.Counters.TryGetValue("transitions", out var at) ? at : null;
        return new FineTuneRecord(initial?.Path, initial?.Run, transitions, loaded?.SameLayout ?? false, loaded?.Loaded.Count ?? 0,
            loaded?.Skipped.Select(s => s.ToString()).ToArray() ?? Array.Empty<string>(), frozen.ToArray(), freezeOption.ToArray());
    }

    /// <summary><c>mtrl VERSION</c> from the build.</summary>
    internal static string ToolVersion =>
        "mtrl " + (typeof(TrainCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown");

    /// <summary>Trains to <paramref name="until"/> (default: the trainer's target), printing progress and recording the run; false (after one line on <paramref name="error"/>) if training failed.</summary>
    internal static bool Train(ITrainer trainer, RunRecorder recorder, TextWriter output, TextWriter error, CancellationToken cancellation, long? until = null)
    {
        var total = until ?? trainer.TargetTransitions;
        var manifest = recorder.Run.ReadManifest();
        output.WriteLine($"training for {total.ToString("N0", CultureInfo.InvariantCulture)} transitions in {manifest.Environments} × {manifest.Environment}, seed {manifest.Seed}");
        output.WriteLine($"{"transitions",12} {"episodes",9} {"return",9} {"success",8} {"length",7} {"loss",10} {"steps/s",10}");
        var trained = ProgressSink.IsTerminal(output)
            ? LiveProgress.Show(AnsiConsole.Console, total, trainer.Transitions, live => TrainLoop(trainer, total, recorder, live, error, cancellation))
            : TrainLoop(trainer, total, recorder, new PlainProgress(output), error, cancellation);
        if (!trained) return false;
        if (cancellation.IsCancellationRequested)
        {
            // Stopped (Ctrl+C, SIGTERM): a checkpoint where training got to, so --resume continues from here.
            recorder.CheckpointNow(trainer);
            output.WriteLine($"stopped at {trainer.Transitions:N0} transitions; checkpoint in {recorder.Run.CheckpointDirectory}");
        }
        if (trainer is SequentialTrainer { Results.Count: > 0 } sequential)
        {
            StageTable.Write(sequential, output);
            StageTable.Save(sequential, recorder.Run.Path);
        }
        else if (recorder.LastEvaluation is { } final)
        {
            EvaluationReport.WriteTable(final, recorder.Schedule.EvalEpisodes, output);
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wall time {recorder.Elapsed.TotalSeconds:F0} s; metrics, TensorBoard events and checkpoints in {recorder.Run.Path}"));
        return true;
    }

    /// <summary>Steps the trainer from stop to stop (log, evaluation, checkpoint, display) until the run's end or cancellation.</summary>
    private static bool TrainLoop(ITrainer trainer, long total, RunRecorder recorder, ProgressSink progress, TextWriter error, CancellationToken cancellation)
    {
        var refresh = progress.RefreshEvery(total);
        var skipped = (Updates: 0L, Transitions: 0L);
        while (trainer.Transitions < total && !cancellation.IsCancellationRequested)
        {
            var next = recorder.NextStop(trainer.Transitions);
            if (refresh > 0) next = Math.Min(next, RunRecorder.NextMultiple(trainer.Transitions, refresh, total));
            try
            {
                trainer.Train(next, cancellation);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Bad data from the environment or a numerical failure: what happened and where, then stop.
                error.WriteLine($"mtrl: error: training stopped at {trainer.Transitions:N0} transitions: {CliApp.OneLine(exception.Message)}");
                return false;
            }
            // Also when stopped: what fell due at this point is written as an uninterrupted run would.
            var report = recorder.Report(trainer, final: trainer.Transitions >= total);
            if (report.Logged is { } logged)
            {
                progress.Line(LogLine(logged[0]));
                if (SkippedLine(trainer, ref skipped) is { } note) progress.Line(note);
            }
            if (report.Evaluated is { } evaluated) progress.Line(EvaluationLine(evaluated));
            // A sequential schedule's evaluations in order, each saying whether it is a curve point of its stage's task or a stage's end.
            foreach (var stage in report.Stages) progress.Line(StageTable.Line(stage));
            progress.Tick(trainer, recorder.LastEvaluation);
        }
        return true;
    }

    /// <summary>A note under the progress line when the non-finite data policy skipped something since the last one.</summary>
    private static string? SkippedLine(ITrainer trainer, ref (long Updates, long Transitions) before)
    {
        var now = (trainer.SkippedUpdates, trainer.SkippedTransitions);
        if (now == before) return null;
        var last = trainer.LastNonFinite is { } value ? $"; last: {value}" : "";
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{"skipped",12} {now.SkippedUpdates - before.Updates:N0} updates (non-finite loss or gradient) and {now.SkippedTransitions - before.Transitions:N0} transitions (non-finite data) since the last line{last}");
        before = now;
        return line;
    }

    private static string LogLine(MetricRecord run) => string.Create(CultureInfo.InvariantCulture,
        $"{run.Transitions,12:N0} {run[MetricNames.Episodes],9:N0} {run[MetricNames.Return],9:F3} {run[MetricNames.Success],8:P0} {run[MetricNames.Length],7:F1} {run[MetricNames.Loss],10:G3} {run[MetricNames.TransitionsPerSecond],10:N0}");

    private static string EvaluationLine(EvaluationResult result)
    {
        var success = result.Success;
        var returns = result.Return;
        return double.IsNaN(success.Average)
            ? string.Create(CultureInfo.InvariantCulture, $"{"eval",12} return average {returns.Average:F3}, median {returns.Median:F3}, worst {returns.Worst:F3}")
            : string.Create(CultureInfo.InvariantCulture, $"{"eval",12} success average {success.Average:P0}, median {success.Median:P0}, worst {success.Worst:P0}; return average {returns.Average:F3}");
    }

    /// <summary>Every seed's final average, median and worst task, their mean and spread, printed and written to <c>summary.json</c>.</summary>
    private static void WriteSeedSummary(List<(ulong Seed, EvaluationResult Result)> finals, string root, TextWriter output)
    {
        output.WriteLine($"{finals.Count} seeds, final greedy evaluation:");
        output.WriteLine($"{"seed",12} {"success avg",12} {"median",8} {"worst",8} {"return avg",11}");
        foreach (var (seed, result) in finals)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{seed,12} {result.Success.Average,12:P0} {result.Success.Median,8:P0} {result.Success.Worst,8:P0} {result.Return.Average,11:F3}"));
        }
        var summary = SeedSummary.Of(finals);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"mean ± sd",12} {summary.SuccessAverage.Mean,6:P0} ± {summary.SuccessAverage.StdDev:P0}  return {summary.ReturnAverage.Mean:F3} ± {summary.ReturnAverage.StdDev:F3}"));
        var path = Path.Combine(root, "summary.json");
        File.WriteAllText(path, JsonSerializer.Serialize(summary, new JsonSerializerOptions(SettingsJson) { WriteIndented = true }) + "\n");
        output.WriteLine($"wrote {path}");
    }

    private static int Save(ITrainer trainer, string path, TextWriter output, TextWriter error)
    {
        try
        {
            CheckpointFile.Save(path, trainer.CreateCheckpoint());
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"mtrl: error: cannot write the checkpoint '{path}': {exception.Message}");
            return 1;
        }
        output.WriteLine($"saved {path}");
        return 0;
    }
}

/// <summary>The arguments of <c>mtrl train</c>.</summary>
internal sealed record TrainRequest(string File, string Environment, string? Agent, int Environments, long? Steps, long? Seed, int Threads, long? LogEvery, string? Save, CartPoleSettings? CartPole = null)
{
    /// <summary>The most environments stepped together (<c>--envs</c>).</summary>
    public const int MaxEnvironments = 65_536;

    /// <summary>The most episodes per task in one evaluation (<c>--eval-episodes</c>).</summary>
    public const int MaxEvalEpisodes = 100_000;

    /// <summary>The most checkpoints kept (<c>--keep-checkpoints</c>).</summary>
    public const int MaxKeptCheckpoints = 1_000;

    /// <summary>The most seeds one command trains (<c>--seeds</c>).</summary>
    public const int MaxSeeds = 100;

    /// <summary>Where run directories go; null: <c>$MTRL_RUNS_DIR</c>, else <c>runs</c>.</summary>
    public string? RunsDir { get; init; }

    /// <summary>Transitions between evaluations; null: a tenth of the run; 0: only at the end.</summary>
    public long? EvalEvery { get; init; }

    /// <summary>Episodes per task in each evaluation.</summary>
    public int EvalEpisodes { get; init; } = 10;

    /// <summary>Transitions between checkpoints; null: a fifth of the run; 0: only at the end.</summary>
    public long? CheckpointEvery { get; init; }

    /// <summary>Checkpoints kept in the run directory.</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>Seeds trained one after another.</summary>
    public int Seeds { get; init; } = 1;

    /// <summary>A run directory to continue from its newest checkpoint (the spec and environment come from it).</summary>
    public string? Resume { get; init; }

    /// <summary>fail or skip: the non-finite data policy.</summary>
    public string OnNonFinite { get; init; } = "fail";

    /// <summary>A checkpoint file or run directory whose parameters a new run starts from (fine-tuning).</summary>
    public string? InitFrom { get; init; }

    /// <summary><c>--freeze</c> as given: names separated by commas, possibly over several occurrences.</summary>
    public IReadOnlyList<string> Freeze { get; init; } = Array.Empty<string>();

    /// <summary>The names of <see cref="Freeze"/>, split at commas and trimmed.</summary>
    public IReadOnlyList<string> FreezeArguments => Freeze.SelectMany(f => f.Split(',')).Select(n => n.Trim()).ToArray();

    /// <summary>The policy <see cref="OnNonFinite"/> names.</summary>
    public NonFinitePolicy NonFinitePolicy => OnNonFinite == "skip" ? NonFinitePolicy.Skip : NonFinitePolicy.Fail;

    /// <summary>The directory run directories go into.</summary>
    public string RunsRoot => RunsDir ?? (System.Environment.GetEnvironmentVariable("MTRL_RUNS_DIR") is { Length: > 0 } fromEnvironment ? fromEnvironment : "runs");

    /// <summary>The agent and environment part of the request.</summary>
    public AgentRequest ToAgentRequest() => new(File, Environment, Agent, Environments, Threads, CartPole ?? CartPoleSettings.None) { Task = Task };

    /// <summary><c>--precision</c>: fp32 or bf16 matrix products; null when not given (fp32, or a resumed run's own).</summary>
    public string? Precision { get; init; }
    /// <summary><c>--device</c>: cpu, or the ILGPU device to train on (cuda, opencl, ilgpu-cpu).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary><c>--task</c>: the one task of the environment's suite to learn.</summary>
    public int? Task { get; init; }

    /// <summary><c>--teacher</c>: a distillation's teachers, in task order.</summary>
    public IReadOnlyList<string> Teachers { get; init; } = Array.Empty<string>();

    /// <summary>The run's schedule for <paramref name="steps"/> transitions, defaults filled in.</summary>
    public RunSchedule ScheduleFor(long steps) => new(
        steps,
        LogEvery ?? Math.Max(steps / 20, 1),
        EvalEvery ?? Math.Max(steps / 10, 1),
        EvalEpisodes,
        CheckpointEvery ?? Math.Max(steps / 5, 1),
        KeepCheckpoints);

    /// <summary>The first argument out of range, as a message naming it and the range; null if all are fine.</summary>
    public string? Check()
    {
        if (Resume is not null)
        {
            if (Resume.Trim().Length == 0) return "--resume must name a run directory; found an empty path";
            if (InitFrom is not null)
            {
                return "--init-from starts a new run from a checkpoint's parameters, --resume continues a run from its own newest checkpoint; give one of the two (to fine-tune from a run, pass its directory to --init-from)";
            }
            if (Freeze.Count > 0) return "--freeze applies to a new run; a resumed run keeps the slices it froze when it started (recorded in its run.json)";
            if (Precision is not null) return "--precision applies to a new run; a resumed run keeps the precision it started with (recorded in its run.json)";
            if (File.Length > 0) return $"--resume takes the spec from the run directory; do not also pass one (found '{File}')";
            if (Environment.Length > 0 || Agent is not null || Seed is not null || Seeds != 1 || RunsDir is not null)
            {
                return "--resume takes the environment, agent, seed and directory from the run; only --steps (a new total), --threads, --save and the schedule options may be given";
            }
        }
        else
        {
            if (File.Length == 0) return "a spec file is required (or --resume RUN_DIR)";
            if (!TrainingEnvironments.Names.Contains(Environment)) return $"--env must be one of {string.Join(", ", TrainingEnvironments.Names)}; found '{Environment}'";
        }
        if (Environments is < 1 or > MaxEnvironments) return $"--envs must be in [1, {MaxEnvironments}]; found {Environments}";
        if (Steps is < 1) return $"--steps must be at least 1; found {Steps}";
        if (Seed is < 0) return $"--seed must be at least 0; found {Seed}";
        if (Threads < 1 || Threads > System.Environment.ProcessorCount) return $"--threads must be in [1, {System.Environment.ProcessorCount}]; found {Threads}";
        if (LogEvery is < 1) return $"--log-every must be at least 1; found {LogEvery}";
        if (EvalEvery is < 0) return $"--eval-every must be at least 0 (0: only at the end); found {EvalEvery}";
        if (EvalEpisodes is < 1 or > MaxEvalEpisodes) return $"--eval-episodes must be in [1, {MaxEvalEpisodes}]; found {EvalEpisodes}";
        if (CheckpointEvery is < 0) return $"--checkpoint-every must be at least 0 (0: only at the end); found {CheckpointEvery}";
        if (KeepCheckpoints is < 1 or > MaxKeptCheckpoints) return $"--keep-checkpoints must be in [1, {MaxKeptCheckpoints}]; found {KeepCheckpoints}";
        if (!DeviceSupport.Names.Contains(Device)) return $"--device must be one of {DeviceSupport.Allowed}; found '{Device}'";
        if (Resume is not null && DeviceSupport.IsDevice(Device)) return "--device applies to a new run; --resume continues a CPU run where it stopped (a device run cannot be resumed)";
        if (DeviceSupport.IsDevice(Device) && Precision == MatrixPrecision.Bfloat16) return $"--precision bf16 is a CPU kernel; --device {Device} trains with the device's float32 GEMM";
        if (OnNonFinite is not ("fail" or "skip")) return $"--on-nonfinite must be fail or skip; found '{OnNonFinite}'";
        if (MatrixPrecision.Check(Precision) is { } precisionProblem) return precisionProblem;
        if (Seeds is < 1 or > MaxSeeds) return $"--seeds must be in [1, {MaxSeeds}]; found {Seeds}";
        if (Task is not null && CartPole?.FirstGiven is { } physics) return $"--task picks a task of fixed physics from the suite; {physics} randomises the physics of single-task CartPole; give one or the other";
        if (Task is { } task && Resume is null && (task < 0 || task >= TrainingEnvironments.SuiteSize(Environment)))
        {
            return $"--task must be in [0, {TrainingEnvironments.SuiteSize(Environment) - 1}] for {Environment}, whose suite has {TrainingEnvironments.SuiteSize(Environment)} task(s); found {task}";
        }
        if (Seeds > 1 && Save is not null) return "--save keeps one agent, but --seeds trains several; each seed's checkpoints are in its run directory";
        if (InitFrom is not null && InitFrom.Trim().Length == 0) return "--init-from must name a checkpoint file or a run directory; found an empty path";
        if (FreezeArguments.FirstOrDefault(n => n.Length == 0) is not null)
        {
            return $"--freeze takes names separated by commas, such as encoder,q.h; found an empty name in '{string.Join(",", Freeze)}'";
        }
        if (CartPole?.FirstGiven is { } option && Environment != "cartpole") return $"{option} applies only to --env cartpole; found --env {Environment}";
        if (CartPole is not null && CartPole.ToOptions(out var cartPoleProblem) is null) return cartPoleProblem;
        return null;
    }
}
