using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;

namespace Mtrl.Dsl.Semantics;

/// <summary>
/// Whether the runtime has a trainer for an agent, and which runtime interface each network
/// implements. The source generator writes a trainer factory only when <see cref="Check"/> is
/// null (and reports MTRL0410 with its reason otherwise); the CLI refuses to train with the
/// same reason before compiling anything. Both ask here, so they cannot disagree.
/// </summary>
public static class TrainerSupport
{
    /// <summary>Why no trainer factory can be generated for <paramref name="agent"/>, or null if one can.</summary>
    public static string? Check(AgentModel agent)
    {
        var training = agent.Training;
        var replay = agent.Replay;
        if (replay.Priority is not null && replay.Her is not null)
        {
            // Priorities belong to stored transitions; a relabeled row is a transition that is not stored.
            return "prioritized replay cannot be combined with HER (a relabeled row has no stored priority)";
        }
        if (replay.Capacity > ReplayLimits.MaxCapacity) return $"replay capacity {replay.Capacity} exceeds the runtime's {ReplayLimits.MaxCapacity}";
        if (training.Algorithm is Algorithm.Distill or Algorithm.Distral)
        {
            var name = Name(training.Algorithm);
            if (training.Schedule.Kind == ScheduleKind.Sequential) return $"{name} trains its tasks jointly; a sequential schedule needs dqn, sac or td3";
            if (training.Gradients.Method != TaskGradientMethod.None) return $"{name} does not combine per-task gradients; use 'loss_weights: fixed(…)' to weigh tasks";
            if (training.LossWeights.Kind == LossWeightingKind.AlphaSoftmax) return "'loss_weights: alpha_softmax' needs the sac trainer's per-task temperatures";
            if (training.Algorithm == Algorithm.Distill && replay.Priority is not null) return "distill has no TD error to prioritise replay by; drop 'priority'";
            var qNetworks = agent.Networks.Count(n => IsQNetwork(agent, n));
            if (qNetworks != 1) return $"{name} needs exactly one q_values network, found {qNetworks}";
            if (training.Algorithm == Algorithm.Distral && agent.Networks.Count(n => IsLogitsNetwork(agent, n)) != 1) return "distral needs exactly one categorical network (the distilled policy)";
            return null;
        }
        if (training.Algorithm == Algorithm.Dqn)
        {
            var qNetworks = agent.Networks.Count(n => IsQNetwork(agent, n));
            if (qNetworks != 1) return $"dqn needs exactly one q_values network, found {qNetworks}";
            if (training.LossWeights.Kind == LossWeightingKind.AlphaSoftmax) return "'loss_weights: alpha_softmax' needs the sac trainer's per-task temperatures";
            return null;
        }
        if (agent.Action.Kind != ActionKind.Continuous) return $"the {Name(training.Algorithm)} trainer needs continuous actions (a discrete-action SAC is not supported yet)";
        var head = training.Algorithm == Algorithm.Sac ? "gaussian" : "deterministic";
        var policies = agent.Networks.Where(n => IsPolicyNetwork(agent, n) && n.Output.Op.Kind == head).ToList();
        if (policies.Count != 1) return $"{Name(training.Algorithm)} needs exactly one policy network with a {head} head, found {policies.Count}";
        var critics = agent.Networks.Where(n => IsCriticNetwork(agent, n)).ToList();
        if (critics.Count != 1) return $"{Name(training.Algorithm)} needs exactly one critic network (q_values reading the action), found {critics.Count}";
        if (!GradientFlow.ActionReceivesGradient(critics[0])) return $"the critic '{critics[0].Name}' reads the action only through detach, so the actor cannot learn through it";
        if (training.Algorithm == Algorithm.Td3 && training.LossWeights.Kind == LossWeightingKind.AlphaSoftmax) return "'loss_weights: alpha_softmax' needs sac's per-task temperatures";
        return null;
    }

    /// <summary>True for a network with a q_values output over discrete actions that does not read the action (the runtime's IQNetwork).</summary>
    public static bool IsQNetwork(AgentModel agent, NetworkModel network) =>
        network.Output.Op is QValuesOp && agent.Action.Kind == ActionKind.Discrete && !network.ReadsAction;

    /// <summary>True for a categorical head over discrete actions that does not read the action: its logits are read as an IQNetwork's values (Distral's distilled policy).</summary>
    public static bool IsLogitsNetwork(AgentModel agent, NetworkModel network) =>
        network.Output.Op is CategoricalOp && agent.Action.Kind == ActionKind.Discrete && !network.ReadsAction;

    /// <summary>True for a gaussian or deterministic policy over continuous actions (the runtime's IPolicyNetwork).</summary>
    public static bool IsPolicyNetwork(AgentModel agent, NetworkModel network) =>
        network.Output.Op is GaussianOp or DeterministicOp && agent.Action.Kind == ActionKind.Continuous && !network.ReadsAction;

    /// <summary>True for a q_values network reading a continuous action (the runtime's ICriticNetwork, when the action receives a gradient).</summary>
    public static bool IsCriticNetwork(AgentModel agent, NetworkModel network) =>
        network.Output.Op is QValuesOp { Outputs: 1 } && agent.Action.Kind == ActionKind.Continuous && network.ReadsAction;

    private static string Name(Algorithm algorithm) => algorithm.ToString().ToLowerInvariant();
}
