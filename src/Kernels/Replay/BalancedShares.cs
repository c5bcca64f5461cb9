using System;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// Splits a batch into equal per-task shares for task-balanced replay, so a task with few
/// transitions is seen as often as a task with many (the usual remedy when one task's data would
/// otherwise dominate multi-task updates).
/// </summary>
public static class BalancedShares
{
    /// <summary>
    /// Writes row ranges per task: task t gets rows [rowStarts[t], rowStarts[t + 1]). Tasks with
    /// no sampleable transition get none; the A tasks that have some get ⌊batch / A⌋ rows each, and
    /// the remaining batch mod A rows go one each to consecutive tasks (in task order, wrapping)
    /// starting at the <paramref name="rotation"/>-th of them — so the remainder is deterministic,
    /// and a caller that advances the rotation evens it out over successive batches.
    /// </summary>
    /// <param name="batch">Rows to split; at least 0.</param>
    /// <param name="taskCounts">Sampleable transitions per task.</param>
    /// <param name="rotation">Which task (counting only tasks with data) receives the first extra row; any value ≥ 0, taken modulo A.</param>
    /// <param name="rowStarts">Output, tasks + 1 entries.</param>
    /// <returns>A, the number of tasks that have sampleable transitions.</returns>
    /// <exception cref="InvalidOperationException">No task has a sampleable transition.</exception>
    public static int Split(int batch, ReadOnlySpan<int> taskCounts, int rotation, Span<int> rowStarts)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(rotation);
        if (rowStarts.Length != taskCounts.Length + 1)
        {
            throw new ArgumentException($"rowStarts must hold tasks + 1 = {taskCounts.Length + 1} entries", nameof(rowStarts));
        }

        int active = 0;
        foreach (int count in taskCounts)
        {
            if (count < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(taskCounts), count, "task counts must be ≥ 0");
            }

            active += count > 0 ? 1 : 0;
        }

        if (active == 0)
        {
            throw new InvalidOperationException("no task has a sampleable transition yet: finish at least one episode before sampling");
        }

        int share = batch / active;
        int remainder = batch % active;
        int first = rotation % active;
        rowStarts[0] = 0;
        int position = 0;
        for (int t = 0; t < taskCounts.Length; t++)
        {
            int rows = 0;
            if (taskCounts[t] > 0)
            {
                int distance = position - first;
                if (distance < 0)
                {
                    distance += active;
                }

                rows = share + (distance < remainder ? 1 : 0);
                position++;
            }

            rowStarts[t + 1] = rowStarts[t] + rows;
        }

        return active;
    }
}
