using System;
using System.Numerics.Tensors;

namespace Mtrl.Kernels;

/// <summary>
/// Softmax along the rows of a row-major [rows, cols] matrix: policy heads, mixture-of-experts
/// gates and soft-modularization routing weights all normalise each sample's scores this way.
/// </summary>
public static class Softmax
{
    /// <summary>
    /// y[i, :] = exp(x[i, :] − max_j x[i, j]) / Σ_j exp(x[i, j] − max): subtracting the row
    /// maximum keeps exp from overflowing for any finite input, and does not change the result.
    /// </summary>
    /// <param name="x">Scores, rows·cols values.</param>
    /// <param name="y">Probabilities; may be <paramref name="x"/> itself.</param>
    /// <param name="rows">Number of rows (samples).</param>
    /// <param name="cols">Number of columns (classes); must be positive when rows are.</param>
    public static void Rows(ReadOnlySpan<float> x, Span<float> y, int rows, int cols)
    {
        MatrixOps.CheckMatrix(x.Length, rows, cols, nameof(x));
        MatrixOps.CheckMatrix(y.Length, rows, cols, nameof(y));
        if (cols == 0)
        {
            return;
        }

        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<float> xRow = x.Slice(i * cols, cols);
            Span<float> yRow = y.Slice(i * cols, cols);
            float max = TensorPrimitives.Max(xRow);
            TensorPrimitives.Subtract(xRow, max, yRow);
            TensorPrimitives.Exp(yRow, yRow);
            float sum = TensorPrimitives.Sum(yRow);
            TensorPrimitives.Divide(yRow, sum, yRow);
        }
    }

    /// <summary>
    /// Backward from the saved output: grad_in[i, :] = y[i, :] ⊙ (grad_out[i, :] − ⟨grad_out[i, :], y[i, :]⟩),
    /// the Jacobian-vector product without forming the cols×cols Jacobian.
    /// </summary>
    /// <param name="y">Probabilities saved from the forward pass.</param>
    /// <param name="gradOut">Gradient with respect to the probabilities.</param>
    /// <param name="gradIn">Gradient with respect to the scores; may be <paramref name="gradOut"/>, not <paramref name="y"/>.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Number of columns.</param>
    public static void RowsBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> gradOut, Span<float> gradIn, int rows, int cols)
    {
        MatrixOps.CheckMatrix(y.Length, rows, cols, nameof(y));
        MatrixOps.CheckMatrix(gradOut.Length, rows, cols, nameof(gradOut));
        MatrixOps.CheckMatrix(gradIn.Length, rows, cols, nameof(gradIn));
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<float> yRow = y.Slice(i * cols, cols);
            ReadOnlySpan<float> gRow = gradOut.Slice(i * cols, cols);
            Span<float> dRow = gradIn.Slice(i * cols, cols);
            float dot = TensorPrimitives.Dot(gRow, yRow);
            TensorPrimitives.Subtract(gRow, dot, dRow);
            TensorPrimitives.Multiply(dRow, yRow, dRow);
        }
    }
}
