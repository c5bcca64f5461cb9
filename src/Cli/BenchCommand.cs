using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using Mtrl.Runs;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Profiling;

namespace Mtrl.Cli;

/// <summary>
/// <c>mtrl bench SPEC --env NAME</c>: a whole training run timed phase by phase — acting,
/// environment steps, replay, each forward and backward pass, the optimizer — without
/// evaluations, checkpoints or logs, so its transitions/s compare with a peer's training loop.
/// </summary>
internal static class BenchCommand
{
    /// <summary>Transitions measured when --steps is not given.</summary>
    public const long DefaultSteps = 20_000;

    /// <summary>Transitions trained before the measurement beyond the spec's warm-up (JIT, caches, a replay with updates).</summary>
    public const long DefaultExtraWarmup = 2_000;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var file = new Argument<string>("file") { Description = "The spec whose agent to train (.mtrl)." };
        var environment = new Option<string>("--env") { Description = $"The environment: {string.Join(", ", TrainingEnvironments.Names)}.", Required = true };
        var agent = new Option<string?>("--agent") { Description = "Which agent of the spec (needed when it declares several)." };
        var environments = new Option<int>("--envs") { Description = "Environments stepped together (1–65,536).", DefaultValueFactory = _ => 8, CustomParser = TrainCommand.Integer("--envs", 1, TrainRequest.MaxEnvironments) };
        var steps = new Option<long?>("--steps") { Description = $"Transitions to measure (default {DefaultSteps:N0}).", CustomParser = TrainCommand.NullableInteger("--steps", 1) };
        var warmup = new Option<long?>("--warmup") { Description = $"Transitions trained before measuring (default: the spec's warm-up + {DefaultExtraWarmup:N0}).", CustomParser = TrainCommand.NullableInteger("--warmup", 0) };
        var seed = new Option<long?>("--seed") { Description = "Seed (default: the spec's seed).", CustomParser = TrainCommand.NullableInteger("--seed", 0) };
        var threads = new Option<int>("--threads") { Description = "Worker threads (1 to the number of cores).", DefaultValueFactory = _ => 1, CustomParser = TrainCommand.Integer("--threads", 1, System.Environment.ProcessorCount) };
        var precision = new Option<string?>("--precision") { Description = MatrixPrecision.Description, HelpName = "fp32|bf16" };
        var json = new Option<bool>("--json") { Description = "Print the measurement as JSON instead of a table." };
        var command = new Command("bench", "Time a whole training run phase by phase (no evaluation, checkpoints or logs).")
        {
            file, environment, agent, environments, steps, warmup, seed, threads, precision, json,
        };
        command.SetAction((parse, cancellation) =>
        {
            using var stop = StopSignals.Listen(cancellation);
            return System.Threading.Tasks.Task.FromResult(Run(
                new BenchRequest(parse.GetValue(file)!, parse.GetValue(environment)!, parse.GetValue(agent), parse.GetValue(environments),
                    parse.GetValue(steps) ?? DefaultSteps, parse.GetValue(warmup), parse.GetValue(seed), parse.GetValue(threads), parse.GetValue(json))
                { Precision = parse.GetValue(precision) },
                output, error, stop.Token));
        });
        return command;
    }

    public static int Run(BenchRequest request, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        if (request.Check() is { } problem)
        {
            error.WriteLine($"mtrl: error: {problem}");
            return 2;
        }
        // With --json, standard output holds only the JSON.
        var log = request.Json ? error : output;
        var agentRequest = new AgentRequest(request.File, request.Environment, request.Agent, request.Environments, request.Threads, new CartPoleSettings(null, null, null, null));
        using var session = AgentSession.Open(agentRequest, log, error, out var code);
        if (session is null) return code;
        if (session.IsDistillation)
        {
            error.WriteLine($"mtrl: error: bench does not load teachers; benchmark agent '{session.Agent.Name}' with `mtrl train --teacher …` or one of its teachers' specs");
            return 2;
        }

        var specOptions = session.SpecOptions;
        var warmup = request.Warmup ?? specOptions.Warmup + DefaultExtraWarmup;
        var options = specOptions with
        {
            Steps = warmup + request.Steps,
            Seed = request.Seed is { } given ? (ulong)given : specOptions.Seed,
            Gemm = MatrixPrecision.Backend(request.Precision),
        };
        var environment = session.CreateEnvironment(error);
        if (environment is null) return 2;
        var trainer = session.IsSequential
            // The first stage outlasts the measurement, so no stage-end evaluation falls into it.
            ? session.CreateSequentialTrainer(options, session.SpecSequentialOptions with { Seed = options.Seed, StepsPerTask = 2 * options.Steps, EvaluateEvery = 0 }, out var trainerProblem)
            : session.CreateTrainer(environment, options, out trainerProblem);
        if (trainer is null)
        {
            error.WriteLine($"mtrl: error: {trainerProblem}");
            return 2;
        }

        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"warming up for {warmup:N0} transitions, then measuring {request.Steps:N0} in {request.Environments} × {request.Environment}, {request.Threads} thread(s), {request.Precision ?? MatrixPrecision.Float32} products"));
        trainer.Train(warmup, cancellation);
        var profile = new TrainingProfile();
        trainer.Profile = profile;
        var transitions = trainer.Transitions;
        var updates = trainer.Updates;
        var clock = Stopwatch.StartNew();
        trainer.Train(warmup + request.Steps, cancellation);
        clock.Stop();
        trainer.Profile = null;
        if (cancellation.IsCancellationRequested)
        {
            error.WriteLine("mtrl: stopped before the measurement ended; nothing reported");
            return 130;
        }

        var result = BenchResult.Of(profile, clock.Elapsed, trainer.Transitions - transitions, trainer.Updates - updates, MachineFacts.Current(), request);
        if (request.Json)
        {
            output.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
        }
        else
        {
            result.Write(output);
        }
        return 0;
    }
}

