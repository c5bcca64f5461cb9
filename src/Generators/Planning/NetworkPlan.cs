using Mtrl.Dsl;

namespace Mtrl.Generators.Planning;

/// <summary>
/// One generated network class as plain, value-equatable data: what the spec model lowers to
/// (<see cref="NetworkLowering"/>) and all the emitter prints. Fields and constructor statements
/// are in declaration order, each workspace once; <see cref="Backward"/> is already in the order
/// it runs (nodes in reverse, nodes without backward work left out). It holds no Roslyn objects,
/// so the generator's cache can compare plans.
/// </summary>
internal sealed record NetworkPlan(
    string ClassName,
    NetworkHeader Header,
    RowContract Contract,
    EquatableArray<WidthConstant> WidthConstants,
    EquatableArray<FieldPlan> Fields,
    EquatableArray<ConstructorStatement> Constructor,
    EquatableArray<string> TrainedPrefixes,
    int OutputWidth,
    string OutputField,
    NetworkInputs Inputs,
    EquatableArray<ForwardStep> Forward,
    EquatableArray<string> NodesNeedingGradient,
    EquatableArray<SummedGradientClear> SummedGradients,
    EquatableArray<NodeBackward> Backward,
    EquatableArray<FieldPlan> MatrixLayers,
    ModularMembers Modular);

/// <summary>
/// The runtime interface for rows a network implements (decided by its role and the agent's
/// algorithm), or none.
/// </summary>
internal enum RowContract
{
    None,
    QNetwork,
    PolicyNetwork,
    CriticNetwork,
    FeatureNetwork,
}

/// <summary>A gradient buffer several consumers add into: Backward clears it on entry (<see cref="IsAction"/>: ActionSize wide).</summary>
internal sealed record SummedGradientClear(string Field, int Width, bool IsAction, NamedWidth? Named = null);

/// <summary>The backward steps of one node, in the order they run.</summary>
internal sealed record NodeBackward(string Node, string Kind, EquatableArray<BackwardStep> Steps);
