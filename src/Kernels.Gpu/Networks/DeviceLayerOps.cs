using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Networks;

/// <summary>
/// Launches <see cref="DeviceLayerKernels"/> on device arrays with the CPU kernels' argument checks:
/// a dense layer's bias gradient, ReLU backward, and Polyak averaging of a target network.
/// </summary>
public sealed class DeviceLayerOps
{
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int> _columnSums;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> _reluBackward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, float> _blend;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> _concat;

    /// <summary>Compiles the kernels for <paramref name="device"/>.</summary>
    public DeviceLayerOps(GpuDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        _columnSums = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(DeviceLayerKernels.ColumnSums);
        _reluBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(DeviceLayerKernels.ReluBackward);
        _concat = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(DeviceLayerKernels.ConcatColumns);
        _blend = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float>(DeviceLayerKernels.Blend);
    }

    /// <summary>sums[j] = Σ_i x[i, j] (or += when accumulating): a dense layer's bias gradient; the bits of <see cref="MatrixOps.ColumnSums"/>.</summary>
    /// <param name="x">rows × columns, row-major.</param>
    /// <param name="rows">Rows of x.</param>
    /// <param name="columns">Columns of x.</param>
    /// <param name="sums">Exactly <paramref name="columns"/> values.</param>
    /// <param name="accumulate">Add to <paramref name="sums"/> instead of overwriting it.</param>
    public void ColumnSums(ArrayView<float> x, int rows, int columns, ArrayView<float> sums, bool accumulate = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (x.Length != (long)rows * columns)
        {
            throw new ArgumentException($"x has {x.Length} values; it needs rows × columns = {rows} × {columns} = {(long)rows * columns}", nameof(x));
        }

        if (sums.Length != columns)
        {
            throw new ArgumentException($"sums has {sums.Length} values; it needs columns = {columns}", nameof(sums));
        }

        if (columns > 0)
        {
            _columnSums(columns, x, sums, rows, columns, accumulate ? 1 : 0);
        }
    }

    /// <summary>gradIn = gradOut where x &gt; 0, else 0, as <see cref="Activations.ReluBackward"/>; gradIn may be gradOut.</summary>
    public void ReluBackward(ArrayView<float> x, ArrayView<float> gradOut, ArrayView<float> gradIn)
    {
        SameLength(x, gradOut, nameof(gradOut));
        SameLength(x, gradIn, nameof(gradIn));
        if (x.Length > 0)
        {
            _reluBackward(checked((int)x.Length), x, gradOut, gradIn);
        }
    }

    /// <summary>target ← (1 − τ)·target + τ·source, as <c>Polyak.Update</c>; τ = 1 copies, τ = 0 keeps.</summary>
    /// <param name="target">The target network's parameters.</param>
    /// <param name="source">The online network's parameters, as long as the target's.</param>
    /// <param name="tau">τ in [0, 1].</param>
    public void Blend(ArrayView<float> target, ArrayView<float> source, float tau)
    {
        SameLength(target, source, nameof(source));
        if (!(tau >= 0f && tau <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(tau), tau, "tau must be in [0, 1]");
        }

        if (target.Length > 0)
        {
            _blend(checked((int)target.Length), target, source, tau);
        }
    }

    /// <summary>Row i of <paramref name="output"/> = row i of left, then row i of right: observations and goals side by side, as the CPU Q network's input.</summary>
    /// <param name="left">rows × leftWidth.</param>
    /// <param name="right">rows × rightWidth.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="leftWidth">Columns of left, at least 1.</param>
    /// <param name="rightWidth">Columns of right, at least 0.</param>
    /// <param name="output">rows × (leftWidth + rightWidth).</param>
    public void ConcatColumns(ArrayView<float> left, ArrayView<float> right, int rows, int leftWidth, int rightWidth, ArrayView<float> output)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(leftWidth, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rightWidth);
        AtLeast(left, (long)rows * leftWidth, nameof(left));
        AtLeast(right, (long)rows * rightWidth, nameof(right));
        AtLeast(output, (long)rows * (leftWidth + rightWidth), nameof(output));
        if (rows > 0)
        {
            _concat(checked(rows * (leftWidth + rightWidth)), left, right, output, leftWidth, rightWidth);
        }
    }

    private static void AtLeast(ArrayView<float> view, long length, string name)
    {
        if (view.Length < length)
        {
            throw new ArgumentException($"{name} has {view.Length} values; it needs {length}", name);
        }
    }

    private static void SameLength(ArrayView<float> reference, ArrayView<float> other, string name)
    {
        if (other.Length != reference.Length)
        {
            throw new ArgumentException($"{name} has {other.Length} values; it needs {reference.Length}", name);
        }
    }
}
