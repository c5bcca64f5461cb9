using System;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Layers;

/// <summary>
/// Per-sample normalisation over features: y = (x − μ)/√(σ² + ε) ⊙ gain + shift. Statistics are
/// recomputed in backward from x (cheap next to the GEMMs) so the layer keeps no state.
/// </summary>
public sealed class LayerNorm
{
    private readonly ParameterStore _store;

    /// <summary>Binds the layer to its gain and shift slices (both [1, width]).</summary>
    public LayerNorm(ParameterStore store, ParameterSlice gain, ParameterSlice shift, float epsilon = 1e-5f)
    {
        _store = store;
        Gain = gain;
        Shift = shift;
        Epsilon = epsilon;
        if (gain.Length != shift.Length) throw new ArgumentException("gain and shift must have the same width", nameof(shift));
    }

    /// <summary>The gain slice.</summary>
    public ParameterSlice Gain { get; }

    /// <summary>The shift slice.</summary>
    public ParameterSlice Shift { get; }

    /// <summary>Added to the variance.</summary>
    public float Epsilon { get; }

    /// <summary>Feature width.</summary>
    public int Width => Gain.Length;

    /// <summary>Normalises each row of x into y.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        var gain = _store.ValuesOf(Gain);
        var shift = _store.ValuesOf(Shift);
        var n = Width;
        for (var row = 0; row < batch; row++)
        {
            var input = x.Slice(row * n, n);
            var output = y.Slice(row * n, n);
            var (mean, inverse) = Statistics(input);
            for (var i = 0; i < n; i++) output[i] = (input[i] - mean) * inverse * gain[i] + shift[i];
        }
    }

    /// <summary>Accumulates gain/shift gradients and writes dx.</summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        var gain = _store.ValuesOf(Gain);
        var dGain = _store.GradientsOf(Gain);
        var dShift = _store.GradientsOf(Shift);
        var accumulate = _store.AccumulatesGradients;
        var n = Width;
        for (var row = 0; row < batch; row++)
        {
            var input = x.Slice(row * n, n);
            var gradOut = dy.Slice(row * n, n);
            var (mean, inverse) = Statistics(input);
            double sumG = 0, sumGX = 0;
            for (var i = 0; i < n; i++)
            {
                var normalised = (input[i] - mean) * inverse;
                if (accumulate)
                {
                    dGain[i] += gradOut[i] * normalised;
                    dShift[i] += gradOut[i];
                }
                var g = gradOut[i] * gain[i];
                sumG += g;
                sumGX += g * normalised;
            }
            if (dx.IsEmpty) continue;
            var gradIn = dx.Slice(row * n, n);
            var meanG = (float)(sumG / n);
            var meanGX = (float)(sumGX / n);
            for (var i = 0; i < n; i++)
            {
                var normalised = (input[i] - mean) * inverse;
                gradIn[i] = inverse * (gradOut[i] * gain[i] - meanG - normalised * meanGX);
            }
        }
    }

    private (float Mean, float InverseStd) Statistics(ReadOnlySpan<float> row)
    {
        double sum = 0;
        foreach (var v in row) sum += v;
        var mean = sum / row.Length;
        double squares = 0;
        foreach (var v in row) squares += (v - mean) * (v - mean);
        var variance = squares / row.Length;
        return ((float)mean, (float)(1.0 / Math.Sqrt(variance + Epsilon)));
    }
}
