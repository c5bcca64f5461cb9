using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;
using Mtrl.Runtime.Algorithms;

namespace Mtrl.Cli.Devices;

/// <summary>
/// What <c>mtrl train --device</c> can run on an ILGPU device today, decided from the spec and the
/// run's settings before anything is opened or compiled for it: DQN with a plain MLP Q network
/// (dense layers with ReLU between them, reading the observation, or observation ⊕ goal), in
/// CartPole or BitFlip, with uniform or task-balanced replay (HER on uniform batches); SAC with a
/// plain MLP actor (gaussian head) and critic reading observation [⊕ goal] [⊕ one-hot task]
/// (⊕ action for the critic), in PointMass, with uniform or task-balanced replay. Everything
/// else is a one-line reason naming what is not on the device. Free of ILGPU types, so the CPU
/// path can ask without loading it.
/// </summary>
internal static class DeviceSupport
{
    /// <summary>The values <c>--device</c> accepts, in the order messages list them.</summary>
    public static readonly string[] Names = { "cpu", "cuda", "opencl", "ilgpu-cpu" };

    /// <summary>The environments the device runs DQN in.</summary>
    public static readonly string[] Environments = { "bitflip", "cartpole" };

    /// <summary>The environments the device runs SAC in.</summary>
    public static readonly string[] ContinuousEnvironments = { "pointmass", "pointmass-goal" };

    /// <summary>Why agent <paramref name="agent"/> cannot train in <paramref name="environment"/> on a device with <paramref name="options"/>, or null if it can.</summary>
    public static string? Check(AgentModel agent, string environment, OffPolicyOptions options)
    {
        var sac = agent.Training.Algorithm == Algorithm.Sac;
        switch (agent.Training.Algorithm)
        {
            case Algorithm.Dqn:
            case Algorithm.Sac:
                break;
            default:
                return $"{agent.Training.Algorithm.ToString().ToUpperInvariant()} is not on the device (the device trains DQN and SAC); train it with --device cpu";
        }

        if (agent.Training.Schedule.Kind == ScheduleKind.Sequential) return "a sequential schedule is not on the device; train it with --device cpu";
        var environments = sac ? ContinuousEnvironments : Environments;
        if (!environments.Contains(environment))
        {
            return $"--env {environment} is not on the device yet for {(sac ? "SAC" : "DQN")} (it runs {string.Join(" and ", environments)})";
        }
        if ((sac ? SacNetworkProblem(agent) : NetworkProblem(agent)) is { } network) return network;
        if (options.IsPrioritized) return "prioritized replay is not on the device yet (it samples uniform or task-balanced)";
        if (sac && options.Her is not null) return "HER for SAC is not on the device yet (it relabels DQN's uniform batches)";
        if (options.Her is not null && options.Sampling != Runtime.Algorithms.ReplaySampling.Uniform) return "HER with task-balanced sampling is not on the device yet (it relabels uniform batches)";
        if (options.Gradients != TaskGradientMethod.None) return $"per-task gradient surgery ({options.Gradients.ToString().ToLowerInvariant()}) is not on the device yet";
        if (!sac && options.TaskWeights is not null) return "task loss weights are not on the device yet for DQN";
        if (options.Freeze.Count > 0) return $"frozen slices ({string.Join(", ", options.Freeze)}) are not on the device yet";
        if (options.PerTaskReplay) return "per-task replay is not on the device yet";
        if (options.NonFinite == NonFinitePolicy.Skip) return "--on-nonfinite skip is not on the device (its replay refuses a non-finite step and the run stops)";
        return null;
    }

