using System;
using System.Runtime.CompilerServices;

namespace Mtrl.Kernels;

/// <summary>
/// Turns raw 32-bit random words (from <see cref="Philox4x32"/>) into the values kernels need.
/// Every conversion is a pure function of its input words, so a value is reproducible from
/// (seed, stream, counter) alone, whichever thread computes it.
/// </summary>
public static class RandomBits
{
    /// <summary>2^-24: spacing of the 24-bit grid that float uniforms live on.</summary>
    internal const float Epsilon24 = 1f / (1 << 24);

    /// <summary>2π, the angle range of the Box–Muller transform.</summary>
    internal const float TwoPi = 6.28318530717958647692f;

    /// <summary>
    /// Uniform float in [0, 1) on a grid of 2^-24 (every value exactly representable, 1 never
    /// produced), the usual choice for sampling and initialisation.
    /// </summary>
    /// <param name="bits">A random word; its top 24 bits are used.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToUniform(uint bits) => (bits >> 8) * Epsilon24;

    /// <summary>
    /// Uniform float in (0, 1]: the variant to feed into a logarithm, which must never see 0.
    /// </summary>
    /// <param name="bits">A random word; its top 24 bits are used.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToUniformNonZero(uint bits) => ((bits >> 8) + 1) * Epsilon24;

    /// <summary>
    /// Two independent standard normal values from two words by the Box–Muller transform:
    /// r = sqrt(−2 ln u1) with u1 in (0, 1], θ = 2π u2 with u2 in [0, 1); returns (r cos θ, r sin θ).
    /// Using both outputs halves the cost per normal. Because u1 ≥ 2^-24, |z| never exceeds about
    /// 5.77, a truncation with probability below 1e-8.
    /// </summary>
    /// <param name="radiusBits">Word for the radius (u1).</param>
    /// <param name="angleBits">Word for the angle (u2).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (float First, float Second) ToNormalPair(uint radiusBits, uint angleBits)
    {
        float radius = MathF.Sqrt(-2f * MathF.Log(ToUniformNonZero(radiusBits)));
        (float sin, float cos) = MathF.SinCos(TwoPi * ToUniform(angleBits));
        return (radius * cos, radius * sin);
    }

    /// <summary>
    /// Integer in [0, <paramref name="n"/>) from 64 random bits by multiply-shift
    /// (⌊x·n / 2^64⌋, Lemire 2019 without the rejection step). Needs no division and consumes a
    /// fixed number of words, which keeps counters predictable; the largest deviation of any
    /// outcome's probability from 1/n is below n/2^64 — unmeasurable for any n an int can hold.
    /// </summary>
    /// <param name="low">Low 32 random bits.</param>
    /// <param name="high">High 32 random bits.</param>
    /// <param name="n">Exclusive upper bound; must be positive.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ToIndex(uint low, uint high, int n)
    {
        ulong x = ((ulong)high << 32) | low;
        return (int)Math.BigMul(x, (ulong)n, out _);
    }

    /// <summary>
    /// Integer in [0, <paramref name="n"/>) from one 32-bit word by multiply-shift (⌊x·n / 2^32⌋).
    /// Cheaper than <see cref="ToIndex(uint, uint, int)"/> but an outcome's probability can deviate
    /// from 1/n by up to a factor n/2^32 (2.3e-4 relative for n = 10^6): use it only for small n
    /// (action choices, coin flips) where that bias is irrelevant.
    /// </summary>
    /// <param name="bits">A random word.</param>
    /// <param name="n">Exclusive upper bound; must be positive.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ToSmallIndex(uint bits, int n) => (int)(((ulong)bits * (uint)n) >> 32);
}
