namespace Mtrl.Generators.Planning;

/// <summary>
/// One statement of a generated network's constructor. <see cref="Assigns"/> names the field a
/// statement assigns: the lowering keeps the first statement per field, so a workspace two steps
/// ask for is allocated once.
/// </summary>
internal abstract record ConstructorStatement
{
    /// <summary>The field this statement assigns, or null for statements that assign several (block allocations).</summary>
    public virtual string? Assigns => null;
}

/// <summary>
/// <c>field = new float[maxBatch * width]</c>: a workspace of <see cref="Width"/> floats per sample,
/// printed as <see cref="Named"/> when the width is its node's (or the input's) named constant.
/// </summary>
internal sealed record AllocateBuffer(string Field, int Width, NamedWidth? Named = null) : ConstructorStatement
{
    public override string? Assigns => Field;
}

/// <summary>A workspace of ActionSize floats per sample (the action and its gradient).</summary>
internal sealed record AllocateActionBuffer(string Field) : ConstructorStatement
{
    public override string? Assigns => Field;
}

/// <summary>The task ids of the batch, one per sample.</summary>
internal sealed record AllocateTaskIds(string Field) : ConstructorStatement
{
    public override string? Assigns => Field;
}

/// <summary>The batch's rows grouped by task.</summary>
internal sealed record CreateTaskBatch(string Field) : ConstructorStatement
{
    public override string? Assigns => Field;
}

/// <summary>Keeps the parameter store (networks that freeze slices).</summary>
internal sealed record KeepStore(string Field) : ConstructorStatement
{
    public override string? Assigns => Field;
}

/// <summary>Creates a runtime layer.</summary>
internal sealed record CreateLayer(string Field, LayerCreation Creation) : ConstructorStatement
{
    public override string? Assigns => Field;
}

/// <summary>Fills a weight workspace with 1 / <see cref="Count"/> (fixed uniform mixing weights).</summary>
internal sealed record FillUniform(string Field, int Count) : ConstructorStatement;

/// <summary>Progressive networks start with column 0 active.</summary>
internal sealed record StartActiveColumns(string Field) : ConstructorStatement
{
    public override string? Assigns => Field;
}

/// <summary>PathNet: every task starts on the default pathways.</summary>
internal sealed record AssignDefaultPathways(string Field) : ConstructorStatement
{
    public override string? Assigns => Field;
}

/// <summary>
/// The arrays of a module block (PathNet grid, mixture of experts, soft-modular grid, progressive
/// columns and laterals, per-layer probability workspaces): loops over layers and modules.
/// </summary>
internal sealed record AllocateBlock(BlockAllocation Allocation) : ConstructorStatement;
