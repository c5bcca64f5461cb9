using Mtrl.Contracts;
using Mtrl.Dsl;

namespace Mtrl.Generators.Planning;

/// <summary>How the constructor creates one runtime layer; one record per layer kind.</summary>
internal abstract record LayerCreation;

/// <summary>A one-hot encoding of the task id over <see cref="Tasks"/> tasks.</summary>
internal sealed record OneHotCreation(int Tasks) : LayerCreation;

/// <summary>A one-hot encoding of the task id over the agent's Tasks constant (a gate without <c>by</c>).</summary>
internal sealed record TaskOneHotCreation : LayerCreation;

/// <summary>An embedding table.</summary>
internal sealed record EmbeddingCreation(SliceName Table) : LayerCreation;

/// <summary>A concatenation of parts of the given widths.</summary>
internal sealed record ConcatCreation(EquatableArray<int> Parts) : LayerCreation;

/// <summary>A split into parts of the given widths.</summary>
internal sealed record SplitCreation(EquatableArray<int> Parts) : LayerCreation;

/// <summary>FiLM over the affine layer giving γ and β.</summary>
internal sealed record FilmCreation(SliceName Affine) : LayerCreation;

/// <summary>An affine layer.</summary>
internal sealed record LinearCreation(SliceName Affine) : LayerCreation;

/// <summary>An affine layer per task (<see cref="Affine"/> indexed by <see cref="LoopIndex.Task"/>).</summary>
internal sealed record TaskLinearCreation(SliceName Affine) : LayerCreation;

/// <summary>Layer normalisation with its gain and shift.</summary>
internal sealed record LayerNormCreation(SliceName Gain, SliceName Shift) : LayerCreation;

/// <summary>An elementwise activation.</summary>
internal sealed record ActivationCreation(ActivationKind Kind) : LayerCreation;

/// <summary>A mix of <see cref="Modules"/> module outputs of <see cref="Width"/> into <see cref="Rows"/> rows.</summary>
internal sealed record ModuleMixCreation(int Modules, int Rows, int Width) : LayerCreation;
