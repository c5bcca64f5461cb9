using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Mtrl.Contracts;
using Mtrl.Cli.InProcess;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Semantics;
using Mtrl.Kernels;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Transfer;

namespace Mtrl.Cli;

/// <summary>What names an agent and where it runs: the spec, the agent in it, the environment and its settings.</summary>
internal sealed record AgentRequest(string File, string Environment, string? Agent, int Environments, int Threads, CartPoleSettings CartPole)
{
    /// <summary>The one task of the environment's suite to learn (<c>--task</c>), or null for the agent's tasks.</summary>
    public int? Task { get; init; }

    /// <summary>
    /// What <see cref="Task"/> means for the environments: a single-task agent learns the suite's
    /// task k (as its task 0); a multi-task agent runs task k in every environment.
    /// </summary>
    /// <summary>The tasks an evaluation of this request covers: only <see cref="Task"/> for a multi-task agent run on it, else all.</summary>
    public IReadOnlyList<int>? EvaluatedTasks(AgentModel agent) => Task is { } task && agent.Tasks > 1 ? new[] { task } : null;

    public (IReadOnlyList<int>? TaskIds, IReadOnlyList<int>? TaskOrder) TaskChoice(AgentModel agent) => Task is not { } task
        ? (null, null)
        : agent.Tasks == 1 ? (null, new[] { task }) : (Enumerable.Repeat(task, Environments).ToArray(), null);
}

/// <summary>
/// A spec's agent made ready to train or evaluate, shared by <c>mtrl train</c> and <c>mtrl eval</c>:
/// the spec read and checked, the agent picked, its environments shaped to it, the generated code
/// compiled and loaded (or taken from the cache), and a factory for its trainers. Every failure a
/// user can cause is one line on the error stream and an exit code, never an exception.
/// </summary>
internal sealed class AgentSession : IDisposable
{
    private readonly MethodInfo _createOptions;
    private readonly MethodInfo _create;
    private readonly MethodInfo? _createSequentialOptions;
    private IVectorEnvironment? _checked;

    private AgentSession(AgentRequest request, string specText, AgentModel agent, CpuAccelerator accelerator, MethodInfo createOptions, MethodInfo create, MethodInfo? createSequentialOptions, IVectorEnvironment environment)
    {
        _createSequentialOptions = createSequentialOptions;
        _checked = environment;
        Request = request;
        SpecText = specText;
        Agent = agent;
        Accelerator = accelerator;
        _createOptions = createOptions;
        _create = create;
    }

    public AgentRequest Request { get; }

    /// <summary>The spec's text as compiled.</summary>
    public string SpecText { get; }

    public AgentModel Agent { get; }

    public CpuAccelerator Accelerator { get; }

    /// <summary>dqn, sac or td3.</summary>
    public string Algorithm => Agent.Training.Algorithm.ToString().ToLowerInvariant();

    /// <summary>True when the agent is a student distilled from teachers (<c>train distill</c>).</summary>
    public bool IsDistillation => Agent.Training.Algorithm == Dsl.Model.Algorithm.Distill;

    /// <summary>The teachers of a distillation (<c>--teacher</c>), one per task or one for all.</summary>
    public IReadOnlyList<Runtime.Algorithms.IQNetwork>? Teachers { get; set; }

    /// <summary>The teachers' features h_E, in the order of <see cref="Teachers"/>, when the student regresses them (Actor-Mimic); else null.</summary>
    public IReadOnlyList<Runtime.Algorithms.IFeatureNetwork>? TeacherFeatures { get; set; }

    /// <summary>The checkpoint files the <see cref="Teachers"/> were loaded from, in order.</summary>
    public IReadOnlyList<string>? TeacherCheckpoints { get; set; }

    /// <summary>True when the spec trains its tasks one after another (<c>schedule: sequential</c>).</summary>
    public bool IsSequential => _createSequentialOptions is not null;

    /// <summary>The spec's sequential schedule (budget per task, PathNet's tournament); only when <see cref="IsSequential"/>.</summary>
    public SequentialOptions SpecSequentialOptions =>
        (SequentialOptions)(_createSequentialOptions ?? throw new InvalidOperationException("the spec's schedule is joint")).Invoke(null, null)!;

    /// <summary>The training options the spec declares (before command-line overrides).</summary>
    public OffPolicyOptions SpecOptions => (OffPolicyOptions)_createOptions.Invoke(null, null)!;

