using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Text;
using Mtrl.Kernels;
using Mtrl.Kernels.Environments;
using Mtrl.Runtime.Environments;

namespace Mtrl.Cli;

/// <summary>The built-in vectorized environments <c>mtrl train --env</c> can run, shaped to the agent's spec.</summary>
internal static class TrainingEnvironments
{
    /// <summary>Names <c>--env</c> accepts.</summary>
    public static readonly string[] Names = { "bitflip", "cartpole", "gridworld", "pointmass", "pointmass-goal" };

    /// <summary>
    /// The environment <paramref name="name"/> with <paramref name="count"/> copies, or null and a
    /// message saying why the agent cannot run in it (widths, actions, goals, tasks).
    /// </summary>
    public static IVectorEnvironment? Create(string name, AgentModel agent, int count, Accelerator accelerator, out string problem)
        => Create(name, agent, count, CartPoleSettings.None, accelerator, out problem);

    /// <summary>
    /// The environment <paramref name="name"/> with <paramref name="count"/> copies, CartPole with
    /// the physics of <paramref name="cartPole"/>, or null and a one-line message naming both
    /// sides of the first mismatch (observation or goal width, action kind, size or bounds, task
    /// count, too few environments for every task) or the bad option.
    /// </summary>
    public static IVectorEnvironment? Create(string name, AgentModel agent, int count, CartPoleSettings cartPole, Accelerator accelerator, out string problem)
        => Create(name, agent, count, cartPole, accelerator, out problem, out _);

    /// <summary>
    /// As above, and where in the spec the mismatch is declared (the input, goal or action
    /// declaration, or the agent for its task count); null when the problem is a command-line
    /// option. What the spec decides about an environment (BitFlip's bit count, the task suite)
    /// is checked before the environment is constructed, so a spec it cannot take is a message,
    /// never an exception from its constructor; the rest is compared with the built environment.
    /// </summary>
    public static IVectorEnvironment? Create(string name, AgentModel agent, int count, CartPoleSettings cartPole, Accelerator accelerator, out string problem, out SourceSpan? at)
        => Create(name, agent, count, cartPole, accelerator, taskIds: null, out problem, out at);

    /// <summary>
    /// As above, with the task each environment runs: <paramref name="taskIds"/> (N values, as a
    /// sequential schedule's stage runs every environment on its task), or null for task i mod T.
    /// </summary>
    public static IVectorEnvironment? Create(string name, AgentModel agent, int count, CartPoleSettings cartPole, Accelerator accelerator, IReadOnlyList<int>? taskIds, out string problem, out SourceSpan? at)
        => Create(name, agent, count, cartPole, accelerator, taskIds, taskOrder: null, out problem, out at);

