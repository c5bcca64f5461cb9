using Mtrl.Kernels;

namespace Mtrl.Runtime.Tests.Environments;

/// <summary>
/// The documented randomness of the environments, written out independently of the kernels:
/// block = Philox4x32-10(key = seed, counter = (episode·2^32 + draw, stream = env)); a uniform
/// in [low, high) is low + (high − low)·((word ≫ 8)·2^-24).
/// </summary>
internal static class ReferenceRandom
{
    public static PhiloxBlock Block(ulong seed, int env, uint episode, uint draw)
        => Philox4x32.Generate(seed, (ulong)env, ((ulong)episode << 32) + draw);

    public static float Uniform(uint word, float low, float high) => low + (high - low) * ((word >> 8) * (1f / 16777216f));
}
