using System;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Layers;

/// <summary>A learned row per task: y[b] = table[task[b]].</summary>
public sealed class Embedding
{
    private readonly ParameterStore _store;

    /// <summary>Binds the layer to its table slice [tasks, dim].</summary>
    public Embedding(ParameterStore store, ParameterSlice table)
    {
        _store = store;
        Table = table;
    }

    /// <summary>The table slice.</summary>
    public ParameterSlice Table { get; }

    /// <summary>Rows in the table.</summary>
    public int Tasks => Table.Rows;

    /// <summary>Embedding width.</summary>
    public int Dim => Table.Columns;

    /// <summary>Looks up each sample's row.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A task id outside [0, tasks).</exception>
    public void Forward(ReadOnlySpan<int> tasks, Span<float> y, int batch)
    {
        var table = _store.ValuesOf(Table);
        for (var b = 0; b < batch; b++)
        {
            var task = CheckTask(tasks[b], Tasks);
            table.Slice(task * Dim, Dim).CopyTo(y.Slice(b * Dim, Dim));
        }
    }

    /// <summary>Adds each sample's gradient to its row.</summary>
    public void Backward(ReadOnlySpan<int> tasks, ReadOnlySpan<float> dy, int batch)
    {
        if (!_store.AccumulatesGradients) return;
        var gradients = _store.GradientsOf(Table);
        for (var b = 0; b < batch; b++)
        {
            var row = gradients.Slice(tasks[b] * Dim, Dim);
            var gradOut = dy.Slice(b * Dim, Dim);
            for (var i = 0; i < Dim; i++) row[i] += gradOut[i];
        }
    }

    internal static int CheckTask(int task, int tasks) =>
        (uint)task < (uint)tasks
            ? task
            : throw new ArgumentOutOfRangeException(nameof(task), task, $"task ids must be in [0, {tasks})");
}

/// <summary>The task id as a one-hot vector; no parameters and no gradient.</summary>
public sealed class OneHot
{
    /// <summary>One-hot over <paramref name="tasks"/> classes.</summary>
    public OneHot(int tasks) => Tasks = tasks;

    /// <summary>Width of the output.</summary>
    public int Tasks { get; }

    /// <summary>y[b] = e_{task[b]}.</summary>
    public void Forward(ReadOnlySpan<int> tasks, Span<float> y, int batch)
    {
        var output = y.Slice(0, batch * Tasks);
        output.Clear();
        for (var b = 0; b < batch; b++) output[b * Tasks + Embedding.CheckTask(tasks[b], Tasks)] = 1f;
    }
}
