using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;

namespace Mtrl.Dsl.Semantics;

/// <summary>
/// Where a network's backward pass sends gradients: the generator sizes gradient buffers by it,
/// and trainer support asks it whether an actor can learn through a critic's action input. One
/// analysis for both, so they cannot disagree.
/// </summary>
public static class GradientFlow
{
    /// <summary>The spec's name of the action input a critic reads.</summary>
    public const string ActionSource = "action";

    /// <summary>
    /// False for an input whose value is read but whose gradient is defined to be zero: the
    /// <c>by</c> of a per-task or ensemble gate, which reads nothing (MTRL0406 warns).
    /// </summary>
    public static bool CarriesGradient(NodeModel node, NodeInput input) =>
        !(node.Op is MoeOp { Gate: GateKind.PerTask or GateKind.Ensemble } && input.Parameter == "by");

    /// <summary>
    /// Nodes whose output needs a gradient: they feed the output through something other than
    /// detach and have trainable parameters (or the action) upstream, so no work is spent on the
    /// gradient of, say, a concatenation of inputs.
    /// </summary>
    public static HashSet<string> NodesNeedingGradient(NetworkModel network)
    {
        var nodes = new HashSet<string>(network.Nodes.Select(n => n.Name), StringComparer.Ordinal);
        var needs = new HashSet<string>(StringComparer.Ordinal) { network.Output.Name };
        foreach (var node in network.Nodes.Reverse())
        {
            if (!needs.Contains(node.Name) || node.Op is DetachOp) continue;
            foreach (var input in node.Inputs)
            {
                if (nodes.Contains(input.Source) && CarriesGradient(node, input)) needs.Add(input.Source);
            }
        }
        var trainable = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in network.Nodes)
        {
            if (node.Op is not DetachOp && (HasParameters(node.Op) || node.Inputs.Any(i => trainable.Contains(i.Source) || i.Source == ActionSource)))
            {
                trainable.Add(node.Name);
            }
        }
        needs.IntersectWith(trainable);
        return needs;
    }

    /// <summary>True when the network's output depends on the action through something other than detach (a critic an actor can learn through).</summary>
    public static bool ActionReceivesGradient(NetworkModel network)
    {
        var needs = NodesNeedingGradient(network);
        return network.Nodes.Any(node => needs.Contains(node.Name) && node.Op is not DetachOp
            && node.Inputs.Any(input => input.Source == ActionSource && CarriesGradient(node, input)));
    }

    private static bool HasParameters(LayerOp op) =>
        op is EmbeddingOp or LinearOp or MlpOp or FilmOp or HeadsOp or HeadOp or PathNetOp or MoeOp or SoftModularOp or ProgressiveOp or FeaturesOp { Affine: true };
}
