using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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

    // validStarts[e] − envPrefix[e] per env (lanes ≥ envs are 0), for the vector path: ringRow = index + base[env].
    private readonly Vector512<int> _bases;

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
        if (_envs <= VectorEnvs)
        {
            Span<int> bases = stackalloc int[Vector512<int>.Count];
            bases.Clear();
            for (int env = 0; env < _envs; env++)
            {
                bases[env] = _validStarts[env] - envPrefix[env];
            }

            _bases = Vector512.Create<int>(bases);
        }
    }

    // Env counts up to which SelectRows maps eight indices at once with AVX-512.
    private const int VectorEnvs = 16;

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
        if (Avx512F.IsSupported && Avx512F.VL.IsSupported && _envs <= VectorEnvs)
        {
            for (; k + PhiloxGroup.Blocks <= slots.Length; k += PhiloxGroup.Blocks)
            {
                PhiloxGroup.Generate(_seed, _stream, _counter + (ulong)(firstRow + k), out Vector256<uint> x0, out Vector256<uint> x1, out _, out _);
                SlotsOf(x0, x1).CopyTo(slots[k..]);
            }
        }

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

    /// <summary>
    /// <see cref="SlotOf"/> for eight rows at once (AVX-512, at most <see cref="VectorEnvs"/> envs),
    /// with the same results: the high half of the 96-bit product index·total from two 32×32-bit
    /// products, the env as the number of envs e ≥ 1 with envPrefix[e] ≤ index (what the binary
    /// search returns), and the row from a per-env table lookup.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector256<int> SlotsOf(Vector256<uint> low, Vector256<uint> high)
    {
        // ⌊(high·2^32 + low)·n / 2^64⌋ = ⌊(high·n + ⌊low·n / 2^32⌋) / 2^32⌋, exact in 64 bits.
        Vector512<uint> n = Vector512.Create((ulong)(uint)_total).AsUInt32();
        Vector512<ulong> lowProduct = Avx512F.Multiply(Avx512F.ConvertToVector512UInt64(low).AsUInt32(), n);
        Vector512<ulong> highProduct = Avx512F.Multiply(Avx512F.ConvertToVector512UInt64(high).AsUInt32(), n);
        Vector512<ulong> wide = (highProduct + (lowProduct >>> 32)) >>> 32;
        Vector256<int> index = Avx512F.ConvertToVector256Int32(wide);
        Vector256<int> env = Vector256<int>.Zero;
        for (int e = 1; e < _envs; e++)
        {
            // All ones (−1) where envPrefix[e] ≤ index.
            env -= Vector256.LessThanOrEqual(Vector256.Create(_envPrefix[e]), index);
        }

        Vector256<int> ringRow = index + Avx512F.PermuteVar16x32(_bases, env.ToVector512Unsafe()).GetLower();
        Vector256<int> rows = Vector256.Create(_rows);
        ringRow -= Vector256.GreaterThanOrEqual(ringRow, rows) & rows;
        return (ringRow * Vector256.Create(_envs)) + env;
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
