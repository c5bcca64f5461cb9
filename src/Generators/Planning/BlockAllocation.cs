using Mtrl.Dsl;

namespace Mtrl.Generators.Planning;

/// <summary>The constructor's allocation of a module block's layer and workspace arrays, one record per block kind.</summary>
internal abstract record BlockAllocation;

/// <summary>
/// PathNet's grid: <see cref="Layers"/> × <see cref="Modules"/> affine modules over
/// <see cref="ModuleAffine"/> (indexed by layer and module), their outputs and, unless the ReLU is
/// fused, their pre-activations.
/// </summary>
internal sealed record PathNetGridAllocation(string Node, int Layers, int Modules, int Width, bool Fused, SliceName ModuleAffine) : BlockAllocation;

/// <summary>A mixture's experts: one MLP per expert over <see cref="ExpertLayers"/> (indexed by expert), with their outputs and, unless fused, pre-activations.</summary>
internal sealed record ExpertAllocation(string Node, int Experts, EquatableArray<int> Widths, bool Fused, EquatableArray<SliceName> ExpertLayers) : BlockAllocation;

/// <summary>
/// A soft-modular grid: modules over <see cref="ModuleAffine"/>, their outputs, and for layers
/// after the first each module's mixed input (<see cref="MixedInputs"/>: the grid has more than one layer).
/// </summary>
internal sealed record SoftModularGridAllocation(string Node, int Layers, int Modules, int Width, string OutputsRole, bool MixedInputs, SliceName ModuleAffine) : BlockAllocation;

/// <summary>
/// One workspace of <see cref="Width"/> floats per sample for each of <see cref="Count"/> layers
/// (routing probabilities and their gradients); <see cref="Allocated"/> false declares the
/// empty outer array only (no routing layers).
/// </summary>
internal sealed record LayerWorkspaces(string Field, int Count, int Width, bool Allocated) : BlockAllocation;

/// <summary>Progressive layer <see cref="Layer"/> of every column: the affine layer over <see cref="Affine"/> (indexed by column), its output and, unless fused, its pre-activation.</summary>
internal sealed record ColumnLayerAllocation(string Node, int Layer, int Width, bool Fused, SliceName Affine) : BlockAllocation;

/// <summary>
/// The lateral adapters into progressive layer <see cref="Layer"/>, one per column after the first
/// (scale α, reduction, up-map and the concatenation of earlier columns, indexed by column), and
/// their workspaces; the reduction keeps its pre-activation unless its ReLU is fused.
/// </summary>
internal sealed record LateralAllocation(string Node, int Layer, int InputWidth, int Reduction, bool Fused,
    SliceName Alpha, SliceName Reduce, SliceName Up) : BlockAllocation;

/// <summary>One gradient workspace per column of a progressive layer.</summary>
internal sealed record ColumnGradientAllocation(string Field, int Width) : BlockAllocation;
