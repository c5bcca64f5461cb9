using Mtrl.Kernels;

namespace Mtrl.Kernels.Gpu.Random;

/// <summary>
/// Philox4x32-10 in code ILGPU compiles (static methods on 32- and 64-bit integers, no spans, no
/// intrinsics): the device twin of <see cref="Philox4x32"/>. Same key and counter layout, same
/// rounds, so a device kernel gets, word for word, the block the CPU kernel gets for the same
/// (seed, stream, counter), and integer results (indices, actions) are identical on both.
/// </summary>
public static class DevicePhilox
{
    /// <summary>The block for (<paramref name="seed"/>, <paramref name="stream"/>, <paramref name="counter"/>), as <see cref="Philox4x32.Generate"/>.</summary>
    /// <param name="seed">Experiment seed; the Philox key.</param>
    /// <param name="stream">Independent sequence under the seed (counter words 2 and 3).</param>
    /// <param name="counter">Position within the stream (counter words 0 and 1).</param>
    public static PhiloxBlock Generate(ulong seed, ulong stream, ulong counter)
    {
        uint c0 = (uint)counter;
        uint c1 = (uint)(counter >> 32);
        uint c2 = (uint)stream;
        uint c3 = (uint)(stream >> 32);
        uint k0 = (uint)seed;
        uint k1 = (uint)(seed >> 32);
        for (int r = 0; r < Philox4x32.Rounds; r++)
        {
            // 32×32 → 64-bit products; their high halves mix into the other pair of words.
            ulong p0 = (ulong)Philox4x32.Multiplier0 * c0;
            ulong p1 = (ulong)Philox4x32.Multiplier1 * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            c1 = (uint)p1;
            c3 = (uint)p0;
            c0 = n0;
            c2 = n2;
            k0 += Philox4x32.Weyl0;
            k1 += Philox4x32.Weyl1;
        }

        return new PhiloxBlock(c0, c1, c2, c3);
    }

    /// <summary>
    /// Integer in [0, <paramref name="n"/>) from 64 random bits, ⌊(high·2^32 + low)·n / 2^64⌋:
    /// exactly <see cref="RandomBits.ToIndex(uint, uint, int)"/>, computed as
    /// ⌊(high·n + ⌊low·n / 2^32⌋) / 2^32⌋ so it needs no 128-bit multiply.
    /// </summary>
    /// <param name="low">Low 32 random bits.</param>
    /// <param name="high">High 32 random bits.</param>
    /// <param name="n">Exclusive upper bound; positive.</param>
    public static int ToIndex(uint low, uint high, int n)
    {
        ulong lowProduct = (ulong)low * (uint)n;
        ulong highProduct = (ulong)high * (uint)n;
        return (int)((highProduct + (lowProduct >> 32)) >> 32);
    }

    /// <summary>Uniform float in [0, 1) on a 2^-24 grid, exactly <see cref="RandomBits.ToUniform"/>.</summary>
    /// <param name="bits">A random word; its top 24 bits are used.</param>
    public static float ToUniform(uint bits) => (bits >> 8) * RandomBits.Epsilon24;

    /// <summary>Word <paramref name="index"/> (0..3) of a block, without the CPU indexer's exception (device code cannot throw).</summary>
    /// <param name="block">The block.</param>
    /// <param name="index">Word index; 3 for anything above 2.</param>
    public static uint Word(PhiloxBlock block, int index)
        => index == 0 ? block.X0 : index == 1 ? block.X1 : index == 2 ? block.X2 : block.X3;
}
