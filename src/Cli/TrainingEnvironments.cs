using System;
using System.Linq;
using Mtrl.Dsl.Model;
using Mtrl.Kernels;
using Mtrl.Runtime.Environments;
using ActionKind = Mtrl.Runtime.Environments.ActionKind;
using SpecActionKind = Mtrl.Dsl.Model.ActionKind;

namespace Mtrl.Cli;

/// <summary>The built-in vectorized environments <c>mtrl train --env</c> can run, shaped to the agent's spec.</summary>
internal static class TrainingEnvironments
{
    /// <summary>Names <c>--env</c> accepts.</summary>
    public static readonly string[] Names = { "bitflip", "cartpole", "gridworld" };

    /// <summary>
    /// The environment <paramref name="name"/> with <paramref name="count"/> copies, or null and a
    /// message saying why the agent cannot run in it (widths, actions, goals, tasks).
    /// </summary>
    public static IVectorEnvironment? Create(string name, AgentModel agent, int count, Accelerator accelerator, out string problem)
    {
        problem = "";
        var observation = agent.Inputs.Where(i => i.Kind == InputKind.Observation).Sum(i => i.Width);
        var goal = agent.Inputs.Where(i => i.Kind == InputKind.Goal).Sum(i => i.Width);
        IVectorEnvironment environment;
        switch (name)
        {
            case "bitflip":
                if (goal == 0 || goal != observation)
                {
                    problem = $"bitflip needs an agent whose observation and goal are the same width (the number of bits); '{agent.Name}' has observation {observation}, goal {goal}";
                    return null;
                }
                environment = new BitFlipVectorEnvironment(count, observation, accelerator: accelerator);
                break;
            case "cartpole":
                environment = new CartPoleVectorEnvironment(count, accelerator: accelerator);
                break;
            case "gridworld":
                environment = new GridWorldVectorEnvironment(count, accelerator: accelerator);
                break;
            default:
                problem = $"--env must be one of {string.Join(", ", Names)}; found '{name}'";
                return null;
        }

        var environmentGoal = (environment as IGoalVectorEnvironment)?.GoalSize ?? 0;
        if (environment.ObservationSize != observation || environmentGoal != goal)
        {
            problem = $"{name} gives observations {environment.ObservationSize} wide and goals {environmentGoal} wide, but agent '{agent.Name}' declares inputs {observation} and goals {goal} wide";
            return null;
        }
        var discrete = agent.Action.Kind == SpecActionKind.Discrete;
        var actions = discrete ? agent.Action.Size : -1;
        if (environment.ActionSpace.Kind != ActionKind.Discrete || environment.ActionSpace.Count != actions)
        {
            problem = $"{name} has {Describe(environment.ActionSpace)}, but agent '{agent.Name}' declares {(discrete ? $"discrete({agent.Action.Size})" : $"continuous({agent.Action.Size})")}";
            return null;
        }
        if (environment.TaskCount != agent.Tasks)
        {
            problem = $"{name} runs {environment.TaskCount} task(s), but agent '{agent.Name}' learns {agent.Tasks}";
            return null;
        }
        return environment;
    }

    private static string Describe(ActionSpace space) => space.Kind == ActionKind.Discrete ? $"discrete({space.Count}) actions" : $"continuous({space.Dimensions}) actions";
}
