using System;
using System.Numerics.Tensors;

namespace Mtrl.Kernels;

/// <summary>
/// Row- and column-wise operations on row-major [rows, cols] batches: the bias broadcast of a
/// dense layer's forward pass and the reductions of its backward pass.
/// </summary>
public static class MatrixOps
{
    /// <summary>y[i, :] = x[i, :] + v: adds a bias (row vector) to every sample of a batch.</summary>
    /// <param name="x">Input batch, rows·cols values.</param>
    /// <param name="rowVector">Vector of length cols.</param>
    /// <param name="y">Output batch; may be <paramref name="x"/> itself.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Number of columns.</param>
    public static void AddRowVector(ReadOnlySpan<float> x, ReadOnlySpan<float> rowVector, Span<float> y, int rows, int cols)
    {
        CheckMatrix(x.Length, rows, cols, nameof(x));
        CheckMatrix(y.Length, rows, cols, nameof(y));
        ElementwiseLoops.CheckSameLength(cols, rowVector.Length, nameof(rowVector));
        for (int i = 0; i < rows; i++)
        {
            TensorPrimitives.Add(x.Slice(i * cols, cols), rowVector, y.Slice(i * cols, cols));
        }
    }

    /// <summary>
    /// sums[j] = Σ_i x[i, j] (or sums[j] += … when accumulating): the bias gradient of a dense
    /// layer; accumulation lets several heads or tasks add into one gradient buffer.
    /// </summary>
    /// <param name="x">Batch, rows·cols values.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Number of columns.</param>
    /// <param name="sums">Vector of length cols.</param>
    /// <param name="accumulate">Add to <paramref name="sums"/> instead of overwriting it.</param>
    public static void ColumnSums(ReadOnlySpan<float> x, int rows, int cols, Span<float> sums, bool accumulate = false)
    {
        CheckMatrix(x.Length, rows, cols, nameof(x));
        ElementwiseLoops.CheckSameLength(cols, sums.Length, nameof(sums));
        if (!accumulate)
        {
            sums.Clear();
        }

        // Row by row keeps every access unit-stride and vectorised.
        for (int i = 0; i < rows; i++)
        {
            TensorPrimitives.Add(sums, x.Slice(i * cols, cols), sums);
        }
    }

    /// <summary>sums[i] = Σ_j x[i, j]: per-sample totals (e.g. summing per-dimension log-probabilities).</summary>
    /// <param name="x">Batch, rows·cols values.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Number of columns.</param>
    /// <param name="sums">Vector of length rows.</param>
    public static void RowSums(ReadOnlySpan<float> x, int rows, int cols, Span<float> sums)
    {
        CheckMatrix(x.Length, rows, cols, nameof(x));
        ElementwiseLoops.CheckSameLength(rows, sums.Length, nameof(sums));
        for (int i = 0; i < rows; i++)
        {
            sums[i] = TensorPrimitives.Sum(x.Slice(i * cols, cols));
        }
    }

    /// <summary>Throws unless a span holds exactly a rows × cols matrix.</summary>
    internal static void CheckMatrix(int length, int rows, int cols, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if ((long)rows * cols != length)
        {
            throw new ArgumentException($"Span of length {length} is not a {rows}×{cols} matrix.", name);
        }
    }
}