    /// <summary>Opens the agent; null after one line on <paramref name="error"/>, with <paramref name="code"/> the exit code.</summary>
    public static AgentSession? Open(AgentRequest request, TextWriter output, TextWriter error, out int code)
    {
        code = 1;
        var (result, text) = SpecFiles.LoadWithText(request.File, error);
        if (result is null) return null;
        foreach (var diagnostic in result.Diagnostics)
        {
            (diagnostic.IsError ? error : output).WriteLine(diagnostic.ToMsBuildString());
        }
        if (result.HasErrors)
        {
            error.WriteLine($"mtrl: {request.File} has errors; fix them to train");
            return null;
        }
        code = 2;
        var agent = PickAgent(result.Model, request.Agent, out var agentProblem);
        if (agent is null)
        {
            error.WriteLine($"mtrl: error: {agentProblem}");
            return null;
        }
        if (TrainerSupport.Check(agent) is { } unsupported)
        {
            // At the train section, where the generator reports the same reason (MTRL0410).
            var train = agent.Training.Span;
            error.WriteLine($"{train.File}({train.Line},{train.Column}): error: agent '{agent.Name}' cannot be trained yet: {unsupported}");
            return null;
        }

        if (request.Task is not null && agent.Training.Schedule.Kind == ScheduleKind.Sequential)
        {
            error.WriteLine($"mtrl: error: --task trains one task, but agent '{agent.Name}' has a sequential schedule, which trains every task in turn; drop --task");
            code = 2;
            return null;
        }
        var accelerator = new CpuAccelerator(request.Threads);
        var opened = false;
        try
        {
            // The environment is shaped to the agent before compiling, so a mismatch is reported first.
            if (CreateEnvironment(request, agent, accelerator, error) is not { } environment) return null;

            var watch = System.Diagnostics.Stopwatch.StartNew();
            var loaded = AgentAssemblyCache.Default().Load(request.File, text);
            if (loaded.CacheNote is { } note) error.WriteLine($"mtrl: note: {note}");
            if (loaded.Assembly is null)
            {
                foreach (var diagnostic in loaded.Diagnostics) error.WriteLine(diagnostic.ToString());
                error.WriteLine($"mtrl: internal error: the code generated for {request.File} did not compile; please report it with the spec");
                code = 1;
                return null;
            }
            output.WriteLine($"agent {agent.Name}: {(loaded.FromCache ? "loaded from cache" : "generated and compiled")} in {watch.Elapsed.TotalMilliseconds:F0} ms");

            var type = loaded.Assembly.GetType($"{AgentCompiler.DefaultNamespace}.{agent.Name}");
            // The generator names these factories with the same GeneratedNames.
            var optionsFactory = GeneratedNames.CreateOptions(agent.Training.Algorithm);
            var createOptions = type?.GetMethod(optionsFactory, BindingFlags.Public | BindingFlags.Static, Type.EmptyTypes);
            var create = type?.GetMethods(BindingFlags.Public | BindingFlags.Static).FirstOrDefault(m => m.Name == GeneratedNames.CreateTrainer);
            var sequential = agent.Training.Schedule.Kind == ScheduleKind.Sequential;
            var createSequentialOptions = sequential ? type?.GetMethod(GeneratedNames.CreateSequentialOptions, BindingFlags.Public | BindingFlags.Static, Type.EmptyTypes) : null;
            if (createOptions is null || create is null || (sequential && createSequentialOptions is null))
            {
                error.WriteLine($"mtrl: error: the code generated for agent '{agent.Name}' has no trainer factory ({optionsFactory}, {GeneratedNames.CreateTrainer}{(sequential ? ", " + GeneratedNames.CreateSequentialOptions : "")})");
                return null;
            }
            opened = true;
            code = 0;
            return new AgentSession(request, text, agent, accelerator, createOptions, create, createSequentialOptions, environment);
        }
        finally
        {
            if (!opened) accelerator.Dispose();
        }
    }

    /// <summary>A new set of the request's environments (training and evaluation each get their own; the first is the one built to check the fit); null after one line on <paramref name="error"/>.</summary>
    public IVectorEnvironment? CreateEnvironment(TextWriter error)
    {
        var environment = _checked ?? CreateEnvironment(Request, Agent, Accelerator, error);
        _checked = null;
        return environment;
    }

