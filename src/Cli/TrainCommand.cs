using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Threading;
using Mtrl.Cli.InProcess;
using Mtrl.Dsl.Model;
using Mtrl.Kernels;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Environments;

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
        var file = new Argument<string>("file") { Description = "The spec whose agent to train (.mtrl)." };
        var environment = new Option<string>("--env") { Description = $"The environment: {string.Join(", ", TrainingEnvironments.Names)}.", Required = true };
        var agent = new Option<string?>("--agent") { Description = "Which agent of the spec (needed when it declares several)." };
        var environments = new Option<int>("--envs") { Description = "Environments stepped together (1–65,536).", DefaultValueFactory = _ => 8, CustomParser = Integer("--envs", 1, TrainRequest.MaxEnvironments) };
        var steps = new Option<long?>("--steps") { Description = "Transitions to train for (default: the spec's steps).", CustomParser = NullableInteger("--steps", 1) };
        var seed = new Option<long?>("--seed") { Description = "Seed (default: the spec's seed).", CustomParser = NullableInteger("--seed", 0) };
        var threads = new Option<int>("--threads") { Description = "Worker threads (1 to the number of cores).", DefaultValueFactory = _ => 1, CustomParser = Integer("--threads", 1, System.Environment.ProcessorCount) };
        var logEvery = new Option<long?>("--log-every") { Description = "Transitions between progress lines (default: a twentieth of the run).", CustomParser = NullableInteger("--log-every", 1) };
        var save = new Option<string?>("--save") { Description = "Write a checkpoint (parameters, target, optimizer, counters) here when training ends." };
        var massCart = new Option<string?>(CartPoleSettings.MassCartOption) { Description = "CartPole cart mass (kg), LO:HI drawn per episode or one fixed value (default 1.0).", HelpName = "LO:HI" };
        var massPole = new Option<string?>(CartPoleSettings.MassPoleOption) { Description = "CartPole pole mass (kg), LO:HI or one value (default 0.1).", HelpName = "LO:HI" };
        var poleLength = new Option<string?>(CartPoleSettings.PoleLengthOption) { Description = "CartPole half pole length (m), LO:HI or one value (default 0.5).", HelpName = "LO:HI" };
        var force = new Option<string?>(CartPoleSettings.ForceOption) { Description = "CartPole push magnitude (N), LO:HI or one value (default 10).", HelpName = "LO:HI" };
        var command = new Command("train", "Train a spec's agent in a built-in environment, generating and compiling it in-process.")
        {
            file, environment, agent, environments, steps, seed, threads, logEvery, save, massCart, massPole, poleLength, force,
        };
        command.SetAction((parse, cancellation) => System.Threading.Tasks.Task.FromResult(Run(new TrainRequest(
            parse.GetValue(file)!, parse.GetValue(environment)!, parse.GetValue(agent), parse.GetValue(environments), parse.GetValue(steps),
            parse.GetValue(seed), parse.GetValue(threads), parse.GetValue(logEvery), parse.GetValue(save),
            new CartPoleSettings(parse.GetValue(massCart), parse.GetValue(massPole), parse.GetValue(poleLength), parse.GetValue(force))), output, error, cancellation)));
        return command;
    }

    /// <summary>
    /// A parser for an int option that names the option and its range when the text is not an
    /// integer or does not fit (the default message names a .NET type instead); the range itself
    /// is checked by <see cref="TrainRequest.Check"/> so that in-process callers get it too.
    /// </summary>
    private static Func<System.CommandLine.Parsing.ArgumentResult, int> Integer(string option, int min, int max) => result =>
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)) return value;
        result.AddError($"{option} must be an integer in [{min}, {max}]; found '{text}'");
        return 0;
    };

    /// <summary>As <see cref="Integer"/>, for an optional 64-bit option with no upper limit of its own.</summary>
    private static Func<System.CommandLine.Parsing.ArgumentResult, long?> NullableInteger(string option, long min) => result =>
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
        // Before anything runs: a bad --save found after training would cost the whole run.
        if (request.Save is { } save && OutputPaths.CheckFile("--save", save) is { } saveProblem)
        {
            error.WriteLine($"mtrl: error: {saveProblem}");
            return 2;
        }
        var (result, text) = SpecFiles.LoadWithText(request.File, error);
        if (result is null) return 1;
        foreach (var diagnostic in result.Diagnostics)
        {
            (diagnostic.IsError ? error : output).WriteLine(diagnostic.ToMsBuildString());
        }
        if (result.HasErrors)
        {
            error.WriteLine($"mtrl: {request.File} has errors; fix them to train");
            return 1;
        }
        var agent = PickAgent(result.Model, request.Agent, out var agentProblem);
        if (agent is null)
        {
            error.WriteLine($"mtrl: error: {agentProblem}");
            return 2;
        }
        if (Generators.TrainerFactoryEmitter.Unsupported(agent) is { } unsupported)
        {
            // At the train section, where the generator reports the same reason (MTRL0410).
            var train = agent.Training.Span;
            error.WriteLine($"{train.File}({train.Line},{train.Column}): error: agent '{agent.Name}' cannot be trained yet: {unsupported}");
            return 2;
        }

        using var accelerator = new CpuAccelerator(request.Threads);
        var environment = TrainingEnvironments.Create(request.Environment, agent, request.Environments, request.CartPole ?? CartPoleSettings.None, accelerator, out var environmentProblem, out var at);
        if (environment is null)
        {
            // A mismatch declared in the spec is reported where it is declared, as check reports errors.
            error.WriteLine(at is { } span
                ? $"{span.File}({span.Line},{span.Column}): error: --env {request.Environment} does not fit the spec: {environmentProblem}"
                : $"mtrl: error: {environmentProblem}");
            return 2;
        }

        var watch = Stopwatch.StartNew();
        var loaded = AgentAssemblyCache.Default().Load(request.File, text);
        if (loaded.CacheNote is { } note) error.WriteLine($"mtrl: note: {note}");
        if (loaded.Assembly is null)
        {
            foreach (var diagnostic in loaded.Diagnostics) error.WriteLine(diagnostic.ToString());
            error.WriteLine($"mtrl: internal error: the code generated for {request.File} did not compile; please report it with the spec");
            return 1;
        }
        output.WriteLine($"agent {agent.Name}: {(loaded.FromCache ? "loaded from cache" : "generated and compiled")} in {watch.Elapsed.TotalMilliseconds:F0} ms");

        var trainer = CreateTrainer(loaded.Assembly, agent, environment, request, accelerator, out var trainerProblem);
        if (trainer is null)
        {
            error.WriteLine($"mtrl: error: {trainerProblem}");
            return 2;
        }
        if (!Train(trainer, request, output, error, cancellation)) return 1;
        return request.Save is null ? 0 : Save(trainer, request.Save, output, error);
    }

    private static AgentModel? PickAgent(SpecModel model, string? name, out string problem)
    {
        problem = "";
        if (name is not null)
        {
            var named = model.Agents.FirstOrDefault(a => a.Name == name);
            if (named is null) problem = $"--agent must name an agent of the spec ({string.Join(", ", model.Agents.Select(a => a.Name))}); found '{name}'";
            return named;
        }
        if (model.Agents.Count == 1) return model.Agents[0];
        problem = model.Agents.Count == 0
            ? "the spec declares no agent"
            : $"the spec declares {model.Agents.Count} agents ({string.Join(", ", model.Agents.Select(a => a.Name))}); choose one with --agent";
        return null;
    }

    private static ITrainer? CreateTrainer(Assembly assembly, AgentModel agent, IVectorEnvironment environment, TrainRequest request, Accelerator accelerator, out string problem)
    {
        problem = "";
        var type = assembly.GetType($"{AgentCompiler.DefaultNamespace}.{agent.Name}");
        var algorithm = agent.Training.Algorithm switch { Algorithm.Sac => "Sac", Algorithm.Td3 => "Td3", _ => "Dqn" };
        var createOptions = type?.GetMethod($"Create{algorithm}Options", BindingFlags.Public | BindingFlags.Static, Type.EmptyTypes);
        var create = type?.GetMethods(BindingFlags.Public | BindingFlags.Static).FirstOrDefault(m => m.Name == "CreateTrainer" && m.GetParameters().Length == 3);
        if (createOptions is null || create is null)
        {
            problem = $"the code generated for agent '{agent.Name}' has no trainer factory (Create{algorithm}Options, CreateTrainer)";
            return null;
        }
        var options = (OffPolicyOptions)createOptions.Invoke(null, null)!;
        options = options with
        {
            Steps = request.Steps ?? options.Steps,
            Seed = request.Seed is { } seed ? (ulong)seed : options.Seed,
        };
        var environmentType = create.GetParameters()[0].ParameterType;
        if (!environmentType.IsInstanceOfType(environment))
        {
            problem = $"agent '{agent.Name}' trains with {algorithm.ToUpperInvariant()}, which needs {(agent.Action.Kind == Dsl.Model.ActionKind.Continuous ? "continuous" : "discrete")} actions; {request.Environment} does not provide them";
            return null;
        }
        try
        {
            return (ITrainer)create.Invoke(null, new object?[] { environment, options, accelerator })!;
        }
        catch (TargetInvocationException exception) when (exception.InnerException is OutOfMemoryException)
        {
            problem = $"not enough memory to build the trainer of agent '{agent.Name}' (batch {options.BatchSize:N0}, replay capacity {options.ReplayCapacity:N0}, {request.Environments:N0} environments); lower them";
            return null;
        }
        catch (TargetInvocationException exception) when (exception.InnerException is { } inner)
        {
            // The spec passed check and the environment fits it, so this is a gap in those checks;
            // it is still a sentence about the agent, not a stack trace.
            problem = $"cannot build the trainer of agent '{agent.Name}': {CliApp.OneLine(inner.Message)}";
            return null;
        }
    }

    /// <summary>Trains to the target, printing progress; false (after one line on <paramref name="error"/>) if training failed.</summary>
    private static bool Train(ITrainer trainer, TrainRequest request, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var total = trainer.TargetTransitions;
        var every = request.LogEvery ?? Math.Max(total / 20, 1);
        output.WriteLine($"training for {total.ToString("N0", CultureInfo.InvariantCulture)} transitions in {request.Environments} × {request.Environment}");
        output.WriteLine($"{"transitions",12} {"episodes",9} {"return",9} {"success",8} {"length",7} {"loss",10} {"steps/s",10}");
        var watch = Stopwatch.StartNew();
        while (trainer.Transitions < total && !cancellation.IsCancellationRequested)
        {
            var before = trainer.Transitions;
            var started = watch.Elapsed;
            try
            {
                trainer.Train(NextStop(trainer.Transitions, every, total), cancellation);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // Bad data from the environment or a numerical failure: what happened and where, then stop.
                error.WriteLine($"mtrl: error: training stopped at {trainer.Transitions:N0} transitions: {CliApp.OneLine(exception.Message)}");
                return false;
            }
            var rate = (trainer.Transitions - before) / Math.Max((watch.Elapsed - started).TotalSeconds, 1e-9);
            var episodes = trainer.Episodes;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{trainer.Transitions,12:N0} {episodes.Episodes,9:N0} {episodes.MeanReturn,9:F3} {episodes.TerminationRate,8:P0} {episodes.MeanLength,7:F1} {trainer.LastLoss,10:G3} {rate,10:N0}"));
        }
        if (cancellation.IsCancellationRequested) output.WriteLine($"stopped at {trainer.Transitions:N0} transitions");
        WriteTaskSummary(trainer.TaskEpisodes, output);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wall time {watch.Elapsed.TotalSeconds:F0} s"));
        return true;
    }

    /// <summary>The next multiple of <paramref name="every"/> after <paramref name="transitions"/>, capped at <paramref name="total"/> without overflowing.</summary>
    internal static long NextStop(long transitions, long every, long total)
    {
        var remaining = every - transitions % every;
        return remaining > total - transitions ? total : transitions + remaining;
    }

    /// <summary>
    /// Each task's last training episodes (up to 100, acting as during training), then the average,
    /// median and worst task — the numbers multi-task results are compared by.
    /// </summary>
    private static void WriteTaskSummary(ReadOnlySpan<EpisodeStatistics> tasks, TextWriter output)
    {
        if (tasks.Length < 2) return;
        output.WriteLine($"per task, over each task's last {tasks[0].Window} training episodes:");
        output.WriteLine($"{"task",12} {"episodes",9} {"return",9} {"success",8} {"length",7}");
        var returns = new double[tasks.Length];
        var successes = new double[tasks.Length];
        for (var t = 0; t < tasks.Length; t++)
        {
            var episodes = tasks[t];
            returns[t] = episodes.MeanReturn;
            successes[t] = episodes.TerminationRate;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{t,12} {episodes.Episodes,9:N0} {episodes.MeanReturn,9:F3} {episodes.TerminationRate,8:P0} {episodes.MeanLength,7:F1}"));
        }
        foreach (var (name, pick) in new (string, Func<double[], double>)[] { ("average", Average), ("median", Median), ("worst", values => values.Min()) })
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,12} {"",9} {pick(returns),9:F3} {pick(successes),8:P0}"));
        }
    }

    private static double Average(double[] values) => values.Average();

    private static double Median(double[] values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : 0.5 * (sorted[middle - 1] + sorted[middle]);
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

    /// <summary>The first argument out of range, as a message naming it and the range; null if all are fine.</summary>
    public string? Check()
    {
        if (!TrainingEnvironments.Names.Contains(Environment)) return $"--env must be one of {string.Join(", ", TrainingEnvironments.Names)}; found '{Environment}'";
        if (Environments is < 1 or > MaxEnvironments) return $"--envs must be in [1, {MaxEnvironments}]; found {Environments}";
        if (Steps is < 1) return $"--steps must be at least 1; found {Steps}";
        if (Seed is < 0) return $"--seed must be at least 0; found {Seed}";
        if (Threads < 1 || Threads > System.Environment.ProcessorCount) return $"--threads must be in [1, {System.Environment.ProcessorCount}]; found {Threads}";
        if (LogEvery is < 1) return $"--log-every must be at least 1; found {LogEvery}";
        if (CartPole?.FirstGiven is { } option && Environment != "cartpole") return $"{option} applies only to --env cartpole; found --env {Environment}";
        if (CartPole is not null && CartPole.ToOptions(out var cartPoleProblem) is null) return cartPoleProblem;
        return null;
    }
}
