using Mtrl.Dsl;
using Mtrl.Dsl.Model;

namespace Mtrl.Generators.Planning;

/// <summary>
/// A mixture of experts with an attention, top-k or ensemble gate: <see cref="Experts"/> MLPs of
/// <see cref="Widths"/> on the whole batch, mixed by the gate's weights. A learned gate reads
/// <see cref="GateInput"/> (the one-hot task id when <see cref="GateReadsTaskIds"/>) through hidden
/// ReLU layers of <see cref="GateWidths"/> and a softmax (over the top <see cref="TopK"/> for top-k)
/// at <see cref="Temperature"/>. <see cref="Fused"/>: ReLU experts run their ReLUs inside the affine calls.
/// </summary>
internal sealed record MoePlan(string Node, string Input, int InputWidth, int Experts, EquatableArray<int> Widths, int Width, bool Fused,
    GateKind Gate, int TopK, double Temperature, string GateInput, bool GateReadsTaskIds, EquatableArray<int> GateWidths,
    bool NeedsGradient, string OutputGradient, SummedGradient InputGradient, InputGradient ByGradient, int ByWidth) : BlockPlan(Node)
{
    /// <summary>True for a gate with parameters (attention, top-k); an ensemble mixes uniformly.</summary>
    public bool Learned => Gate is GateKind.Attention or GateKind.TopK;
}
