using System;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Layers;

/// <summary>
/// Feature-wise linear modulation: [γ | β] = by·W + b, then y = γ ⊙ x + β. The affine map's
/// output is kept in a caller-owned workspace of width 2·width for the backward pass.
/// </summary>
public sealed class Film
{
    private readonly Linear _generator;

    /// <summary>Binds FiLM to the affine map from the conditioning (width cond) to 2·width.</summary>
    public Film(ParameterStore store, ParameterSlice weight, ParameterSlice bias)
    {
        _generator = new Linear(store, weight, bias);
        if (weight.Columns % 2 != 0) throw new ArgumentException("FiLM's generator must output 2·width values", nameof(weight));
    }

    /// <summary>Width of the modulated features.</summary>
    public int Width => _generator.Outputs / 2;

    /// <summary>Width of the conditioning input.</summary>
    public int ConditionWidth => _generator.Inputs;

    /// <summary>y = γ(by) ⊙ x + β(by); <paramref name="gammaBeta"/> receives [γ | β] per row.</summary>
    public void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> by, Span<float> gammaBeta, Span<float> y, int batch)
    {
        _generator.Forward(by, gammaBeta, batch);
        var w = Width;
        for (var b = 0; b < batch; b++)
        {
            var gb = gammaBeta.Slice(b * 2 * w, 2 * w);
            var input = x.Slice(b * w, w);
            var output = y.Slice(b * w, w);
            for (var i = 0; i < w; i++) output[i] = gb[i] * input[i] + gb[w + i];
        }
    }

    /// <summary>
    /// dx = γ ⊙ dy; d[γ|β] = [dy ⊙ x | dy] (written into <paramref name="gammaBetaGradient"/>),
    /// then through the affine map into d(by) and the parameters.
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> by, ReadOnlySpan<float> gammaBeta, ReadOnlySpan<float> dy,
        Span<float> gammaBetaGradient, Span<float> dx, Span<float> dBy, int batch)
    {
        var w = Width;
        for (var b = 0; b < batch; b++)
        {
            var gb = gammaBeta.Slice(b * 2 * w, 2 * w);
            var dgb = gammaBetaGradient.Slice(b * 2 * w, 2 * w);
            var input = x.Slice(b * w, w);
            var gradOut = dy.Slice(b * w, w);
            for (var i = 0; i < w; i++)
            {
                dgb[i] = gradOut[i] * input[i];
                dgb[w + i] = gradOut[i];
            }
            if (!dx.IsEmpty)
            {
                var gradIn = dx.Slice(b * w, w);
                for (var i = 0; i < w; i++) gradIn[i] = gb[i] * gradOut[i];
            }
        }
        _generator.Backward(by, gammaBetaGradient, dBy, batch);
    }
}
