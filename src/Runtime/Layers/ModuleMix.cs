using System;

namespace Mtrl.Runtime.Layers;

/// <summary>
/// Mixes module outputs with per-sample weights: out[b, j] = Σ_k w[b, j, k] · modules[b, k].
/// Modules are stored [batch, count, width] (each sample's modules contiguous). This is
/// soft-modular routing (w = routing probabilities, j over next-layer modules), its final gated or
/// mean mixing (one output row), a mixture of experts (w = gate) and PathNet's masked module sum
/// (w = 0/1 pathway mask).
/// </summary>
public sealed class ModuleMix
{
    /// <summary>Mixes <paramref name="sources"/> modules of width <paramref name="width"/> into <paramref name="outputs"/> rows.</summary>
    public ModuleMix(int sources, int outputs, int width)
    {
        if (sources < 1 || outputs < 1 || width < 1) throw new ArgumentOutOfRangeException(nameof(sources), "sources, outputs and width must be at least 1");
        Sources = sources;
        Outputs = outputs;
        Width = width;
    }

    /// <summary>Modules mixed (k).</summary>
    public int Sources { get; }

    /// <summary>Mixtures produced per sample (j).</summary>
    public int Outputs { get; }

    /// <summary>Width of every module output.</summary>
    public int Width { get; }

    /// <summary>out = w · modules per sample; w is [batch, outputs, sources].</summary>
    public void Forward(ReadOnlySpan<float> weights, ReadOnlySpan<float> modules, Span<float> output, int batch)
    {
        int n = Sources, m = Outputs, w = Width;
        for (var b = 0; b < batch; b++)
        {
            var weight = weights.Slice(b * m * n, m * n);
            var source = modules.Slice(b * n * w, n * w);
            var target = output.Slice(b * m * w, m * w);
            target.Clear();
            for (var j = 0; j < m; j++)
            {
                var row = target.Slice(j * w, w);
                for (var k = 0; k < n; k++)
                {
                    var a = weight[j * n + k];
                    if (a == 0f) continue;
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(source.Slice(k * w, w), a, row, row);
                }
            }
        }
    }

    /// <summary>dw[b, j, k] = ⟨dout[b, j], modules[b, k]⟩; dmodules[b, k] = Σ_j w[b, j, k] dout[b, j]. Either may be empty.</summary>
    public void Backward(ReadOnlySpan<float> weights, ReadOnlySpan<float> modules, ReadOnlySpan<float> dOutput,
        Span<float> dWeights, Span<float> dModules, int batch)
    {
        int n = Sources, m = Outputs, w = Width;
        for (var b = 0; b < batch; b++)
        {
            var weight = weights.Slice(b * m * n, m * n);
            var source = modules.Slice(b * n * w, n * w);
            var gradOut = dOutput.Slice(b * m * w, m * w);
            if (!dWeights.IsEmpty)
            {
                var gradWeight = dWeights.Slice(b * m * n, m * n);
                for (var j = 0; j < m; j++)
                {
                    for (var k = 0; k < n; k++)
                    {
                        gradWeight[j * n + k] = System.Numerics.Tensors.TensorPrimitives.Dot(gradOut.Slice(j * w, w), source.Slice(k * w, w));
                    }
                }
            }
            if (!dModules.IsEmpty)
            {
                var gradSource = dModules.Slice(b * n * w, n * w);
                gradSource.Clear();
                for (var k = 0; k < n; k++)
                {
                    var row = gradSource.Slice(k * w, w);
                    for (var j = 0; j < m; j++)
                    {
                        var a = weight[j * n + k];
                        if (a == 0f) continue;
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(gradOut.Slice(j * w, w), a, row, row);
                    }
                }
            }
        }
    }
}
