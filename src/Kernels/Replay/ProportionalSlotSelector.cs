using System;
using System.Runtime.CompilerServices;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// Proportional prioritized sampling (Schaul et al. 2016) from a <see cref="SumTree"/> whose leaf
/// k is the weight p_k^α of slot k (0 for slots that must not be sampled). Rows are stratified:
/// row i draws from the i-th of B equal segments of the total mass. Each row also gets its raw
/// importance weight (n · P(k))^−β, n being the number of sampleable slots; the caller divides by
/// the batch maximum.
/// </summary>
/// <remarks>Row i uses words 0 and 1 of Philox block (seed, stream, counter + i).</remarks>
public readonly ref struct ProportionalSlotSelector : ISlotSelector
{
    private readonly ReadOnlySpan<double> _tree;
    private readonly Span<float> _weights;
    private readonly double _total;
    private readonly double _population;
    private readonly double _beta;
    private readonly int _batch;
    private readonly ulong _seed;
    private readonly ulong _stream;
    private readonly ulong _counter;

    /// <summary>Creates the selector.</summary>
    /// <param name="tree">Sum tree over slots; its total must be positive.</param>
    /// <param name="population">n, the number of sampleable slots (leaves with positive weight); at least 1.</param>
    /// <param name="beta">Importance-sampling exponent β in [0, 1].</param>
    /// <param name="weights">Receives the unnormalised importance weight of each row; one entry per row.</param>
    /// <param name="seed">Experiment seed.</param>
    /// <param name="stream">Random stream of the sampler.</param>
    /// <param name="counter">Counter of row 0.</param>
    public ProportionalSlotSelector(ReadOnlySpan<double> tree, int population, float beta, Span<float> weights, ulong seed, ulong stream, ulong counter)
    {
        _total = SumTree.Total(tree);
        if (!(_total > 0d))
        {
            throw new ArgumentException("the sum tree holds no positive weight", nameof(tree));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(population, 1);
        if (!(beta >= 0f && beta <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be in [0, 1]");
        }

        _tree = tree;
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
        PhiloxBlock block = Philox4x32.Generate(_seed, _stream, _counter + (ulong)row);
        double mass = SumTree.StratifiedMass(_total, row, _batch, block.X0, block.X1);
        int leaf = SumTree.Find(_tree, mass);
        double probability = SumTree.Leaf(_tree, leaf) / _total;
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
