using System;
using Mtrl.Kernels;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Layers;

/// <summary>
/// One affine map per task (per-task heads and readouts): sample b uses task[b]'s weights. Rows
/// are gathered by task so each task is a single GEMM, then scattered back.
/// </summary>
public sealed class TaskLinear
{
    private readonly ParameterStore _store;
    private readonly ParameterSlice[] _weights;
    private readonly ParameterSlice[] _biases;
    private readonly float[] _inputs;
    private readonly float[] _outputs;
    private readonly float[] _inputGradients;

    /// <summary>Binds one weight ([in, out]) and bias per task; workspaces sized for <paramref name="maxBatch"/>.</summary>
    public TaskLinear(ParameterStore store, ParameterSlice[] weights, ParameterSlice[] biases, int maxBatch)
    {
        if (weights.Length == 0 || weights.Length != biases.Length) throw new ArgumentException("one weight and one bias per task are needed", nameof(biases));
        _store = store;
        _weights = weights;
        _biases = biases;
        Inputs = weights[0].Rows;
        Outputs = weights[0].Columns;
        foreach (var w in weights)
        {
            if (w.Rows != Inputs || w.Columns != Outputs) throw new ArgumentException($"'{w.Name}' is {w.Rows}x{w.Columns}, expected {Inputs}x{Outputs}", nameof(weights));
        }
        _inputs = new float[maxBatch * Inputs];
        _outputs = new float[maxBatch * Outputs];
        _inputGradients = new float[maxBatch * Inputs];
    }

    /// <summary>Number of tasks.</summary>
    public int Tasks => _weights.Length;

    /// <summary>Input width.</summary>
    public int Inputs { get; }

    /// <summary>Output width.</summary>
    public int Outputs { get; }

    /// <summary>Which GEMM implementation to use.</summary>
    public GemmBackend Backend { get; set; } = GemmBackend.Auto;

    /// <summary>Threads for the managed GEMM (null: the default accelerator).</summary>
    public Accelerator? Accelerator { get; set; }

    /// <summary>y[b] = x[b]·W_task[b] + b_task[b].</summary>
    public void Forward(ReadOnlySpan<float> x, TaskBatch groups, Span<float> y)
    {
        ReadOnlySpan<float> source = groups.IsIdentity ? x : Gather(x, groups, Inputs, _inputs);
        Span<float> target = groups.IsIdentity ? y : _outputs;
        for (var t = 0; t < Tasks; t++)
        {
            int start = groups.Start(t), count = groups.Count(t);
            if (count == 0) continue;
            var rows = target.Slice(start * Outputs, count * Outputs);
            Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, count, Outputs, Inputs,
                1f, source.Slice(start * Inputs, count * Inputs), Inputs, _store.ValuesOf(_weights[t]), Outputs, 0f, rows, Outputs,
                GemmEpilogue.AddBias(_store.ValuesOf(_biases[t])), Backend, Accelerator);
        }
        if (!groups.IsIdentity) Scatter(_outputs, groups, Outputs, y);
    }

    /// <summary>Accumulates each task's parameter gradients from its rows and writes dx (skipped when empty).</summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, TaskBatch groups, Span<float> dx)
    {
        ReadOnlySpan<float> source = groups.IsIdentity ? x : Gather(x, groups, Inputs, _inputs);
        ReadOnlySpan<float> gradient = groups.IsIdentity ? dy : Gather(dy, groups, Outputs, _outputs);
        Span<float> gradIn = groups.IsIdentity ? dx : (dx.IsEmpty ? Span<float>.Empty : _inputGradients);
        for (var t = 0; t < Tasks; t++)
        {
            int start = groups.Start(t), count = groups.Count(t);
            if (count == 0) continue;
            var rows = gradient.Slice(start * Outputs, count * Outputs);
            if (_store.AccumulatesGradients)
            {
                Gemm.AccumulateAffineGradients(count, Inputs, Outputs, source.Slice(start * Inputs, count * Inputs), rows,
                    _store.GradientsOf(_weights[t]), _store.GradientsOf(_biases[t]), Backend, Accelerator);
            }
            if (gradIn.IsEmpty) continue;
            Gemm.Multiply(GemmTranspose.None, GemmTranspose.Transpose, count, Inputs, Outputs,
                1f, rows, Outputs, _store.ValuesOf(_weights[t]), Outputs, 0f, gradIn.Slice(start * Inputs, count * Inputs), Inputs, Backend, Accelerator);
        }
        if (!groups.IsIdentity && !dx.IsEmpty) Scatter(_inputGradients, groups, Inputs, dx);
    }

    private static Span<float> Gather(ReadOnlySpan<float> rows, TaskBatch groups, int width, float[] workspace)
    {
        TaskRows.Gather(rows, groups, workspace, width);
        return workspace.AsSpan(0, groups.Order.Length * width);
    }

    private static void Scatter(ReadOnlySpan<float> grouped, TaskBatch groups, int width, Span<float> rows) =>
        TaskRows.Scatter(grouped, groups, rows, width);
}
