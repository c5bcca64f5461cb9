namespace Mtrl.Contracts;

/// <summary>Who a parameter tensor belongs to: decides freezing, PCGrad's shared set and checkpoint naming.</summary>
public enum ParameterOwnerKind
{
    /// <summary>Used by every task.</summary>
    Shared = 0,

    /// <summary>Used by one task only (per-task heads and readouts).</summary>
    Task = 1,

    /// <summary>A progressive column: trained on one task, then frozen.</summary>
    Column = 2,

    /// <summary>Module (layer, index) of a PathNet grid, soft-modular net or mixture of experts.</summary>
    Module = 3,
}

/// <summary>Ownership tag of one parameter slice.</summary>
public readonly record struct ParameterOwner(ParameterOwnerKind Kind, int Index, int Index2)
{
    /// <summary>Used by every task.</summary>
    public static ParameterOwner Shared => default;

    /// <summary>Belongs to task <paramref name="task"/>.</summary>
    public static ParameterOwner Task(int task) => new(ParameterOwnerKind.Task, task, 0);

    /// <summary>Belongs to progressive column <paramref name="column"/>.</summary>
    public static ParameterOwner Column(int column) => new(ParameterOwnerKind.Column, column, 0);

    /// <summary>Belongs to module <paramref name="module"/> of layer <paramref name="layer"/>.</summary>
    public static ParameterOwner Module(int layer, int module) => new(ParameterOwnerKind.Module, layer, module);

    /// <summary>True when only one task trains these parameters (they keep their own gradient under PCGrad).</summary>
    public bool IsTaskSpecific => Kind is ParameterOwnerKind.Task or ParameterOwnerKind.Column;

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        ParameterOwnerKind.Shared => "shared",
        ParameterOwnerKind.Task => $"task {Index}",
        ParameterOwnerKind.Column => $"column {Index}",
        _ => $"module ({Index},{Index2})",
    };
}
