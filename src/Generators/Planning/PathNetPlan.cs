namespace Mtrl.Generators.Planning;

/// <summary>
/// A PathNet grid: <see cref="Layers"/> layers of <see cref="Modules"/> modules of
/// <see cref="Width"/>, each layer's output the sum of the modules on the sample's pathway.
/// <see cref="Fused"/>: ReLU modules run their ReLU inside the affine call.
/// <see cref="InputGradient"/> is where layer 0 adds its modules' input gradients.
/// </summary>
internal sealed record PathNetPlan(string Node, string Input, int InputWidth, int Layers, int Modules, int Width, bool Fused,
    bool NeedsGradient, string OutputGradient, SummedGradient InputGradient) : BlockPlan(Node);
