using System;
using System.Runtime.CompilerServices;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// The per-environment rules of BitFlip(n) (Andrychowicz et al. 2017, HER's motivating
/// example) shared by its reset, step and reward kernels: how an episode starts, how bits become
/// observation floats, and the goal reward.
/// </summary>
/// <remarks>
/// An episode draws state and goal from block 0 of its random stream: state = (X1·2^32 + X0)
/// and goal = (X3·2^32 + X2), both masked to n bits, independently (the state may equal the
/// goal; success is only tested after a step, as in stable-baselines3's BitFlippingEnv).
/// </remarks>
public static class BitFlipRules
{
    /// <summary>Largest supported n: a state is one 64-bit word.</summary>
    public const int MaxBits = 64;

    /// <summary>Reward of a step that does not reach the goal.</summary>
    public const float FailureReward = -1f;

    /// <summary>Reward of a step that reaches the goal.</summary>
    public const float SuccessReward = 0f;

    /// <summary>The word with the low <paramref name="bits"/> bits set, to cut random words to n bits.</summary>
    /// <param name="bits">n, in [1, 64].</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mask(int bits) => bits >= MaxBits ? ulong.MaxValue : (1UL << bits) - 1;

    /// <summary>Draws the start state and goal of episode <paramref name="episode"/> of environment <paramref name="env"/>.</summary>
    /// <param name="seed">Seed of the last full reset.</param>
    /// <param name="env">Environment index (the RNG stream).</param>
    /// <param name="episode">Episode index of the environment.</param>
    /// <param name="bits">n.</param>
    /// <param name="state">Start state.</param>
    /// <param name="goal">Goal.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StartEpisode(ulong seed, int env, uint episode, int bits, out ulong state, out ulong goal)
    {
        PhiloxBlock block = EnvironmentRandom.Block(seed, env, episode, 0);
        ulong mask = Mask(bits);
        state = (((ulong)block.X1 << 32) | block.X0) & mask;
        goal = (((ulong)block.X3 << 32) | block.X2) & mask;
    }

    /// <summary>Writes bit b of <paramref name="value"/> as 0f or 1f to element b of <paramref name="destination"/>, for every element.</summary>
    /// <param name="value">Packed bits.</param>
    /// <param name="destination">One float per bit (its length is n).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteBits(ulong value, Span<float> destination)
    {
        for (int b = 0; b < destination.Length; b++)
        {
            destination[b] = (value >> b) & 1;
        }
    }

    /// <summary>0 when the achieved goal equals the desired goal bit for bit, otherwise −1 (HER's sparse reward).</summary>
    /// <param name="success">Whether the goal is achieved.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reward(bool success) => success ? SuccessReward : FailureReward;
}
