using System;
using Mtrl.Kernels;

namespace Mtrl.Runtime.Layers;

/// <summary>y = a ⊙ b: soft-modular routing input (x ⊙ task embedding) and gating.</summary>
public static class ElementwiseProduct
{
    /// <summary>y = a ⊙ b over <paramref name="length"/> values.</summary>
    public static void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, int length) =>
        VectorOps.Multiply(a.Slice(0, length), b.Slice(0, length), y.Slice(0, length));

    /// <summary>da = dy ⊙ b, db = dy ⊙ a (each skipped when empty).</summary>
    public static void Backward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> dy, Span<float> da, Span<float> db, int length)
    {
        if (!da.IsEmpty) VectorOps.Multiply(dy.Slice(0, length), b.Slice(0, length), da.Slice(0, length));
        if (!db.IsEmpty) VectorOps.Multiply(dy.Slice(0, length), a.Slice(0, length), db.Slice(0, length));
    }
}

/// <summary>Softmax along each row (routing probabilities, attention gates).</summary>
public static class RowSoftmax
{
    /// <summary>y = softmax(x) per row.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, int columns) =>
        Softmax.Rows(x.Slice(0, rows * columns), y.Slice(0, rows * columns), rows, columns);

    /// <summary>dx = y ⊙ (dy − Σ y ⊙ dy) per row.</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int columns)
    {
        if (dx.IsEmpty) return;
        Softmax.RowsBackward(y.Slice(0, rows * columns), dy.Slice(0, rows * columns), dx.Slice(0, rows * columns), rows, columns);
    }
}
