using Mtrl.Dsl.Model;

namespace Mtrl.Generators.Planning;

/// <summary>
/// Soft modularization in either <see cref="Style"/>: <see cref="Layers"/> layers of
/// <see cref="Modules"/> modules of <see cref="Width"/>, routed by probabilities computed from
/// <see cref="Input"/> and <see cref="By"/> through a routing width of <see cref="RoutingWidth"/>,
/// mixed out by a learned gate (<see cref="Gated"/>) or the mean. <see cref="InputGradient"/> is
/// where the modules' input gradients are summed; <see cref="RoutesInputGradient"/>: the routing
/// input's product is differentiated back into x or by (<see cref="ByGradient"/>).
/// </summary>
internal sealed record SoftModularPlan(string Node, SoftModularStyle Style, string Input, int InputWidth, string By, int Layers, int Modules, int Width, int RoutingWidth,
    bool Gated, bool NeedsGradient, string OutputGradient, SummedGradient InputGradient, bool RoutesInputGradient, InputGradient ByGradient) : BlockPlan(Node);
