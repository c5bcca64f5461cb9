using ILGPU;

namespace Mtrl.Kernels.Gpu.Networks;

/// <summary>
/// The elementwise and per-column kernels of a dense network's backward pass and of target
/// networks, each the twin of a CPU kernel (<see cref="MatrixOps.ColumnSums"/>,
/// <see cref="Activations.ReluBackward"/>, the Polyak blend).
/// </summary>
internal static class DeviceLayerKernels
{
    /// <summary>
    /// One thread per column j: sums[j] (+)= Σ_i x[i, j], adding row after row from +0 (or the
    /// existing value when accumulating), the CPU's order, so the bits are the CPU's.
    /// </summary>
    public static void ColumnSums(Index1D column, ArrayView<float> x, ArrayView<float> sums, int rows, int columns, int accumulate)
    {
        float total = accumulate != 0 ? sums[column] : 0f;
        for (int i = 0; i < rows; i++)
        {
            total += x[((long)i * columns) + column];
        }

        sums[column] = total;
    }

    /// <summary>gradIn[i] = x[i] &gt; 0 ? gradOut[i] : 0, with x the ReLU's saved input (or output: both are positive at the same places).</summary>
    public static void ReluBackward(Index1D i, ArrayView<float> x, ArrayView<float> gradOut, ArrayView<float> gradIn)
        => gradIn[i] = x[i] > 0f ? gradOut[i] : 0f;

    /// <summary>One thread per output element: row i of output is row i of left followed by row i of right (an observation and its goal as one network input).</summary>
    public static void ConcatColumns(Index1D index, ArrayView<float> left, ArrayView<float> right, ArrayView<float> output, int leftWidth, int rightWidth)
    {
        int width = leftWidth + rightWidth;
        int row = index / width;
        int column = index - (row * width);
        output[index] = column < leftWidth ? left[((long)row * leftWidth) + column] : right[((long)row * rightWidth) + column - leftWidth];
    }

    /// <summary>target[i] ← target[i]·(1 − τ) + source[i]·τ: Polyak averaging of a target network.</summary>
    public static void Blend(Index1D i, ArrayView<float> target, ArrayView<float> source, float tau)
        => target[i] = (target[i] * (1f - tau)) + (source[i] * tau);
}
