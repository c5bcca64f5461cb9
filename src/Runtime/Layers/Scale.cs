using System;
using System.Numerics.Tensors;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Layers;

/// <summary>y = α·x with one learned scalar α (a [1, 1] slice): the α of a progressive lateral adapter.</summary>
public sealed class Scale
{
    private readonly ParameterStore _store;

    /// <summary>Binds the layer to its scalar slice.</summary>
    public Scale(ParameterStore store, ParameterSlice alpha)
    {
        if (alpha.Length != 1) throw new ArgumentException($"'{alpha.Name}' must hold one value, found {alpha.Length}", nameof(alpha));
        _store = store;
        Alpha = alpha;
    }

    /// <summary>The scalar slice.</summary>
    public ParameterSlice Alpha { get; }

    /// <summary>y = α·x over <paramref name="length"/> values.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int length) =>
        TensorPrimitives.Multiply(x.Slice(0, length), _store.ValuesOf(Alpha)[0], y.Slice(0, length));

    /// <summary>dα += Σ dy ⊙ x; dx = α·dy (skipped when <paramref name="dx"/> is empty).</summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int length)
    {
        if (_store.AccumulatesGradients) _store.GradientsOf(Alpha)[0] += TensorPrimitives.Dot(x.Slice(0, length), dy.Slice(0, length));
        if (!dx.IsEmpty) TensorPrimitives.Multiply(dy.Slice(0, length), _store.ValuesOf(Alpha)[0], dx.Slice(0, length));
    }
}
