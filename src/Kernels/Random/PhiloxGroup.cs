using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mtrl.Kernels;

/// <summary>
/// Eight consecutive Philox4x32-10 blocks at once, in struct-of-arrays form (vector Xw holds word w
/// of blocks 0..7). Bulk fills work in these fixed groups, aligned to the start of the fill, so
/// each value goes through the same arithmetic whatever the chunking: that is what makes fills
/// bit-identical for any thread count.
/// </summary>
internal static class PhiloxGroup
{
    /// <summary>Blocks per group.</summary>
    public const int Blocks = 8;

    /// <summary>Words (or float values) per group.</summary>
    public const int Words = Blocks * 4;

    /// <summary>Computes blocks counter .. counter + 7 of (seed, stream).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Generate(
        ulong seed, ulong stream, ulong counter,
        out Vector256<uint> x0, out Vector256<uint> x1, out Vector256<uint> x2, out Vector256<uint> x3)
    {
        if (Avx2.IsSupported)
        {
            GenerateAvx2(seed, stream, counter, out x0, out x1, out x2, out x3);
        }
        else
        {
            GenerateScalar(seed, stream, counter, out x0, out x1, out x2, out x3);
        }
    }

    /// <summary>
    /// Writes four struct-of-arrays vectors as 32 consecutive values in block order
    /// (block 0 words 0..3, block 1 words 0..3, ...), the layout a fill promises.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreInterleaved(Vector256<float> w0, Vector256<float> w1, Vector256<float> w2, Vector256<float> w3, ref float destination)
    {
        if (Avx.IsSupported)
        {
            // 4×8 transpose: within each 128-bit lane build whole blocks, then swap lane halves.
            Vector256<float> t0 = Avx.UnpackLow(w0, w1);   // b0w0 b0w1 b1w0 b1w1 | b4.. b5..
            Vector256<float> t1 = Avx.UnpackHigh(w0, w1);  // b2w0 b2w1 b3w0 b3w1 | b6.. b7..
            Vector256<float> t2 = Avx.UnpackLow(w2, w3);   // b0w2 b0w3 b1w2 b1w3 | b4.. b5..
            Vector256<float> t3 = Avx.UnpackHigh(w2, w3);
            Vector256<float> b04 = Avx.UnpackLow(t0.AsDouble(), t2.AsDouble()).AsSingle();  // block 0 | block 4
            Vector256<float> b15 = Avx.UnpackHigh(t0.AsDouble(), t2.AsDouble()).AsSingle(); // block 1 | block 5
            Vector256<float> b26 = Avx.UnpackLow(t1.AsDouble(), t3.AsDouble()).AsSingle();  // block 2 | block 6
            Vector256<float> b37 = Avx.UnpackHigh(t1.AsDouble(), t3.AsDouble()).AsSingle(); // block 3 | block 7
            Avx.Permute2x128(b04, b15, 0x20).StoreUnsafe(ref destination, 0);
            Avx.Permute2x128(b26, b37, 0x20).StoreUnsafe(ref destination, 8);
            Avx.Permute2x128(b04, b15, 0x31).StoreUnsafe(ref destination, 16);
            Avx.Permute2x128(b26, b37, 0x31).StoreUnsafe(ref destination, 24);
            return;
        }

        for (int b = 0; b < Blocks; b++)
        {
            Unsafe.Add(ref destination, 4 * b) = w0.GetElement(b);
            Unsafe.Add(ref destination, 4 * b + 1) = w1.GetElement(b);
            Unsafe.Add(ref destination, 4 * b + 2) = w2.GetElement(b);
            Unsafe.Add(ref destination, 4 * b + 3) = w3.GetElement(b);
        }
    }

    /// <summary>Uniform [0, 1) floats from words, the vector form of <see cref="RandomBits.ToUniform"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToUniform(Vector256<uint> bits)
        => Vector256.ConvertToSingle(Vector256.ShiftRightLogical(bits, 8).AsInt32()) * RandomBits.Epsilon24;

    /// <summary>Uniform (0, 1] floats from words, the vector form of <see cref="RandomBits.ToUniformNonZero"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToUniformNonZero(Vector256<uint> bits)
        => Vector256.ConvertToSingle((Vector256.ShiftRightLogical(bits, 8) + Vector256<uint>.One).AsInt32()) * RandomBits.Epsilon24;

    /// <summary>Box–Muller on eight word pairs, the vector form of <see cref="RandomBits.ToNormalPair"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ToNormalPairs(Vector256<uint> radiusBits, Vector256<uint> angleBits, out Vector256<float> first, out Vector256<float> second)
    {
        Vector256<float> radius = Vector256.Sqrt(Vector256.Log(ToUniformNonZero(radiusBits)) * -2f);
        (Vector256<float> sin, Vector256<float> cos) = Vector256.SinCos(ToUniform(angleBits) * RandomBits.TwoPi);
        first = radius * cos;
        second = radius * sin;
    }

    private static void GenerateAvx2(
        ulong seed, ulong stream, ulong counter,
        out Vector256<uint> x0, out Vector256<uint> x1, out Vector256<uint> x2, out Vector256<uint> x3)
    {
        // 64-bit counter + lane, with the carry into the high word computed per lane.
        Vector256<uint> low = Vector256.Create((uint)counter) + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
        Vector256<uint> carry = Vector256.LessThan(low, Vector256.Create((uint)counter)); // all ones where the add wrapped
        Vector256<uint> c0 = low;
        Vector256<uint> c1 = Vector256.Create((uint)(counter >> 32)) - carry;
        Vector256<uint> c2 = Vector256.Create((uint)stream);
        Vector256<uint> c3 = Vector256.Create((uint)(stream >> 32));
        Rounds(c0, c1, c2, c3, seed, out x0, out x1, out x2, out x3);
    }

    /// <summary>
    /// The Philox4x32 rounds on eight counters at once (lane k of c0..c3 holds counter k's words)
    /// under one key; shared by the bulk fills and the environments' per-lane draws so the
    /// vector path exists once.
    /// </summary>
    internal static void Rounds(
        Vector256<uint> c0, Vector256<uint> c1, Vector256<uint> c2, Vector256<uint> c3, ulong key,
        out Vector256<uint> x0, out Vector256<uint> x1, out Vector256<uint> x2, out Vector256<uint> x3)
    {
        uint k0 = (uint)key;
        uint k1 = (uint)(key >> 32);
        Vector256<uint> m0 = Vector256.Create((ulong)Philox4x32.Multiplier0).AsUInt32();
        Vector256<uint> m1 = Vector256.Create((ulong)Philox4x32.Multiplier1).AsUInt32();
        for (int r = 0; r < Philox4x32.Rounds; r++)
        {
            MulHiLo(c0, m0, out Vector256<uint> hi0, out Vector256<uint> lo0);
            MulHiLo(c2, m1, out Vector256<uint> hi1, out Vector256<uint> lo1);
            Vector256<uint> n0 = hi1 ^ c1 ^ Vector256.Create(k0);
            Vector256<uint> n2 = hi0 ^ c3 ^ Vector256.Create(k1);
            c0 = n0;
            c1 = lo1;
            c2 = n2;
            c3 = lo0;
            k0 += Philox4x32.Weyl0;
            k1 += Philox4x32.Weyl1;
        }

        x0 = c0;
        x1 = c1;
        x2 = c2;
        x3 = c3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MulHiLo(Vector256<uint> a, Vector256<uint> multiplier, out Vector256<uint> hi, out Vector256<uint> lo)
    {
        // vpmuludq multiplies the even 32-bit lanes; shift the odd lanes down to get the rest.
        Vector256<ulong> even = Avx2.Multiply(a, multiplier);
        Vector256<ulong> odd = Avx2.Multiply(Avx2.ShiftRightLogical(a.AsUInt64(), 32).AsUInt32(), multiplier);
        lo = Avx2.Blend(even.AsUInt32(), Avx2.ShiftLeftLogical(odd, 32).AsUInt32(), 0b1010_1010);
        hi = Avx2.Blend(Avx2.ShiftRightLogical(even, 32).AsUInt32(), odd.AsUInt32(), 0b1010_1010);
    }

    [SkipLocalsInit]
    private static unsafe void GenerateScalar(
        ulong seed, ulong stream, ulong counter,
        out Vector256<uint> x0, out Vector256<uint> x1, out Vector256<uint> x2, out Vector256<uint> x3)
    {
        uint* words = stackalloc uint[Words];
        for (int b = 0; b < Blocks; b++)
        {
            PhiloxBlock block = Philox4x32.Generate(seed, stream, counter + (ulong)b);
            words[b] = block.X0;
            words[Blocks + b] = block.X1;
            words[2 * Blocks + b] = block.X2;
            words[3 * Blocks + b] = block.X3;
        }

        x0 = Vector256.Load(words);
        x1 = Vector256.Load(words + Blocks);
        x2 = Vector256.Load(words + 2 * Blocks);
        x3 = Vector256.Load(words + 3 * Blocks);
    }
}
