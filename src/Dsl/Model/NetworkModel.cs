using Mtrl.Dsl.Text;

namespace Mtrl.Dsl.Model;

/// <summary>What a network is for, decided by its output head.</summary>
public enum NetworkRole
{
    /// <summary>Outputs an action distribution or action (gaussian, categorical, deterministic).</summary>
    Policy,
    /// <summary>Outputs Q values.</summary>
    Critic,
    /// <summary>Outputs a state value.</summary>
    Value,
}

/// <summary>
/// One network as a static schedule: <see cref="Nodes"/> in an order where every node's inputs
/// come before it. The last node is the output head.
/// </summary>
public sealed record NetworkModel(
    string Name,
    NetworkRole Role,
    EquatableArray<NodeModel> Nodes,
    EquatableArray<ParameterGroup> Parameters,
    bool ReadsAction,
    SourceSpan Span)
{
    /// <summary>The output head (the last node).</summary>
    public NodeModel Output => Nodes[Nodes.Count - 1];

    /// <summary>
    /// The <c>out name = features(x)</c> output (a <see cref="FeaturesOp"/> node reading a node of
    /// <see cref="Nodes"/> or an input), or null. It is not part of <see cref="Nodes"/>; its
    /// predictor's parameters, if any, are the last of <see cref="Parameters"/>.
    /// </summary>
    public NodeModel? Features { get; init; }
}

/// <summary>
/// A source feeding a node: <see cref="Parameter"/> is the role it plays ("x", "by", "film", or
/// "x0".. for concat); <see cref="Source"/> names an agent input (<c>obs</c>, <c>task</c>,
/// <c>action</c>) or an earlier node.
/// </summary>
public sealed record NodeInput(string Parameter, string Source, int Width);

/// <summary>
/// One layer application. <see cref="Block"/> names the agent-level block whose parameters it
/// uses, or is null when the parameters belong to this node alone.
/// </summary>
public sealed record NodeModel(
    string Name,
    LayerOp Op,
    EquatableArray<NodeInput> Inputs,
    int Width,
    string? Block,
    SourceSpan Span);
