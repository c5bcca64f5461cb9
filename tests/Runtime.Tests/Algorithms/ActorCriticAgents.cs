using System.Collections.Generic;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Kernels.Environments;
using Mtrl.Runtime.Layers;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Tests.Algorithms;

/// <summary>Small hand-composed actor-critic agents on PointMass for the SAC and TD3 tests.</summary>
internal static class ActorCriticAgents
{
    /// <summary>PointMass with the first <paramref name="tasks"/> tasks of the ten-task suite.</summary>
    public static PointMassVectorEnvironment PointMass(int environments, int tasks, bool sparse = false, Accelerator? accelerator = null)
    {
        var suite = new List<PointMassTask>();
        for (var t = 0; t < tasks; t++) suite.Add(PointMassTaskSuite.Ten[t]);
        return new PointMassVectorEnvironment(environments, new PointMassOptions { Tasks = suite, SparseReward = sparse }, accelerator: accelerator);
    }

    /// <summary>An actor and a critic, each an MLP over observation and goal (and action); per-task readouts when <paramref name="tasks"/> &gt; 1.</summary>
    public static (ParameterLayout Layout, SequentialBuilder Actor, SequentialBuilder Critic) Networks(int observation, int goal, int actions, int hidden, bool stochastic, int tasks = 1)
    {
        var builder = new ParameterLayoutBuilder();
        var actor = new SequentialBuilder(builder, "actor", observation + goal).Mlp(new[] { hidden, hidden });
        actor = tasks > 1 ? actor.TaskLinear(stochastic ? 2 * actions : actions, tasks) : actor.Linear(stochastic ? 2 * actions : actions);
        if (!stochastic) actor.Activation(ActivationKind.Tanh);
        var critic = new SequentialBuilder(builder, "critic", observation + goal + actions).Mlp(new[] { hidden, hidden });
        critic = tasks > 1 ? critic.TaskLinear(1, tasks) : critic.Linear(1);
        return (builder.Build(), actor, critic);
    }

    public static SacTrainer Sac(IContinuousVectorEnvironment environment, SacOptions options, int hidden = 64, Accelerator? accelerator = null)
    {
        var goal = (environment as IGoalVectorEnvironment)?.GoalSize ?? 0;
        var obs = environment.ObservationSize;
        var d = environment.ActionSpace.Dimensions;
        var (layout, actor, critic) = Networks(obs, goal, d, hidden, stochastic: true, environment.TaskCount);
        return new SacTrainer(environment, layout,
            (store, batch) => new SequentialPolicyNetwork(actor.Bind(store, batch), "actor", layout, obs, goal, d, stochastic: true),
            (store, batch) => new SequentialCriticNetwork(critic.Bind(store, batch), "critic", layout, obs, goal, d),
            options, accelerator);
    }

    public static Td3Trainer Td3(IContinuousVectorEnvironment environment, Td3Options options, int hidden = 64, Accelerator? accelerator = null)
    {
        var goal = (environment as IGoalVectorEnvironment)?.GoalSize ?? 0;
        var obs = environment.ObservationSize;
        var d = environment.ActionSpace.Dimensions;
        var (layout, actor, critic) = Networks(obs, goal, d, hidden, stochastic: false, environment.TaskCount);
        return new Td3Trainer(environment, layout,
            (store, batch) => new SequentialPolicyNetwork(actor.Bind(store, batch), "actor", layout, obs, goal, d, stochastic: false),
            (store, batch) => new SequentialCriticNetwork(critic.Bind(store, batch), "critic", layout, obs, goal, d),
            options, accelerator);
    }
}
