namespace Mtrl.Generators.Planning;

/// <summary>What a field of a generated network holds: a workspace element type or a runtime layer type.</summary>
internal enum FieldElement
{
    /// <summary>float (workspaces).</summary>
    Float,
    /// <summary>int (task ids, the active column count).</summary>
    Int,
    /// <summary>The runtime's TaskBatch (rows grouped by task).</summary>
    TaskBatch,
    /// <summary>The agent's ParameterStore (kept for freezing).</summary>
    ParameterStore,
    OneHot,
    Embedding,
    Concat,
    Film,
    Linear,
    TaskLinear,
    LayerNorm,
    Activation,
    ModuleMix,
    Split,
    Scale,
    LinearMap,
}

/// <summary>
/// One field of a generated network: its name, element type and array rank (<c>Linear[][]</c> is
/// Linear of rank 2). Fields are read-only except the active column count of progressive networks.
/// </summary>
internal sealed record FieldPlan(string Name, FieldElement Element, int Rank = 0, bool ReadOnly = true)
{
    /// <summary>True for layers whose matrix products UseGemm configures.</summary>
    public bool IsMatrixLayer => Element is FieldElement.Linear or FieldElement.TaskLinear or FieldElement.LinearMap;
}