    /// <summary>
    /// As above, with the suite's tasks reordered: the agent's task t is the suite's task
    /// <paramref name="taskOrder"/>[t] (null keeps the order; a single-task agent with [k] learns
    /// the suite's task k). A from-scratch
    /// baseline of task k trains the first stage of a schedule whose order starts with k.
    /// </summary>
    public static IVectorEnvironment? Create(string name, AgentModel agent, int count, CartPoleSettings cartPole, Accelerator accelerator, IReadOnlyList<int>? taskIds, IReadOnlyList<int>? taskOrder, out string problem, out SourceSpan? at)
    {
        problem = "";
        at = null;
        // In 64 bits: several inputs of the largest width must not overflow into an exception.
        var observation = agent.Inputs.Where(i => i.Kind == InputKind.Observation).Sum(i => (long)i.Width);
        var goal = agent.Inputs.Where(i => i.Kind == InputKind.Goal).Sum(i => (long)i.Width);
        if (name != "cartpole" && cartPole.FirstGiven is { } option)
        {
            problem = $"{option} applies only to --env cartpole; found --env {name}";
            return null;
        }

        IVectorEnvironment environment;
        // The goal width the agent sees: PointMass with the goal inside the observation has no goal input.
        int? agentGoal = null;
        switch (name)
        {
            case "bitflip":
                if (goal == 0 || goal != observation)
                {
                    problem = $"bitflip needs an agent whose observation and goal are the same width (the number of bits); '{agent.Name}' has observation {observation}, goal {goal}";
                    at = FirstInput(agent, goal == 0 ? InputKind.Goal : InputKind.Observation);
                    return null;
                }
                if (observation > BitFlipRules.MaxBits)
                {
                    problem = $"bitflip flips 1 to {BitFlipRules.MaxBits} bits, but agent '{agent.Name}' declares observation and goal {observation} wide";
                    at = FirstInput(agent, InputKind.Observation);
                    return null;
                }
                environment = new BitFlipVectorEnvironment(count, (int)observation, accelerator: accelerator);
                break;
            case "cartpole":
                var options = CartPoleFor(agent, cartPole, out problem);
                if (options is null)
                {
                    // Without a command-line option to blame, the agent's task count is the mismatch.
                    if (cartPole.FirstGiven is null) at = agent.Span;
                    return null;
                }
                if (taskOrder is not null)
                {
                    // The agent's tasks from the three-task suite (one of them for a single-task agent).
                    options = options with { Tasks = Reorder(agent.Tasks == 2 ? CartPoleTaskSuite.Two : CartPoleTaskSuite.Three, taskOrder) };
                }
                environment = new CartPoleVectorEnvironment(count, options, accelerator: accelerator, taskIds: taskIds);
                break;
            case "gridworld":
                var rooms = GridWorldLayout.FourRooms();
                // An agent of fewer tasks learns the first goals of the four rooms.
                var goals = taskOrder is not null ? Reorder(rooms.TaskGoals, taskOrder)
                    : agent.Tasks is >= 1 and < 4 ? rooms.TaskGoals.Take(agent.Tasks).ToList() : rooms.TaskGoals;
                environment = new GridWorldVectorEnvironment(count, new GridWorldOptions { Layout = new GridWorldLayout(rooms.Rows, goals) }, taskIds, accelerator);
                break;
            case "pointmass":
            case "pointmass-goal":
                var tasks = PointMassTasks(name, agent, out problem);
                if (tasks is null)
                {
                    at = agent.Span;
                    return null;
                }
                if (taskOrder is not null) tasks = Reorder(PointMassTaskSuite.Ten, taskOrder);
                var goalInObservation = name == "pointmass";
                var pointMass = new PointMassVectorEnvironment(
                    count, new PointMassOptions { Tasks = tasks, GoalInObservation = goalInObservation, SparseReward = !goalInObservation }, taskIds, accelerator);
                // The goal is part of the observation; trainers must not also feed it as a goal input.
                environment = goalInObservation ? new ObservationOnlyVectorEnvironment(pointMass) : pointMass;
                agentGoal = goalInObservation ? 0 : pointMass.GoalSize;
                break;
            default:
                problem = $"--env must be one of {string.Join(", ", Names)}; found '{name}'";
                return null;
        }

        var environmentGoal = agentGoal ?? (environment as IGoalVectorEnvironment)?.GoalSize ?? 0;
        if (environment.ObservationSize != observation || environmentGoal != goal)
        {
            problem = $"{name} gives observations {environment.ObservationSize} wide and goals {environmentGoal} wide, but agent '{agent.Name}' declares inputs {observation} and goals {goal} wide{WidthHint(name, observation, goal)}";
            at = FirstInput(agent, environment.ObservationSize != observation ? InputKind.Observation : InputKind.Goal);
            return null;
        }
        if (ActionProblem(name, environment.ActionSpace, agent) is { } action)
        {
            problem = action;
            at = agent.Action.Span;
            return null;
        }
        if (environment.TaskCount != agent.Tasks)
        {
            problem = $"{name} runs {environment.TaskCount} task(s), but agent '{agent.Name}' learns {agent.Tasks}";
            at = agent.Span;
            return null;
        }
        if (taskIds is null && count < environment.TaskCount)
        {
            problem = $"--envs must be at least {environment.TaskCount} for {name}, so that each of its {environment.TaskCount} tasks runs in some environment (environment i runs task i mod {environment.TaskCount}); found {count}";
            return null;
        }
        if (taskIds is null && agent.Replay.PerTask && count % environment.TaskCount != 0)
        {
            // Per-task replay splits the capacity evenly, so every task needs as many environments as the others.
            problem = $"--envs must be a multiple of {environment.TaskCount} for agent '{agent.Name}', whose replay is per_task (each of the {environment.TaskCount} tasks gets an equal share, so each needs as many environments; environment i runs task i mod {environment.TaskCount}); found {count}";
            return null;
        }
        return environment;
    }