    /// <summary>A trainer on <paramref name="environment"/> with <paramref name="options"/>; null with the problem in one line.</summary>
    public ITrainer? CreateTrainer(IVectorEnvironment environment, OffPolicyOptions options, out string problem)
    {
        problem = "";
        var environmentType = _create.GetParameters()[0].ParameterType;
        if (!environmentType.IsInstanceOfType(environment))
        {
            problem = $"agent '{Agent.Name}' trains with {Algorithm.ToUpperInvariant()}, which needs {(Agent.Action.Kind == ActionKind.Continuous ? "continuous" : "discrete")} actions; {Request.Environment} does not provide them";
            return null;
        }
        try
        {
            var arguments = !IsDistillation
                ? new object?[] { environment, options, Accelerator }
                : _create.GetParameters().Length == 5
                    // A student with a features output also takes its teachers' features (null: no feature regression).
                    ? new object?[] { environment, Teachers ?? throw new InvalidOperationException("a distillation needs its teachers loaded first"), options, Accelerator, TeacherFeatures }
                    : new object?[] { environment, Teachers ?? throw new InvalidOperationException("a distillation needs its teachers loaded first"), options, Accelerator };
            return (ITrainer)_create.Invoke(null, arguments)!;
        }
        catch (TargetInvocationException exception) when (exception.InnerException is OutOfMemoryException)
        {
            problem = $"not enough memory to build the trainer of agent '{Agent.Name}' (batch {options.BatchSize:N0}, replay capacity {options.ReplayCapacity:N0}, {Request.Environments:N0} environments); lower them";
            return null;
        }
        catch (TargetInvocationException exception) when (exception.InnerException is { } inner)
        {
            // The spec passed check and the environment fits it, so this is a gap in those checks;
            // it is still a sentence about the agent, not a stack trace.
            problem = $"cannot build the trainer of agent '{Agent.Name}': {CliApp.OneLine(inner.Message)}";
            return null;
        }
    }

    /// <summary>
    /// The sequential schedule's trainer: stage k trains a fresh trainer (its own seed, from
    /// <paramref name="options"/>) on the request's environments all running task k, starting from
    /// what stage k − 1 learned; null with the problem in one line.
    /// </summary>
    /// <param name="options">Each stage's trainer settings (the stage adds itself to the seed).</param>
    /// <param name="sequential">The schedule's settings.</param>
    /// <param name="problem">Why no trainer could be built.</param>
    /// <param name="taskOrder">The suite's tasks in the order the agent's tasks 0, 1, … take them (null: as the suite lists them).</param>
    public SequentialTrainer? CreateSequentialTrainer(OffPolicyOptions options, SequentialOptions sequential, out string problem, IReadOnlyList<int>? taskOrder = null)
    {
        IVectorEnvironment Environment(int task)
        {
            var taskIds = Enumerable.Repeat(task, Request.Environments).ToArray();
            return TrainingEnvironments.Create(Request.Environment, Agent, Request.Environments, Request.CartPole, Accelerator, taskIds, taskOrder, out var environmentProblem, out _)
                ?? throw new SessionException(environmentProblem);
        }
        ITrainer Trainer(int stage, IVectorEnvironment environment) =>
            // One task per stage: per-task replay would leave every other task's share empty.
            CreateTrainer(environment, options with { Seed = SequentialTrainer.StageSeed(options.Seed, stage), PerTaskReplay = false }, out var trainerProblem) ?? throw new SessionException(trainerProblem);
        problem = "";
        try
        {
            _checked = null;
            return new SequentialTrainer(Environment, Trainer, sequential);
        }
        catch (SessionException exception)
        {
            problem = exception.Message;
        }
        catch (ArgumentException exception)
        {
            problem = $"cannot build the sequential schedule of agent '{Agent.Name}': {CliApp.OneLine(exception.Message)}";
        }
        return null;
    }

    /// <summary>A failure building one stage's environments or trainer, already worded for the user.</summary>
    private sealed class SessionException(string message) : Exception(message);

    public void Dispose() => Accelerator.Dispose();

    private static IVectorEnvironment? CreateEnvironment(AgentRequest request, AgentModel agent, Accelerator accelerator, TextWriter error)
    {
        if (request.Task is { } task && agent.Tasks > 1 && task >= agent.Tasks)
        {
            error.WriteLine($"mtrl: error: --task must be in [0, {agent.Tasks - 1}] for agent '{agent.Name}', which learns {agent.Tasks} tasks; found {task}");
            return null;
        }
        var (taskIds, taskOrder) = request.TaskChoice(agent);
        var environment = TrainingEnvironments.Create(request.Environment, agent, request.Environments, request.CartPole, accelerator, taskIds, taskOrder, out var problem, out var at);
        if (environment is null)
        {
            // A mismatch declared in the spec is reported where it is declared, as check reports errors.
            error.WriteLine(at is { } span
                ? $"{span.File}({span.Line},{span.Column}): error: --env {request.Environment} does not fit the spec: {problem}"
                : $"mtrl: error: {problem}");
        }
        return environment;
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
}