/// <summary>What <c>mtrl bench</c> measures.</summary>
internal sealed record BenchRequest(string File, string Environment, string? Agent, int Environments, long Steps, long? Warmup, long? Seed, int Threads, bool Json)
{
    /// <summary><c>--precision</c>: fp32 or bf16 matrix products; null for fp32.</summary>
    public string? Precision { get; init; }

    /// <summary>The first argument out of range, as one line naming it and its range; null when all fit.</summary>
    public string? Check()
    {
        if (Environments is < 1 or > TrainRequest.MaxEnvironments) return $"--envs must be in [1, {TrainRequest.MaxEnvironments}]; found {Environments}";
        if (Steps < 1) return $"--steps must be an integer in [1, {long.MaxValue}]; found {Steps}";
        if (Warmup < 0) return $"--warmup must be an integer in [0, {long.MaxValue}]; found {Warmup}";
        if (Seed < 0) return $"--seed must be an integer in [0, {long.MaxValue}]; found {Seed}";
        if (Threads < 1 || Threads > System.Environment.ProcessorCount) return $"--threads must be in [1, {System.Environment.ProcessorCount}]; found {Threads}";
        return MatrixPrecision.Check(Precision);
    }
}

/// <summary>One phase's share of a benchmarked run.</summary>
/// <param name="Phase">Its label (<see cref="TrainingProfile.Label"/>).</param>
/// <param name="Seconds">Time spent in it.</param>
/// <param name="Share">Of the run's wall time.</param>
/// <param name="Calls">Times it ran.</param>
/// <param name="MicrosecondsPerUpdate">Its time divided by the updates made (0 without updates).</param>
internal sealed record BenchPhase(string Phase, double Seconds, double Share, long Calls, double MicrosecondsPerUpdate);

/// <summary>A benchmarked run: throughput and where its time went.</summary>
internal sealed record BenchResult(
    string Spec, string Environment, int Environments, int Threads, string Precision, string Cpu, bool Avx512,
    long Transitions, long Updates, double Seconds, double TransitionsPerSecond, double UpdatesPerSecond,
    double UpdateMilliseconds, BenchPhase[] Phases)
{
    /// <summary>Phases of an update (from sampling to the target update); <see cref="UpdateMilliseconds"/> is their time per update.</summary>
    private static readonly TrainingPhase[] UpdatePhases = Enum.GetValues<TrainingPhase>()
        .Where(p => p is not (TrainingPhase.Act or TrainingPhase.EnvironmentStep or TrainingPhase.Store)).ToArray();

    public static BenchResult Of(TrainingProfile profile, TimeSpan wall, long transitions, long updates, MachineFacts machine, BenchRequest request)
    {
        var seconds = wall.TotalSeconds;
        var phases = Enum.GetValues<TrainingPhase>()
            .Where(p => profile.Calls(p) > 0)
            .Select(p => Phase(TrainingProfile.Label(p), profile.Time(p).TotalSeconds, profile.Calls(p)))
            .Append(Phase("other", Math.Max(0, seconds - profile.Total.TotalSeconds), 0))
            .ToArray();
        var updateSeconds = UpdatePhases.Sum(p => profile.Time(p).TotalSeconds);
        return new BenchResult(request.File, request.Environment, request.Environments, request.Threads, request.Precision ?? MatrixPrecision.Float32, machine.Cpu, machine.Avx512,
            transitions, updates, seconds, transitions / seconds, updates / seconds, updates > 0 ? 1e3 * updateSeconds / updates : 0, phases);

        BenchPhase Phase(string label, double time, long calls) =>
            new(label, time, seconds > 0 ? time / seconds : 0, calls, updates > 0 ? 1e6 * time / updates : 0);
    }

    public void Write(TextWriter output)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Transitions:N0} transitions and {Updates:N0} updates in {Seconds:F2} s: {TransitionsPerSecond:N0} transitions/s, {UpdatesPerSecond:N0} updates/s; " +
            $"{UpdateMilliseconds:F3} ms in each update ({(Updates > 0 ? 1e3 * Seconds / Updates : 0):F3} ms of the whole run per update)"));
        output.WriteLine($"cpu {Cpu}{(Avx512 ? " (AVX-512)" : "")}, {Threads} thread(s), {Precision} products");
        var table = new TextTable("phase", "seconds", "share", "calls", "µs per update").AlignRight(1, 2, 3, 4);
        foreach (var phase in Phases)
        {
            table.Add(phase.Phase, phase.Seconds.ToString("F3", CultureInfo.InvariantCulture), phase.Share.ToString("P1", CultureInfo.InvariantCulture),
                phase.Calls == 0 ? "" : phase.Calls.ToString("N0", CultureInfo.InvariantCulture), phase.MicrosecondsPerUpdate.ToString("F1", CultureInfo.InvariantCulture));
        }
        table.Write(output, "  ");
    }
}
