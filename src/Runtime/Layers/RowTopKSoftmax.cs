using System;

namespace Mtrl.Runtime.Layers;

/// <summary>
/// Softmax over the k largest entries of each row, zero elsewhere: a top-k mixture-of-experts
/// gate (softmax, keep the k largest, renormalise — which is the softmax of the k largest
/// scores). Ties go to the lower index, so the choice is deterministic.
/// </summary>
public static class RowTopKSoftmax
{
    /// <summary>Rows up to this many columns keep their chosen set on the stack; wider ones (rare) on the heap.</summary>
    private const int StackColumns = 1024;

    /// <summary>y = softmax over the k largest of each row of x, 0 for the others.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, int columns, int k)
    {
        if (columns < 0) throw new ArgumentOutOfRangeException(nameof(columns), columns, "columns must be at least 0");
        if (k < 1 || k > columns) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [1, {columns}]");
        Span<bool> kept = columns <= StackColumns ? stackalloc bool[columns] : new bool[columns];
        for (var row = 0; row < rows; row++)
        {
            var scores = x.Slice(row * columns, columns);
            var output = y.Slice(row * columns, columns);
            kept.Clear();
            var max = float.NegativeInfinity;
            for (var pick = 0; pick < k; pick++)
            {
                var best = -1;
                for (var j = 0; j < columns; j++)
                {
                    if (!kept[j] && (best < 0 || scores[j] > scores[best])) best = j;
                }
                kept[best] = true;
                if (pick == 0) max = scores[best];
            }
            var sum = 0f;
            for (var j = 0; j < columns; j++)
            {
                var value = kept[j] ? MathF.Exp(scores[j] - max) : 0f;
                output[j] = value;
                sum += value;
            }
            for (var j = 0; j < columns; j++) output[j] /= sum;
        }
    }

    /// <summary>dx = y ⊙ (dy − Σ y ⊙ dy) per row: the softmax Jacobian, which is zero on the dropped entries (y = 0).</summary>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int columns) =>
        RowSoftmax.Backward(y, dy, dx, rows, columns);
}
