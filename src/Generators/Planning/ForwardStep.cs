namespace Mtrl.Generators.Planning;

/// <summary>
/// One step of a generated Forward, over workspaces named by their fields. Steps of the plain
/// layers are records of their own; a module block's schedule is one step holding the block's plan.
/// </summary>
internal abstract record ForwardStep;

/// <summary>Marks where node <see cref="Node"/> (of kind <see cref="Kind"/>) starts.</summary>
internal sealed record NodeStart(string Node, string Kind) : ForwardStep;

/// <summary>A task lookup (one-hot or embedding): reads the task ids, writes <see cref="Output"/>.</summary>
internal sealed record TaskLookupForward(string Layer, string Output) : ForwardStep;

/// <summary>Writes <see cref="Input"/> as part <see cref="Part"/> of a concatenation.</summary>
internal sealed record ConcatForward(string Layer, int Part, string Input, string Output) : ForwardStep;

/// <summary>Copies <see cref="Input"/> through a gradient stop.</summary>
internal sealed record StopGradientForward(string Input, string Output, int Width) : ForwardStep;

/// <summary>FiLM: <see cref="Input"/> modulated by γ and β from <see cref="Condition"/>, kept in <see cref="GammaBeta"/>.</summary>
internal sealed record FilmForward(string Layer, string Input, string Condition, string GammaBeta, string Output) : ForwardStep;

/// <summary>How an affine layer runs.</summary>
internal enum AffineMode
{
    /// <summary>x·W + b.</summary>
    Plain,
    /// <summary>relu(x·W + b) in one call, keeping no pre-activation.</summary>
    FusedRelu,
    /// <summary>Each task's rows through its own weights.</summary>
    PerTask,
}

/// <summary>An affine layer from <see cref="Input"/> into <see cref="Output"/>.</summary>
internal sealed record AffineForward(string Layer, string Input, string Output, AffineMode Mode) : ForwardStep;

/// <summary>Layer normalisation.</summary>
internal sealed record NormForward(string Layer, string Input, string Output) : ForwardStep;

/// <summary>An elementwise activation over <see cref="Width"/> floats per sample.</summary>
internal sealed record ActivationForward(string Layer, string Input, string Output, int Width, NamedWidth? Named = null) : ForwardStep;

/// <summary>Copies <see cref="Width"/> floats per sample from <see cref="Input"/> to <see cref="Output"/>.</summary>
internal sealed record CopyForward(string Input, string Output, int Width, NamedWidth? Named = null) : ForwardStep;

/// <summary>A module block's forward schedule.</summary>
internal sealed record BlockForward(BlockPlan Block) : ForwardStep;
