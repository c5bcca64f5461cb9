using System;
using System.Runtime.CompilerServices;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// Task-balanced proportional prioritized sampling: rows are grouped by task (task t owns rows
/// [rowStarts[t], rowStarts[t + 1])), and task t's rows are drawn from its own
/// <see cref="SumTree"/>, stratified over that tree's mass. A row's probability is
/// q = (Bₜ/B)·wₖ/Σₜ, Bₜ being the task's rows, and its raw importance weight (n·q)^−β; the caller
/// divides by the batch maximum.
/// </summary>
/// <remarks>Row i uses words 0 and 1 of Philox block (seed, stream, counter + i).</remarks>
public readonly ref struct TaskProportionalSlotSelector : ISlotSelector
{
    private readonly ReadOnlySpan<double> _trees;
    private readonly ReadOnlySpan<int> _rowStarts;
    private readonly Span<float> _weights;
    private readonly int _treeLength;
    private readonly double _population;
    private readonly double _beta;
    private readonly int _batch;
    private readonly ulong _seed;
    private readonly ulong _stream;
    private readonly ulong _counter;

    /// <summary>Creates the selector.</summary>
    /// <param name="trees">One sum tree per task, end to end, each <paramref name="treeLength"/> long.</param>
    /// <param name="treeLength">Elements of one tree (2 × leaves).</param>
    /// <param name="rowStarts">Tasks + 1 row boundaries; a task with rows must have positive mass.</param>
    /// <param name="population">n, sampleable slots over all tasks; at least 1.</param>
    /// <param name="beta">Importance-sampling exponent β in [0, 1].</param>
    /// <param name="weights">Receives each row's unnormalised importance weight; one entry per row.</param>
    /// <param name="seed">Experiment seed.</param>
    /// <param name="stream">Random stream of the sampler.</param>
    /// <param name="counter">Counter of row 0.</param>
    public TaskProportionalSlotSelector(ReadOnlySpan<double> trees, int treeLength, ReadOnlySpan<int> rowStarts, int population, float beta,
        Span<float> weights, ulong seed, ulong stream, ulong counter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(treeLength, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(population, 1);
        if (trees.Length != (rowStarts.Length - 1) * treeLength)
        {
            throw new ArgumentException($"trees must hold one tree of {treeLength} per task ({rowStarts.Length - 1} tasks)", nameof(trees));
        }

        if (!(beta >= 0f && beta <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be in [0, 1]");
        }

        for (int t = 0; t + 1 < rowStarts.Length; t++)
        {
            if (rowStarts[t + 1] > rowStarts[t] && !(SumTree.Total(trees.Slice(t * treeLength, treeLength)) > 0d))
            {
                throw new ArgumentException($"task {t} has rows but its sum tree holds no positive weight", nameof(rowStarts));
            }
        }

        _trees = trees;
        _treeLength = treeLength;
        _rowStarts = rowStarts;
        _weights = weights;
        _population = population;
        _beta = beta;
        _batch = weights.Length;
        _seed = seed;
        _stream = stream;
        _counter = counter;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Select(int row)
    {
        int task = 0;
        while (row >= _rowStarts[task + 1])
        {
            task++;
        }

        int first = _rowStarts[task];
        int rows = _rowStarts[task + 1] - first;
        ReadOnlySpan<double> tree = _trees.Slice(task * _treeLength, _treeLength);
        double total = SumTree.Total(tree);
        PhiloxBlock block = Philox4x32.Generate(_seed, _stream, _counter + (ulong)row);
        double mass = SumTree.StratifiedMass(total, row - first, rows, block.X0, block.X1);
        int leaf = SumTree.Find(tree, mass);
        double probability = (double)rows / _batch * SumTree.Leaf(tree, leaf) / total;
        _weights[row] = (float)Math.Pow(_population * probability, -_beta);
        return leaf;
    }

    /// <inheritdoc />
    public void SelectRows(int firstRow, scoped Span<int> slots)
    {
        for (int k = 0; k < slots.Length; k++)
        {
            slots[k] = Select(firstRow + k);
        }
    }
}
