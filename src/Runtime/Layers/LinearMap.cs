using System;
using Mtrl.Kernels;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Layers;

/// <summary>
/// y = x·W without a bias, W stored [in, out]: the U of a progressive lateral adapter, whose sum
/// with the column's own affine layer already carries a bias.
/// </summary>
public sealed class LinearMap
{
    private readonly ParameterStore _store;

    /// <summary>Binds the map to its weight slice ([in, out]).</summary>
    public LinearMap(ParameterStore store, ParameterSlice weight)
    {
        _store = store;
        Weight = weight;
    }

    /// <summary>The weight slice.</summary>
    public ParameterSlice Weight { get; }

    /// <summary>Input width.</summary>
    public int Inputs => Weight.Rows;

    /// <summary>Output width.</summary>
    public int Outputs => Weight.Columns;

    /// <summary>Which GEMM implementation to use (tests force each).</summary>
    public GemmBackend Backend { get; set; } = GemmBackend.Auto;

    /// <summary>Threads for the managed GEMM (null: the default accelerator).</summary>
    public Accelerator? Accelerator { get; set; }

    /// <summary>y[batch, out] = x[batch, in]·W.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int batch) =>
        Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, batch, Outputs, Inputs,
            1f, x, Inputs, _store.ValuesOf(Weight), Outputs, 0f, y.Slice(0, batch * Outputs), Outputs, Backend, Accelerator);

    /// <summary>dW += xᵀ·dy, dx = dy·Wᵀ (skipped when <paramref name="dx"/> is empty).</summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        var gradient = dy.Slice(0, batch * Outputs);
        if (_store.AccumulatesGradients)
        {
            Gemm.Multiply(GemmTranspose.Transpose, GemmTranspose.None, Inputs, Outputs, batch,
                1f, x, Inputs, gradient, Outputs, 1f, _store.GradientsOf(Weight), Outputs, Backend, Accelerator);
        }
        if (dx.IsEmpty) return;
        Gemm.Multiply(GemmTranspose.None, GemmTranspose.Transpose, batch, Inputs, Outputs,
            1f, gradient, Outputs, _store.ValuesOf(Weight), Outputs, 0f, dx.Slice(0, batch * Inputs), Inputs, Backend, Accelerator);
    }
}
