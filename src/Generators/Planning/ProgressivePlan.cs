using Mtrl.Dsl;

namespace Mtrl.Generators.Planning;

/// <summary>
/// Progressive columns: one column per task (<see cref="Columns"/>) of layers of
/// <see cref="Widths"/>, each layer after the first adding lateral adapters (reduction width
/// <see cref="Reduction"/>) from the earlier columns. <see cref="Fused"/>: ReLU layers without
/// laterals and each lateral's reduction run the ReLU inside the affine call.
/// <see cref="InputGradient"/> is where the input's gradient goes once scattered back to batch order.
/// </summary>
internal sealed record ProgressivePlan(string Node, string Input, int InputWidth, int Columns, EquatableArray<int> Widths, int Reduction, bool Fused,
    bool NeedsGradient, string OutputGradient, InputGradient InputGradient) : BlockPlan(Node)
{
    /// <summary>True when layer <paramref name="layer"/> adds laterals from earlier columns.</summary>
    public bool HasLaterals(int layer) => layer > 0 && Columns > 1;

    /// <summary>True when layer <paramref name="layer"/> runs its ReLU inside the affine call (no laterals to add first).</summary>
    public bool FusedLayer(int layer) => Fused && !HasLaterals(layer);
}
