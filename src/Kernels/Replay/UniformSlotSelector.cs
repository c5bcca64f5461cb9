using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// Uniform sampling over every sampleable slot of an episodic ring: one 64-bit random index into
/// the concatenated per-env runs of sampleable rows (<see cref="EpisodeIndex"/>), mapped to an env
/// by binary search over their cumulative counts. O(log envs) per row, no rejection, and exactly
/// uniform (up to the 2^-64 bias of <see cref="RandomBits.ToIndex(uint, uint, int)"/>).
/// </summary>
/// <remarks>Row i uses words 0 and 1 of Philox block (seed, stream, counter + i).</remarks>
public readonly ref struct UniformSlotSelector : ISlotSelector
{
    private readonly ReadOnlySpan<int> _envPrefix;
    private readonly ReadOnlySpan<int> _validStarts;
    private readonly int _rows;
    private readonly int _envs;
    private readonly int _total;
    private readonly ulong _seed;
    private readonly ulong _stream;
    private readonly ulong _counter;

    /// <summary>Creates the selector.</summary>
    /// <param name="episodes">The ring's bookkeeping (valid runs per env).</param>
    /// <param name="envPrefix">envs + 1 cumulative sampleable counts: envPrefix[e] = Σ_{j&lt;e} ValidCounts[j]; the last must be positive.</param>
    /// <param name="seed">Experiment seed.</param>
    /// <param name="stream">Random stream of the sampler.</param>
    /// <param name="counter">Counter of row 0; row i uses counter + i.</param>
    public UniformSlotSelector(in EpisodeIndex episodes, ReadOnlySpan<int> envPrefix, ulong seed, ulong stream, ulong counter)
    {
        if (envPrefix.Length != episodes.Envs + 1)
        {
            throw new ArgumentException($"envPrefix must hold envs + 1 = {episodes.Envs + 1} counts", nameof(envPrefix));
        }

        _total = envPrefix[^1];
        if (_total <= 0)
        {
            throw new ArgumentException("there is no sampleable slot (envPrefix ends at 0)", nameof(envPrefix));
        }

        _envPrefix = envPrefix;
        _validStarts = episodes.ValidStarts;
        _rows = episodes.Rows;
        _envs = episodes.Envs;
        _seed = seed;
        _stream = stream;
        _counter = counter;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Select(int row)
    {
        PhiloxBlock block = Philox4x32.Generate(_seed, _stream, _counter + (ulong)row);
        return SlotOf(block.X0, block.X1);
    }

    /// <inheritdoc />
    [SkipLocalsInit]
    public void SelectRows(int firstRow, scoped Span<int> slots)
    {
        // Eight Philox blocks per group (the same values Select draws one at a time).
        Span<uint> low = stackalloc uint[PhiloxGroup.Blocks];
        Span<uint> high = stackalloc uint[PhiloxGroup.Blocks];
        int k = 0;
        for (; k + PhiloxGroup.Blocks <= slots.Length; k += PhiloxGroup.Blocks)
        {
            PhiloxGroup.Generate(_seed, _stream, _counter + (ulong)(firstRow + k), out Vector256<uint> x0, out Vector256<uint> x1, out _, out _);
            x0.CopyTo(low);
            x1.CopyTo(high);
            for (int lane = 0; lane < PhiloxGroup.Blocks; lane++)
            {
                slots[k + lane] = SlotOf(low[lane], high[lane]);
            }
        }

        for (; k < slots.Length; k++)
        {
            slots[k] = Select(firstRow + k);
        }
    }

    /// <summary>The slot for one random 64-bit index (two words).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SlotOf(uint low, uint high)
    {
        int value = RandomBits.ToIndex(low, high, _total);
        int env = PrefixSearch.Group(_envPrefix, value);
        int ringRow = _validStarts[env] + (value - _envPrefix[env]);
        if (ringRow >= _rows)
        {
            ringRow -= _rows;
        }

        return (ringRow * _envs) + env;
    }
}
