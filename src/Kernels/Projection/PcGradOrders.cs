using System;

namespace Mtrl.Kernels;

/// <summary>
/// The orders in which PCGrad's task i visits the other tasks: a T×(T−1) row-major table whose
/// row i is a permutation of {0, …, T−1} \ {i}. Explicit tables make results testable; the
/// Philox draw makes the paper's per-task random shuffles reproducible from (seed, stream,
/// counter) alone.
/// </summary>
public static class PcGradOrders
{
    /// <summary>Philox counter values one task's shuffle uses: T − 2 random indices, two per block.</summary>
    /// <param name="taskCount">T ≥ 1.</param>
    public static ulong CountersPerTask(int taskCount)
    {
        CheckTaskCount(taskCount);
        return (ulong)Math.Max(0, taskCount - 1) / 2;
    }

    /// <summary>Counter values a whole draw consumes, so a trainer can advance its counter by this after each step.</summary>
    /// <param name="taskCount">T ≥ 1.</param>
    public static ulong CountersUsed(int taskCount) => (ulong)taskCount * CountersPerTask(taskCount);

    /// <summary>
    /// Fills <paramref name="orders"/> with independent uniform shuffles, one per task. Row i
    /// starts as the other tasks in increasing order and is shuffled by Fisher–Yates: for
    /// m = T−2 down to 1, swap positions m and r with r uniform in [0, m]; the q-th index of task i
    /// (q = T−2−m) comes from words 2(q mod 2), 2(q mod 2)+1 of Philox block
    /// counter + i·<see cref="CountersPerTask"/>(T) + q/2 of (seed, stream), via
    /// <see cref="RandomBits.ToIndex(uint, uint, int)"/>.
    /// </summary>
    /// <param name="orders">T×(T−1) table to overwrite.</param>
    /// <param name="taskCount">T ≥ 1.</param>
    /// <param name="seed">Experiment seed.</param>
    /// <param name="stream">Stream reserved for PCGrad's shuffles.</param>
    /// <param name="counter">First counter value; advance by <see cref="CountersUsed"/> per draw.</param>
    public static void Draw(Span<int> orders, int taskCount, ulong seed, ulong stream, ulong counter)
    {
        CheckTaskCount(taskCount);
        CheckLength(orders.Length, taskCount);
        int others = taskCount - 1;
        ulong perTask = CountersPerTask(taskCount);
        for (int i = 0; i < taskCount; i++)
        {
            Span<int> row = orders.Slice(i * others, others);
            for (int s = 0; s < others; s++)
            {
                row[s] = s < i ? s : s + 1;
            }

            ulong first = counter + (ulong)i * perTask;
            PhiloxBlock block = default;
            for (int m = others - 1, q = 0; m >= 1; m--, q++)
            {
                if ((q & 1) == 0)
                {
                    block = Philox4x32.Generate(seed, stream, first + (ulong)(q / 2));
                }

                int r = (q & 1) == 0 ? RandomBits.ToIndex(block.X0, block.X1, m + 1) : RandomBits.ToIndex(block.X2, block.X3, m + 1);
                (row[m], row[r]) = (row[r], row[m]);
            }
        }
    }

    /// <summary>
    /// Throws unless every row i of <paramref name="orders"/> is a permutation of the tasks other
    /// than i; the message names the row, the position and the offending value.
    /// </summary>
    /// <param name="orders">T×(T−1) table, row-major.</param>
    /// <param name="taskCount">T ≥ 1.</param>
    public static void Validate(ReadOnlySpan<int> orders, int taskCount)
    {
        CheckTaskCount(taskCount);
        Span<int> seen = taskCount <= 256 ? stackalloc int[taskCount] : new int[taskCount];
        Validate(orders, taskCount, seen);
    }

    /// <summary>Validation with caller-provided scratch of T ints (no allocation).</summary>
    internal static void Validate(ReadOnlySpan<int> orders, int taskCount, Span<int> seen)
    {
        CheckLength(orders.Length, taskCount);
        int others = taskCount - 1;
        seen.Clear();
        for (int i = 0; i < taskCount; i++)
        {
            for (int s = 0; s < others; s++)
            {
                int j = orders[i * others + s];
                if ((uint)j >= (uint)taskCount)
                {
                    throw new ArgumentOutOfRangeException(
                        nameof(orders), j, $"orders[{i}, {s}] (flat index {i * others + s}) must be a task in [0, {taskCount - 1}].");
                }

                if (j == i)
                {
                    throw new ArgumentException($"orders row {i} must list the other tasks; position {s} holds task {i} itself.", nameof(orders));
                }

                // Stamp i + 1 marks "seen in row i" without clearing between rows.
                if (seen[j] == i + 1)
                {
                    throw new ArgumentException($"orders row {i} lists task {j} twice (again at position {s}); each row must be a permutation of the other tasks.", nameof(orders));
                }

                seen[j] = i + 1;
            }
        }
    }

    private static void CheckTaskCount(int taskCount)
    {
        if (taskCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(taskCount), taskCount, "taskCount must be at least 1.");
        }
    }

    private static void CheckLength(int length, int taskCount)
    {
        long expected = (long)taskCount * (taskCount - 1);
        if (length != expected)
        {
            throw new ArgumentException(
                $"orders must hold taskCount × (taskCount − 1) = {expected} task indices (row i: the other tasks in the order task i visits them); it holds {length}.",
                "orders");
        }
    }
}
