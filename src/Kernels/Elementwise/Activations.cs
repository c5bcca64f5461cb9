using System;

namespace Mtrl.Kernels;

/// <summary>
/// Activation functions and their backward passes over flat spans (any [rows, cols] batch laid
/// out contiguously). Backward passes compute grad_in = grad_out ⊙ f′ from whichever of the saved
/// input or output gives the cheaper, more accurate derivative; each method says which it needs.
/// </summary>
/// <remarks>
/// Outputs may be the input span itself (in-place), but must not partially overlap it. All spans of
/// one call must have the same length.
/// </remarks>
public static class Activations
{
    /// <summary>ReLU, y = max(x, 0): the default hidden activation of RL MLPs.</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => ElementwiseLoops.Map(x, y, default(ReluOperator));

    /// <summary>ReLU backward from the saved input: grad_in = grad_out where x &gt; 0, else 0.</summary>
    /// <param name="x">Input saved from the forward pass.</param>
    /// <param name="gradOut">Gradient with respect to the output.</param>
    /// <param name="gradIn">Gradient with respect to the input (may be <paramref name="gradOut"/>).</param>
    public static void ReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOut, Span<float> gradIn)
        => ElementwiseLoops.Map(x, gradOut, gradIn, default(ReluGradientOperator));

    /// <summary>Leaky ReLU, y = x for x &gt; 0 else slope·x: keeps a gradient for negative inputs.</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    /// <param name="slope">Slope for negative inputs (commonly 0.01).</param>
    public static void LeakyRelu(ReadOnlySpan<float> x, Span<float> y, float slope = 0.01f)
        => ElementwiseLoops.Map(x, y, new LeakyReluOperator(slope));

    /// <summary>Leaky ReLU backward from the saved input.</summary>
    /// <param name="x">Input saved from the forward pass.</param>
    /// <param name="gradOut">Gradient with respect to the output.</param>
    /// <param name="gradIn">Gradient with respect to the input (may be <paramref name="gradOut"/>).</param>
    /// <param name="slope">The slope used in the forward pass.</param>
    public static void LeakyReluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOut, Span<float> gradIn, float slope = 0.01f)
        => ElementwiseLoops.Map(x, gradOut, gradIn, new LeakyReluGradientOperator(slope));

    /// <summary>ELU, y = x for x &gt; 0 else alpha·(eˣ − 1): smooth and zero-centred, used by some SAC encoders.</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    /// <param name="alpha">Saturation value for large negative inputs (commonly 1).</param>
    public static void Elu(ReadOnlySpan<float> x, Span<float> y, float alpha = 1f)
        => ElementwiseLoops.Map(x, y, new EluOperator(alpha));

    /// <summary>ELU backward from the saved input (f′ = alpha·eˣ for x ≤ 0, computed from x to stay accurate far from 0).</summary>
    /// <param name="x">Input saved from the forward pass.</param>
    /// <param name="gradOut">Gradient with respect to the output.</param>
    /// <param name="gradIn">Gradient with respect to the input (may be <paramref name="gradOut"/>).</param>
    /// <param name="alpha">The alpha used in the forward pass.</param>
    public static void EluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOut, Span<float> gradIn, float alpha = 1f)
        => ElementwiseLoops.Map(x, gradOut, gradIn, new EluGradientOperator(alpha));

    /// <summary>Tanh, used for bounded outputs such as squashed actions.</summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => ElementwiseLoops.Map(x, y, default(TanhOperator));

    /// <summary>Tanh backward from the saved output: grad_in = grad_out·(1 − y²), no transcendental needed.</summary>
    /// <param name="y">Output saved from the forward pass.</param>
    /// <param name="gradOut">Gradient with respect to the output.</param>
    /// <param name="gradIn">Gradient with respect to the input (may be <paramref name="gradOut"/>).</param>
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> gradOut, Span<float> gradIn)
        => ElementwiseLoops.Map(y, gradOut, gradIn, default(TanhGradientOperator));

    /// <summary>
    /// GELU in its tanh approximation, 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) — PyTorch's
    /// <c>approximate="tanh"</c>, within about 1e-3 of the exact erf form — evaluated as
    /// x·σ(2u), which is algebraically identical and avoids cancellation.
    /// </summary>
    /// <param name="x">Input.</param>
    /// <param name="y">Output.</param>
    public static void Gelu(ReadOnlySpan<float> x, Span<float> y) => ElementwiseLoops.Map(x, y, default(GeluOperator));

    /// <summary>GELU (tanh approximation) backward from the saved input.</summary>
    /// <param name="x">Input saved from the forward pass.</param>
    /// <param name="gradOut">Gradient with respect to the output.</param>
    /// <param name="gradIn">Gradient with respect to the input (may be <paramref name="gradOut"/>).</param>
    public static void GeluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> gradOut, Span<float> gradIn)
        => ElementwiseLoops.Map(x, gradOut, gradIn, default(GeluGradientOperator));
}