    /// <summary>Why the agent's Q network is not a plain MLP the device runs, or null.</summary>
    private static string? NetworkProblem(AgentModel agent)
    {
        if (agent.Networks.Count != 1) return $"the device runs one Q network; agent '{agent.Name}' has {agent.Networks.Count} networks";
        var network = agent.Networks[0];
        var plain = $"the device runs a plain MLP Q network (mlp / linear layers with ReLU, then q_values), but network '{network.Name}'";
        if (network.Features is not null) return $"{plain} has a features output";
        var observations = agent.Inputs.Where(i => i.Kind == InputKind.Observation).ToList();
        var goals = agent.Inputs.Where(i => i.Kind == InputKind.Goal).ToList();
        if (observations.Count != 1 || goals.Count > 1) return $"{plain}'s agent declares {observations.Count} observation and {goals.Count} goal inputs; the device reads one observation (and at most one goal)";

        // The first layer reads the observation, or concat(observation, goal) — the device's input order.
        var expected = goals.Count == 0 ? new[] { observations[0].Name } : new[] { observations[0].Name, goals[0].Name };
        string previous;
        var nodes = network.Nodes;
        var first = 0;
        if (nodes[0].Op is ConcatOp)
        {
            if (!nodes[0].Inputs.Select(i => i.Source).SequenceEqual(expected)) return $"{plain} concatenates {string.Join(", ", nodes[0].Inputs.Select(i => i.Source))}; the device reads {string.Join(" ⊕ ", expected)}";
            previous = nodes[0].Name;
            first = 1;
        }
        else
        {
            if (expected.Length > 1) return $"{plain} does not read concat({string.Join(", ", expected)}); the device reads observation ⊕ goal";
            previous = expected[0];
        }

        for (var k = first; k < nodes.Count; k++)
        {
            var node = nodes[k];
            if (node.Inputs.Count != 1 || node.Inputs[0].Source != previous) return $"{plain} is not a chain: node '{node.Name}' reads {string.Join(", ", node.Inputs.Select(i => i.Source))}";
            var last = k == nodes.Count - 1;
            var problem = node.Op switch
            {
                QValuesOp { PerTask: true } => "per-task q_values heads are not on the device yet",
                QValuesOp when last => null,
                MlpOp { LayerNorm: true } => "layer norm is not on the device yet",
                MlpOp { Film: true } => "FiLM is not on the device yet",
                MlpOp { Activation: not ActivationKind.Relu } mlp => $"{mlp.Activation.ToString().ToLowerInvariant()} activations are not on the device yet (ReLU is)",
                MlpOp when !last => null,
                LinearOp { Activation: ActivationKind.Relu } when !last => null,
                LinearOp linear when !last => $"{linear.Activation.ToString().ToLowerInvariant()} after a hidden linear layer is not on the device yet (ReLU is)",
                _ when last => "it must end in q_values",
                _ => $"{node.Op.Kind} layers are not on the device yet",
            };
            if (problem is not null) return $"{plain}: node '{node.Name}': {problem}";
            previous = node.Name;
        }
        return null;
    }

    /// <summary>
    /// Why the SAC agent's networks are not what the device runs, or null: one actor ending in a
    /// shared gaussian head and one critic ending in a shared q_values head, each a chain of
    /// mlp / linear layers with ReLU over observation [⊕ goal] [⊕ onehot(task)] (⊕ action for the
    /// critic), in that order — the device learner's input layout — with the one-hot in both or neither.
    /// </summary>
    private static string? SacNetworkProblem(AgentModel agent)
    {
        var actor = agent.Networks.Where(n => n.Role == NetworkRole.Policy).ToList();
        var critic = agent.Networks.Where(n => n.Role == NetworkRole.Critic).ToList();
        if (agent.Networks.Count != 2 || actor.Count != 1 || critic.Count != 1)
        {
            return $"the device runs SAC with one actor and one critic network; agent '{agent.Name}' has {agent.Networks.Count} networks";
        }
        var observations = agent.Inputs.Where(i => i.Kind == InputKind.Observation).ToList();
        var goals = agent.Inputs.Where(i => i.Kind == InputKind.Goal).ToList();
        if (observations.Count != 1 || goals.Count > 1) return $"the device's SAC networks read one observation (and at most one goal); agent '{agent.Name}' declares {observations.Count} observation and {goals.Count} goal inputs";
        var actorOneHot = false;
        var criticOneHot = false;
        var problem = SacChain(actor[0], observations[0].Name, goals.Count == 1 ? goals[0].Name : null, action: false, ref actorOneHot)
            ?? SacChain(critic[0], observations[0].Name, goals.Count == 1 ? goals[0].Name : null, action: true, ref criticOneHot);
        if (problem is not null) return problem;
        if (actorOneHot != criticOneHot) return "the device's SAC networks read onehot(task) in both the actor and the critic or in neither";
        return null;
    }

