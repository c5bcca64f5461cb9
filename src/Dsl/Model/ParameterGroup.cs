namespace Mtrl.Dsl.Model;

/// <summary>Who a parameter belongs to; decides freezing, PCGrad's shared set and checkpoints.</summary>
public enum OwnerKind
{
    /// <summary>Used by every task.</summary>
    Shared,
    /// <summary>Used by one task only (per-task heads, per-task readouts).</summary>
    Task,
    /// <summary>A progressive column (trained on one task, then frozen).</summary>
    Column,
    /// <summary>Module (layer, index) of a PathNet grid, soft-modular net or mixture of experts (layer 0).</summary>
    Module,
}

/// <summary>Ownership tag of one parameter group.</summary>
public readonly record struct ParameterOwner(OwnerKind Kind, int Index, int Index2)
{
    /// <summary>Used by every task.</summary>
    public static ParameterOwner Shared => new(OwnerKind.Shared, 0, 0);

    /// <summary>Belongs to task <paramref name="task"/>.</summary>
    public static ParameterOwner Task(int task) => new(OwnerKind.Task, task, 0);

    /// <summary>Belongs to progressive column <paramref name="column"/>.</summary>
    public static ParameterOwner Column(int column) => new(OwnerKind.Column, column, 0);

    /// <summary>Belongs to module <paramref name="module"/> of layer <paramref name="layer"/>.</summary>
    public static ParameterOwner Module(int layer, int module) => new(OwnerKind.Module, layer, module);

    /// <summary>True when only one task trains these parameters.</summary>
    public bool IsTaskSpecific => Kind is OwnerKind.Task or OwnerKind.Column;

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        OwnerKind.Shared => "shared",
        OwnerKind.Task => $"task {Index}",
        OwnerKind.Column => $"column {Index}",
        _ => $"module ({Index},{Index2})",
    };
}

/// <summary>
/// One named parameter tensor (row-major <see cref="Rows"/> × <see cref="Columns"/>; vectors have
/// one row). <see cref="Node"/> is the node or block it belongs to. The runtime lays groups out
/// in this order in one flat buffer.
/// </summary>
public sealed record ParameterGroup(string Name, string Node, ParameterOwner Owner, int Rows, int Columns)
{
    /// <summary>Number of scalars.</summary>
    public long Count => (long)Rows * Columns;
}
