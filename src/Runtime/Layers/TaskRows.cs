using System;

namespace Mtrl.Runtime.Layers;

/// <summary>
/// Moves batch rows into and out of task order (<see cref="TaskBatch.Order"/>), for schedules that
/// work on all rows of tasks ≥ k at once: in task order those rows are one contiguous suffix.
/// </summary>
public static class TaskRows
{
    /// <summary>grouped[i] = rows[Order[i]] for every sample, rows <paramref name="width"/> wide.</summary>
    public static void Gather(ReadOnlySpan<float> rows, TaskBatch groups, Span<float> grouped, int width)
    {
        var order = groups.Order;
        for (var i = 0; i < order.Length; i++) rows.Slice(order[i] * width, width).CopyTo(grouped.Slice(i * width, width));
    }

    /// <summary>rows[Order[i]] = grouped[i]: the inverse of <see cref="Gather"/>.</summary>
    public static void Scatter(ReadOnlySpan<float> grouped, TaskBatch groups, Span<float> rows, int width)
    {
        var order = groups.Order;
        for (var i = 0; i < order.Length; i++) grouped.Slice(i * width, width).CopyTo(rows.Slice(order[i] * width, width));
    }
}
