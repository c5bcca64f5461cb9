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
        PhiloxGroup.Rounds(c0, c1, c2, c3, seed, out x0, out x1, out x2, out x3);
    }

    /// <summary>Lane-wise <see cref="EnvironmentRandom.Uniform"/>: low + (high − low)·((bits ≫ 8)·2^-24), the same roundings as the scalar form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Uniform(Vector256<uint> bits, Vector256<float> low, Vector256<float> high)
    {
        Vector256<float> unit = Vector256.ConvertToSingle(Vector256.ShiftRightLogical(bits, 8).AsInt32()) * Vector256.Create(RandomBits.Epsilon24);
        return low + (high - low) * unit;
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
