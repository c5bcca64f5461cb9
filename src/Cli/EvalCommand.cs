using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using Mtrl.Runs;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Evaluation;

namespace Mtrl.Cli;

/// <summary>
/// <c>mtrl eval RUN_OR_CHECKPOINT</c>: loads a saved agent and evaluates its greedy policy on
/// every task of its environment. A run directory (or a checkpoint inside one) brings its spec,
/// agent and environment; a checkpoint saved elsewhere (<c>train --save</c>) needs them named.
/// </summary>
internal static class EvalCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var target = new Argument<string>("target") { Description = "A run directory (its newest checkpoint) or a checkpoint file." };
        var episodes = new Option<int>("--episodes") { Description = $"Episodes per task (1–{TrainRequest.MaxEvalEpisodes:N0}).", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON instead of a table." };
        var spec = new Option<string?>("--spec") { Description = "The spec, for a checkpoint outside a run directory." };
        var environment = new Option<string?>("--env") { Description = $"The environment, for a checkpoint outside a run directory: {string.Join(", ", TrainingEnvironments.Names)}." };
        var agent = new Option<string?>("--agent") { Description = "Which agent of the spec (when it declares several)." };
        var environments = new Option<int?>("--envs") { Description = "Environments stepped together (default: the run's)." };
        var seed = new Option<long>("--seed") { Description = "Seed of the evaluation episodes.", DefaultValueFactory = _ => (long)new EvaluationOptions().Seed };
        var command = new Command("eval", "Evaluate a saved agent's greedy policy on every task.") { target, episodes, json, spec, environment, agent, environments, seed };
        command.SetAction(parse => Run(new EvalRequest(parse.GetValue(target)!, parse.GetValue(episodes), parse.GetValue(json), parse.GetValue(spec),
            parse.GetValue(environment), parse.GetValue(agent), parse.GetValue(environments), parse.GetValue(seed)), output, error));
        return command;
    }

    public static int Run(EvalRequest request, TextWriter output, TextWriter error)
    {
        if (request.Check() is { } problem)
        {
            error.WriteLine($"mtrl: error: {problem}");
            return 2;
        }
        if (Locate(request, error) is not { } located) return 2;
        var (checkpointPath, agentRequest, teachers) = located;

        Checkpoint checkpoint;
        try
        {
            checkpoint = CheckpointFile.Load(checkpointPath);
        }
        catch (CheckpointException exception)
        {
            error.WriteLine($"mtrl: error: {CliApp.OneLine(exception.Message)}");
            return 1;
        }

        // With --json, standard output holds only the JSON.
        using var session = AgentSession.Open(agentRequest, request.Json ? error : output, error, out var code);
        if (session is null) return code;
        if (session.IsDistillation)
        {
            // A student acts alone, but its trainer is built with the teachers it learned from.
            if (teachers.Count == 0)
            {
                error.WriteLine($"mtrl: error: agent '{session.Agent.Name}' is a distilled student; evaluate it from its run directory, which records its teachers");
                return 2;
            }
            var teacherRequest = new TrainRequest(agentRequest.File, agentRequest.Environment, agentRequest.Agent, agentRequest.Environments, null, null, 1, null, null) { Teachers = teachers };
            if (TrainCommand.LoadTeachers(teacherRequest, session, error, error) is { } teacherCode) return teacherCode;
        }
        var environment = session.CreateEnvironment(error);
        var evaluation = session.CreateEnvironment(error);
        if (environment is null || evaluation is null) return 2;
        var evaluationOptions = new EvaluationOptions { EpisodesPerTask = request.Episodes, Seed = (ulong)request.Seed, Tasks = agentRequest.EvaluatedTasks(session.Agent) };
        var trainerProblem = "";
        var sequential = session.IsSequential
            ? session.CreateSequentialTrainer(session.SpecOptions, session.SpecSequentialOptions with { Evaluation = evaluationOptions with { Tasks = null } }, out trainerProblem)
            : null;
        var trainer = session.IsSequential ? sequential : session.CreateTrainer(environment, session.SpecOptions, out trainerProblem);
        if (trainer is null)
        {
            error.WriteLine($"mtrl: error: {trainerProblem}");
            return 2;
        }
        try
        {
            // A sequential schedule rebuilds the stage the checkpoint was saved in: its columns and pathways.
            trainer.Restore(checkpoint);
        }
        catch (CheckpointException exception)
        {
            error.WriteLine($"mtrl: error: {checkpointPath} does not fit agent '{session.Agent.Name}' of {agentRequest.File}: {CliApp.OneLine(exception.Message)}");
            return 1;
        }

        var transitions = (checkpoint.Counters.TryGetValue("transitions", out var stageTransitions) ? stageTransitions : 0)
            + (checkpoint.Counters.TryGetValue("sequential.completed_transitions", out var completed) ? completed : 0);
        // A sequential schedule evaluates every task its network can run, each on environments running it.
        var result = (sequential is not null ? sequential.EvaluateTasks() : new PolicyEvaluator(evaluation, evaluationOptions).EvaluateTrainer(trainer))
            with { Transitions = transitions };
        if (request.Json)
        {
            EvaluationReport.WriteJson(result, checkpointPath, request.Episodes, output);
        }
        else
        {
            output.WriteLine($"checkpoint {checkpointPath}");
            EvaluationReport.WriteTable(result, request.Episodes, output);
        }
        return 0;
    }

    /// <summary>The checkpoint to load and the agent it belongs to; null after one line on <paramref name="error"/>.</summary>
    private static (string Checkpoint, AgentRequest Agent, IReadOnlyList<string> Teachers)? Locate(EvalRequest request, TextWriter error)
    {
        try
        {
            var target = request.Target;
            if (RunDirectory.LocateCheckpoint(target) is not var (checkpoint, run))
            {
                error.WriteLine($"mtrl: error: '{target}' is neither a run directory nor a checkpoint file");
                return null;
            }
            // A checkpoint file's run names its agent unless --spec does.
            if (request.Spec is not null && !Directory.Exists(target)) run = null;

            if (run is not null && request.Spec is null)
            {
                var manifest = run.ReadManifest();
                return (checkpoint, new AgentRequest(run.SpecFile, request.Environment ?? manifest.Environment, request.Agent ?? manifest.Agent,
                    request.Environments ?? manifest.Environments, 1, CartPoleSettings.FromGiven(manifest.EnvironmentOptions))
                {
                    // The run's one task (--task), evaluated as it was trained.
                    Task = TrainCommand.RecordedTask(manifest),
                },
                TrainCommand.RecordedTeachers(manifest));
            }
            if (request.Spec is null || request.Environment is null)
            {
                error.WriteLine($"mtrl: error: '{target}' is not in a run directory; name its agent with --spec FILE and --env NAME");
                return null;
            }
            return (checkpoint, new AgentRequest(request.Spec, request.Environment, request.Agent, request.Environments ?? 8, 1, CartPoleSettings.None), Array.Empty<string>());
        }
        catch (RunDirectoryException exception)
        {
            error.WriteLine($"mtrl: error: {exception.Message}");
            return null;
        }
    }
}

/// <summary>The arguments of <c>mtrl eval</c>.</summary>
internal sealed record EvalRequest(string Target, int Episodes, bool Json, string? Spec, string? Environment, string? Agent, int? Environments, long Seed)
{
    /// <summary>The first argument out of range, as a message naming it and the range; null if all are fine.</summary>
    public string? Check()
    {
        if (Target.Trim().Length == 0) return "the target must name a run directory or a checkpoint file; found an empty path";
        if (Episodes is < 1 or > TrainRequest.MaxEvalEpisodes) return $"--episodes must be in [1, {TrainRequest.MaxEvalEpisodes}]; found {Episodes}";
        if (Environment is not null && Array.IndexOf(TrainingEnvironments.Names, Environment) < 0) return $"--env must be one of {string.Join(", ", TrainingEnvironments.Names)}; found '{Environment}'";
        if (Environments is < 1 or > TrainRequest.MaxEnvironments) return $"--envs must be in [1, {TrainRequest.MaxEnvironments}]; found {Environments}";
        if (Seed < 0) return $"--seed must be at least 0; found {Seed}";
        return null;
    }
}
