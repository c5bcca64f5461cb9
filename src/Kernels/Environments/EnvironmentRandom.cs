using System.Runtime.CompilerServices;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// Where every random number of a vectorized environment comes from: Philox4x32-10 with
/// key = seed, stream = environment index and counter = (episode &lt;&lt; 32) | draw. A value is a
/// pure function of (seed, env, episode, draw), so an environment's episodes are the same for
/// any thread count, chunking or batch size, and a GPU backend can reproduce them.
/// </summary>
/// <remarks>
/// <c>episode</c> counts the episodes an environment has started since the last reset of the
/// whole vector (0 for the first); <c>draw</c> numbers the 128-bit blocks an episode uses (the
/// built-in environments draw blocks 0 and 1 at the start of an episode and nothing while
/// stepping; an environment with stochastic steps would use draws from 2 on).
/// </remarks>
public static class EnvironmentRandom
{
    /// <summary>The four random words of block <paramref name="draw"/> of an episode, the only source of randomness env kernels use.</summary>
    /// <param name="seed">The seed passed to the vector environment's reset.</param>
    /// <param name="env">Index of the environment in the vector.</param>
    /// <param name="episode">Episodes that environment started before this one since the reset.</param>
    /// <param name="draw">Block number within the episode.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PhiloxBlock Block(ulong seed, int env, uint episode, uint draw)
        => Philox4x32.Generate(seed, (uint)env, ((ulong)episode << 32) | draw);

    /// <summary>
    /// A float uniform in [<paramref name="low"/>, <paramref name="high"/>) computed as
    /// low + (high − low)·u with u = <see cref="RandomBits.ToUniform"/>(bits); written down here
    /// once so kernels and reference implementations round identically, and a degenerate range
    /// (low = high) yields exactly low.
    /// </summary>
    /// <param name="bits">A random word.</param>
    /// <param name="low">Lower bound (inclusive).</param>
    /// <param name="high">Upper bound (exclusive unless equal to low).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Uniform(uint bits, float low, float high) => low + (high - low) * RandomBits.ToUniform(bits);
}