    /// <summary>
    /// CartPole for the agent: CartPole-v1 with the command line's randomization for a 1-task
    /// agent, <see cref="CartPoleTaskSuite.Two"/> or <see cref="CartPoleTaskSuite.Three"/> (fixed
    /// physics per task) for a 2- or 3-task agent.
    /// </summary>
    private static CartPoleOptions? CartPoleFor(AgentModel agent, CartPoleSettings settings, out string problem)
    {
        var suite = agent.Tasks switch
        {
            2 => CartPoleTaskSuite.Two,
            3 => CartPoleTaskSuite.Three,
            _ => null,
        };
        if (suite is not null)
        {
            problem = settings.FirstGiven is { } option
                ? $"{option} applies only to single-task CartPole; agent '{agent.Name}' learns {agent.Tasks} tasks, which have fixed physics each"
                : "";
            return problem.Length > 0 ? null : new CartPoleOptions { Tasks = suite };
        }
        if (agent.Tasks == 1) return settings.ToOptions(out problem);
        problem = $"cartpole runs 1 task, 2 (CartPole-v1 and a long heavy pole) or 3 (and a heavy cart with a short pole) for agents with tasks: 2 or 3; agent '{agent.Name}' learns {agent.Tasks}";
        return null;
    }

    /// <summary>The PointMass suite for the agent: all ten tasks for a 10-task agent, task 0 alone for a 1-task agent.</summary>
    private static IReadOnlyList<PointMassTask>? PointMassTasks(string name, AgentModel agent, out string problem)
    {
        problem = "";
        var suite = PointMassTaskSuite.Ten;
        if (agent.Tasks == suite.Count) return suite;
        if (agent.Tasks == 1) return new[] { suite[0] };
        problem = $"{name} runs {suite.Count} tasks (or only its task 0, for an agent with tasks: 1), but agent '{agent.Name}' learns {agent.Tasks}";
        return null;
    }

    /// <summary>The agent's task t taken from the suite's task <paramref name="order"/>[t] (callers check the range: <see cref="SuiteSize"/>).</summary>
    private static IReadOnlyList<T> Reorder<T>(IReadOnlyList<T> suite, IReadOnlyList<int> order) => order.Select(t => suite[t]).ToArray();

    /// <summary>Tasks of the environment's full suite, which <c>--task</c> picks from: 1 for BitFlip.</summary>
    public static int SuiteSize(string name) => name switch
    {
        "cartpole" => CartPoleTaskSuite.Three.Count,
        "gridworld" => GridWorldLayout.FourRooms().TaskGoals.Count,
        "pointmass" or "pointmass-goal" => PointMassTaskSuite.Ten.Count,
        _ => 1,
    };

    /// <summary>The first declaration of an input of <paramref name="kind"/>, else the agent (it declares none).</summary>
    private static SourceSpan FirstInput(AgentModel agent, InputKind kind) =>
        agent.Inputs.FirstOrDefault(i => i.Kind == kind)?.Span ?? agent.Span;

    private static string WidthHint(string name, long observation, long goal) => (name, observation, goal) switch
    {
        ("pointmass", PointMassRules.ObservationSize, PointMassRules.GoalSize) => "; for a goal-conditioned agent use --env pointmass-goal",
        ("pointmass-goal", PointMassRules.ObservationWithGoalSize, 0) => "; for an agent without a goal input use --env pointmass",
        _ => "",
    };

    /// <summary>Null when the agent's action declaration matches the environment's, else the mismatch naming both sides.</summary>
    private static string? ActionProblem(string name, ActionSpace space, AgentModel agent)
    {
        var action = agent.Action;
        var declared = action.Kind == ActionKind.Discrete
            ? $"discrete({action.Size})"
            : $"continuous({action.Size}, low: {Format(action.Low)}, high: {Format(action.High)})";
        var size = space.Kind == ActionKind.Discrete ? space.Count : space.Dimensions;
        if (space.Kind != action.Kind || size != action.Size)
        {
            return $"{name} has {Describe(space)} actions, but agent '{agent.Name}' declares {declared}";
        }
        if (space.Kind == ActionKind.Continuous
            && (space.Low.Any(low => low != (float)action.Low) || space.High.Any(high => high != (float)action.High)))
        {
            return $"{name} bounds its actions to {Bounds(space)}, but agent '{agent.Name}' declares {declared}";
        }
        return null;
    }

    private static string Describe(ActionSpace space) => space.Kind == ActionKind.Discrete
        ? $"discrete({space.Count})"
        : $"continuous({space.Dimensions}) {Bounds(space)}";

    private static string Bounds(ActionSpace space) => space.Low.Distinct().Count() == 1 && space.High.Distinct().Count() == 1
        ? $"[{Format(space.Low[0])}, {Format(space.High[0])}]"
        : $"[{string.Join(", ", space.Low.Select(l => Format(l)))}] .. [{string.Join(", ", space.High.Select(h => Format(h)))}]";

    private static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