    /// <summary>Why <paramref name="network"/> is not a plain MLP over the device learner's input layout, or null; says whether it reads onehot(task).</summary>
    private static string? SacChain(NetworkModel network, string observation, string? goal, bool action, ref bool oneHot)
    {
        var head = action ? "q_values" : "gaussian";
        var plain = $"the device runs plain MLP SAC networks (mlp / linear layers with ReLU, then {head}), but network '{network.Name}'";
        if (network.Features is not null) return $"{plain} has a features output";
        var nodes = network.Nodes;
        var k = 0;
        string? oneHotNode = null;
        while (k < nodes.Count && nodes[k].Op is OneHotOp)
        {
            if (oneHotNode is not null || nodes[k].Inputs.Count != 1 || nodes[k].Inputs[0].Source != "task") return $"{plain}: node '{nodes[k].Name}': only one onehot(task) is on the device";
            oneHotNode = nodes[k].Name;
            k++;
        }
        var expected = new List<string> { observation };
        if (goal is not null) expected.Add(goal);
        if (oneHotNode is not null) expected.Add(oneHotNode);
        if (action) expected.Add("action");
        string previous;
        if (k < nodes.Count && nodes[k].Op is ConcatOp)
        {
            var sources = nodes[k].Inputs.Select(i => i.Source).ToList();
            if (!sources.SequenceEqual(expected))
            {
                return $"{plain} concatenates {string.Join(", ", sources)}; the device reads observation{(goal is null ? "" : " ⊕ goal")} [⊕ onehot(task)]{(action ? " ⊕ action" : "")} in that order";
            }
            previous = nodes[k].Name;
            k++;
        }
        else
        {
            if (expected.Count > 1) return $"{plain} does not read concat({string.Join(", ", expected)}); the device reads them concatenated in that order";
            previous = expected[0];
        }
        oneHot = oneHotNode is not null;
        if (k >= nodes.Count) return $"{plain} has no layers";
        for (; k < nodes.Count; k++)
        {
            var node = nodes[k];
            if (node.Inputs.Count != 1 || node.Inputs[0].Source != previous) return $"{plain} is not a chain: node '{node.Name}' reads {string.Join(", ", node.Inputs.Select(i => i.Source))}";
            var last = k == nodes.Count - 1;
            var problem = node.Op switch
            {
                HeadOp { PerTask: true } => $"per-task {head} heads are not on the device yet",
                GaussianOp when last && !action => null,
                QValuesOp when last && action => null,
                MlpOp { LayerNorm: true } => "layer norm is not on the device yet",
                MlpOp { Film: true } => "FiLM is not on the device yet",
                MlpOp { Activation: not ActivationKind.Relu } mlp => $"{mlp.Activation.ToString().ToLowerInvariant()} activations are not on the device yet (ReLU is)",
                MlpOp when !last => null,
                LinearOp { Activation: ActivationKind.Relu } when !last => null,
                LinearOp linear when !last => $"{linear.Activation.ToString().ToLowerInvariant()} after a hidden linear layer is not on the device yet (ReLU is)",
                _ when last => $"it must end in {head}",
                _ => $"{node.Op.Kind} layers are not on the device yet",
            };
            if (problem is not null) return $"{plain}: node '{node.Name}': {problem}";
            previous = node.Name;
        }
        return null;
    }

    /// <summary>The names of <see cref="Names"/> as a message lists them.</summary>
    public static string Allowed => string.Join(", ", Names);

    /// <summary>True for a device other than the CPU path.</summary>
    public static bool IsDevice(string device) => device != "cpu";

    /// <summary>The record key run.json keeps the device under, so a device run is never resumed on the CPU path.</summary>
    public const string ManifestKey = "--device";
}
