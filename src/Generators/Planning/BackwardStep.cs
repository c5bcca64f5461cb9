namespace Mtrl.Generators.Planning;

/// <summary>
/// One step of a generated Backward. A gradient target that is null means the input takes no
/// gradient (the runtime call gets an empty span).
/// </summary>
internal abstract record BackwardStep;

/// <summary>An embedding's table gradient from <see cref="OutputGradient"/>.</summary>
internal sealed record EmbeddingBackward(string Layer, string OutputGradient) : BackwardStep;

/// <summary>Part <see cref="Part"/> of a concatenation's gradient into <see cref="Target"/>.</summary>
internal sealed record ConcatBackward(string Layer, int Part, string OutputGradient, string Target) : BackwardStep;

/// <summary>FiLM's backward: γβ, input and conditioning gradients.</summary>
internal sealed record FilmBackward(string Layer, string Input, string Condition, string GammaBeta, string OutputGradient,
    string GammaBetaGradient, string? InputGradient, string? ConditionGradient) : BackwardStep;

/// <summary>How an affine layer's backward runs.</summary>
internal enum AffineBackwardMode
{
    /// <summary>Parameter and input gradients.</summary>
    Plain,
    /// <summary>The input is a fused ReLU's output read by this layer alone: the input gradient is written at that ReLU's input.</summary>
    ThroughRelu,
    /// <summary>Each task's rows through its own weights.</summary>
    PerTask,
}

/// <summary>An affine layer's backward: parameter gradients, and the input gradient into <see cref="Target"/>.</summary>
internal sealed record AffineBackward(string Layer, string Input, string OutputGradient, string? Target, AffineBackwardMode Mode) : BackwardStep;

/// <summary>Layer normalisation's backward.</summary>
internal sealed record NormBackward(string Layer, string Input, string OutputGradient, string? Target) : BackwardStep;

/// <summary>
/// An activation's backward over <see cref="Width"/> floats per sample. A fused ReLU kept no
/// pre-activation: its <see cref="Input"/> is its output (relu(a) &gt; 0 ⇔ a &gt; 0).
/// </summary>
internal sealed record ActivationBackward(string Layer, string Input, string Output, string OutputGradient, string? Target, int Width, NamedWidth? Named = null) : BackwardStep;

/// <summary>Copies the output gradient to <see cref="Target"/> (features that are their input).</summary>
internal sealed record CopyBackward(string OutputGradient, string Target, int Width, NamedWidth? Named = null) : BackwardStep;

/// <summary>Adds <see cref="Part"/> (a scratch buffer) into <see cref="Target"/>, <see cref="Width"/> floats per sample.</summary>
internal sealed record AccumulateGradient(string Target, string Part, int Width, NamedWidth? Named = null) : BackwardStep;

/// <summary>A module block's backward schedule.</summary>
internal sealed record BlockBackward(BlockPlan Block) : BackwardStep;
