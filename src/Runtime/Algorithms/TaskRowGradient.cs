using System;
using System.Numerics.Tensors;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// A batch loss split into per-task losses for per-task backward passes: task t's loss is the
/// mean over its own rows, so its gradient is the batch gradient on those rows scaled by
/// batch/rows and zero elsewhere.
/// </summary>
public static class TaskRowGradient
{
    /// <summary>Counts each task's rows of the batch into <paramref name="rows"/> (cleared first).</summary>
    public static void CountRows(ReadOnlySpan<int> taskIds, Span<int> rows)
    {
        rows.Clear();
        foreach (var task in taskIds) rows[task]++;
    }

    /// <summary>
    /// Writes task <paramref name="task"/>'s share of <paramref name="gradient"/> (rows of
    /// <paramref name="width"/> values): its rows times <paramref name="scale"/>, every other row 0.
    /// </summary>
    public static void Mask(ReadOnlySpan<float> gradient, ReadOnlySpan<int> taskIds, int task, float scale, int width, Span<float> destination)
    {
        for (var i = 0; i < taskIds.Length; i++)
        {
            var row = destination.Slice(i * width, width);
            if (taskIds[i] == task) TensorPrimitives.Multiply(gradient.Slice(i * width, width), scale, row);
            else row.Clear();
        }
    }
}
