using Mtrl.Dsl;
using Mtrl.Dsl.Model;

namespace Mtrl.Generators.Planning;

/// <summary>
/// The public members a network gets from its module blocks: pathway controls (PathNet),
/// routing accessors (soft modularization), column controls (progressive), and the private helpers
/// they and per-task layers share.
/// </summary>
internal sealed record ModularMembers(
    PathwayControls? Pathways,
    EquatableArray<RoutingAccessors> Routing,
    ColumnControls? Columns,
    bool UsesOwnedSlices,
    bool UsesTaskSlices);

/// <summary>PathNet's pathway get/set and freezing, for the grid node <see cref="Node"/>.</summary>
internal sealed record PathwayControls(string Node, int Layers, int Modules, int Active, string PathwaysField, string ModulesField, EquatableArray<string> ReadoutPrefixes);

/// <summary>
/// Routing accessors of one soft-modular node: <see cref="Qualifier"/> prefixes the member names
/// when a network has several such nodes.
/// </summary>
internal sealed record RoutingAccessors(string Node, int Line, string Qualifier, int Modules, int Layers, bool Gated, SoftModularStyle Style, string ProbabilitiesField, string GateWeightsField);

/// <summary>Progressive column controls over the progressive nodes (names and lines) and their slice prefixes.</summary>
internal sealed record ColumnControls(EquatableArray<NodeLine> Nodes, EquatableArray<string> Prefixes, EquatableArray<string> ReadoutPrefixes);

/// <summary>A node and the line declaring it.</summary>
internal sealed record NodeLine(string Node, int Line);
