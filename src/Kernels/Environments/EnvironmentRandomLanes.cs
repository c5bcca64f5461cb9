using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// <see cref="EnvironmentRandom"/> for eight environments at once: lane k holds the block of
/// (seed, env_k, episode_k, draw), computed with AVX2 32-bit multiplies (or lane by lane without
/// AVX2). Integer arithmetic only, so every lane equals the scalar block bit for bit — vector
/// kernels can autoreset environments without leaving the vector path.
/// </summary>
internal static class EnvironmentRandomLanes
{
    /// <summary>The four words of each lane's block, in struct-of-arrays form (x0 holds word 0 of all lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block(
        ulong seed, Vector256<int> envs, Vector256<uint> episodes, uint draw,
        out Vector256<uint> x0, out Vector256<uint> x1, out Vector256<uint> x2, out Vector256<uint> x3)
    {
        if (!Avx2.IsSupported)
        {
            BlockPerLane(seed, envs, episodes, draw, out x0, out x1, out x2, out x3);
            return;
        }

        // Project layout: counter words (counter low, counter high, stream low, stream high)
        // = (draw, episode, env, 0); key = seed.
        Vector256<uint> c0 = Vector256.Create(draw);
        Vector256<uint> c1 = episodes;
        Vector256<uint> c2 = envs.AsUInt32();
        Vector256<uint> c3 = Vector256<uint>.Zero;
        uint k0 = (uint)seed;
        uint k1 = (uint)(seed >> 32);
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

    /// <summary>Lane-wise <see cref="EnvironmentRandom.Uniform"/>: low + (high − low)·((bits ≫ 8)·2^-24), the same roundings as the scalar form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Uniform(Vector256<uint> bits, Vector256<float> low, Vector256<float> high)
    {
        Vector256<float> unit = Vector256.ConvertToSingle(Vector256.ShiftRightLogical(bits, 8).AsInt32()) * Vector256.Create(RandomBits.Epsilon24);
        return low + (high - low) * unit;
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
    private static unsafe void BlockPerLane(
        ulong seed, Vector256<int> envs, Vector256<uint> episodes, uint draw,
        out Vector256<uint> x0, out Vector256<uint> x1, out Vector256<uint> x2, out Vector256<uint> x3)
    {
        uint* words = stackalloc uint[32];
        for (int k = 0; k < 8; k++)
        {
            PhiloxBlock block = EnvironmentRandom.Block(seed, envs[k], episodes[k], draw);
            words[k] = block.X0;
            words[8 + k] = block.X1;
            words[16 + k] = block.X2;
            words[24 + k] = block.X3;
        }

        x0 = Vector256.Load(words);
        x1 = Vector256.Load(words + 8);
        x2 = Vector256.Load(words + 16);
        x3 = Vector256.Load(words + 24);
    }
}
