using System.Runtime.CompilerServices;

namespace Mtrl.Kernels;

/// <summary>
/// The Philox4x32-10 counter-based generator (Salmon, Moraes, Dror and Shaw, "Parallel random
/// numbers: as easy as 1, 2, 3", SC 2011; reference implementation Random123). Each output is a
/// pure function of a 64-bit key and a 128-bit counter, so any thread (or a GPU) can produce the
/// value at any position without shared state, and results never depend on how work is split.
/// </summary>
/// <remarks>
/// Project convention for <see cref="Generate"/>: key = seed (low word first); counter words =
/// (counter low, counter high, stream low, stream high). Streams give independent sequences to
/// independent consumers (parameter init, dropout, replay sampling, exploration) under one seed.
/// </remarks>
public static class Philox4x32
{
    /// <summary>Rounds of the standard variant; Random123 recommends 10 for full statistical quality.</summary>
    public const int Rounds = 10;

    internal const uint Multiplier0 = 0xD2511F53;
    internal const uint Multiplier1 = 0xCD9E8D57;
    internal const uint Weyl0 = 0x9E3779B9;
    internal const uint Weyl1 = 0xBB67AE85;

    /// <summary>
    /// Returns the block for (<paramref name="seed"/>, <paramref name="stream"/>,
    /// <paramref name="counter"/>): the one call kernels make to get four random words.
    /// </summary>
    /// <param name="seed">Experiment seed; becomes the Philox key.</param>
    /// <param name="stream">Independent sequence number under the same seed.</param>
    /// <param name="counter">Position within the stream; each position yields four words.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PhiloxBlock Generate(ulong seed, ulong stream, ulong counter)
        => Compute((uint)counter, (uint)(counter >> 32), (uint)stream, (uint)(stream >> 32), (uint)seed, (uint)(seed >> 32));

    /// <summary>
    /// The raw Philox4x32-10 bijection on a 128-bit counter under a 64-bit key, word for word as in
    /// Random123, so outputs can be checked against its published known-answer vectors.
    /// </summary>
    /// <param name="c0">Counter word 0.</param>
    /// <param name="c1">Counter word 1.</param>
    /// <param name="c2">Counter word 2.</param>
    /// <param name="c3">Counter word 3.</param>
    /// <param name="k0">Key word 0.</param>
    /// <param name="k1">Key word 1.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PhiloxBlock Compute(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        // The key schedule is bumped (Weyl sequence) before every round but the first.
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1);
        for (int r = 1; r < Rounds; r++)
        {
            k0 += Weyl0;
            k1 += Weyl1;
            Round(ref c0, ref c1, ref c2, ref c3, k0, k1);
        }

        return new PhiloxBlock(c0, c1, c2, c3);
    }

    /// <summary>Philox4x32 with a chosen round count, to test against Random123's 7-round vectors too.</summary>
    internal static PhiloxBlock Compute(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, int rounds)
    {
        for (int r = 0; r < rounds; r++)
        {
            if (r > 0)
            {
                k0 += Weyl0;
                k1 += Weyl1;
            }

            Round(ref c0, ref c1, ref c2, ref c3, k0, k1);
        }

        return new PhiloxBlock(c0, c1, c2, c3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ref uint c0, ref uint c1, ref uint c2, ref uint c3, uint k0, uint k1)
    {
        ulong p0 = (ulong)Multiplier0 * c0;
        ulong p1 = (ulong)Multiplier1 * c2;
        uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
        uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint)p1;
        c3 = (uint)p0;
        c0 = n0;
        c2 = n2;
    }
}
