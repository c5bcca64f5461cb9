using System;
using Mtrl.Kernels;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Layers;

/// <summary>y = x·W + b with W stored [in, out]; the dense workhorse of every network.</summary>
public sealed class Linear
{
    private readonly ParameterStore _store;

    /// <summary>Binds a layer to its weight ([in, out]) and bias ([1, out]) slices.</summary>
    public Linear(ParameterStore store, ParameterSlice weight, ParameterSlice bias)
    {
        _store = store;
        Weight = weight;
        Bias = bias;
        if (bias.Length != weight.Columns)
        {
            throw new ArgumentException($"bias '{bias.Name}' has {bias.Length} values but weight '{weight.Name}' has {weight.Columns} outputs", nameof(bias));
        }
    }

    /// <summary>The weight slice.</summary>
    public ParameterSlice Weight { get; }

    /// <summary>The bias slice.</summary>
    public ParameterSlice Bias { get; }

    /// <summary>Input width.</summary>
    public int Inputs => Weight.Rows;

    /// <summary>Output width.</summary>
    public int Outputs => Weight.Columns;

    /// <summary>Which GEMM implementation to use (tests force each).</summary>
    public GemmBackend Backend { get; set; } = GemmBackend.Auto;

    /// <summary>Threads for the managed GEMM (null: the default accelerator).</summary>
    public Accelerator? Accelerator { get; set; }

    /// <summary>y[batch, out] = x[batch, in]·W + b.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        var output = y.Slice(0, batch * Outputs);
        var bias = _store.ValuesOf(Bias);
        for (var row = 0; row < batch; row++) bias.CopyTo(output.Slice(row * Outputs, Outputs));
        Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, batch, Outputs, Inputs,
            1f, x, Inputs, _store.ValuesOf(Weight), Outputs, 1f, output, Outputs, Backend, Accelerator);
    }

    /// <summary>dW += xᵀ·dy, db += Σ dy, dx = dy·Wᵀ (skipped when <paramref name="dx"/> is empty).</summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        var gradient = dy.Slice(0, batch * Outputs);
        Gemm.Multiply(GemmTranspose.Transpose, GemmTranspose.None, Inputs, Outputs, batch,
            1f, x, Inputs, gradient, Outputs, 1f, _store.GradientsOf(Weight), Outputs, Backend, Accelerator);
        MatrixOps.ColumnSums(gradient, batch, Outputs, _store.GradientsOf(Bias), accumulate: true);
        if (dx.IsEmpty) return;
        Gemm.Multiply(GemmTranspose.None, GemmTranspose.Transpose, batch, Inputs, Outputs,
            1f, gradient, Outputs, _store.ValuesOf(Weight), Outputs, 0f, dx.Slice(0, batch * Inputs), Inputs, Backend, Accelerator);
    }
}
