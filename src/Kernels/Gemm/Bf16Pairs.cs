using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Mtrl.Kernels;

/// <summary>
/// Rounds packed float32 micro-panels to bfloat16 pairs in place: the operand layout of
/// <see cref="Bf16MicroKernel"/>. A panel of <c>width</c> values per depth step becomes, per depth
/// pair q, <c>width</c> 32-bit words holding depth 2q in the low half and 2q + 1 in the high half
/// (zero past an odd depth). Rounding is to nearest, ties to even, as VCVTNEPS2BF16; NaN stays a
/// (quiet) NaN with its sign; values beyond bfloat16's range round to ±∞. Denormals are kept
/// (VCVTNEPS2BF16 would flush them), which changes nothing: VDPBF16PS reads them as zero.
/// </summary>
internal static unsafe class Bf16Pairs
{
    /// <summary>The bfloat16 nearest to <paramref name="value"/> (ties to even), as its 16 bits.</summary>
    public static ushort Round(float value)
    {
        uint bits = System.BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x0040);
        }

        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }

    /// <summary>The float32 a bfloat16 stands for (exact).</summary>
    public static float ToSingle(ushort bfloat16) => System.BitConverter.UInt32BitsToSingle((uint)bfloat16 << 16);

    /// <summary>
    /// Converts one packed panel (<paramref name="depth"/> steps of <paramref name="width"/> floats,
    /// width a multiple of 4) to ⌈depth/2⌉ steps of <paramref name="width"/> pair words, in place:
    /// pair q's words land on float row q, which pairs before q have already consumed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ConvertPanel(float* panel, int depth, int width)
    {
        uint* words = (uint*)panel;
        int pairs = depth / 2;
        for (int q = 0; q < pairs; q++)
        {
            float* even = panel + ((nint)(2 * q) * width);
            float* odd = even + width;
            uint* destination = words + ((nint)q * width);
            for (int j = 0; j < width; j += 4)
            {
                // Both rows are read before the store, which for q = 0 overlaps the even row.
                Vector128<uint> low = RoundToBits(Vector128.Load(even + j));
                Vector128<uint> high = RoundToBits(Vector128.Load(odd + j));
                (low | (high << 16)).Store(destination + j);
            }
        }

        if ((depth & 1) != 0)
        {
            float* last = panel + ((nint)(depth - 1) * width);
            uint* destination = words + ((nint)pairs * width);
            for (int j = 0; j < width; j += 4)
            {
                RoundToBits(Vector128.Load(last + j)).Store(destination + j);
            }
        }
    }

    /// <summary><see cref="Round"/> on four lanes, the result in each lane's low 16 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> RoundToBits(Vector128<float> values)
    {
        Vector128<uint> bits = values.AsUInt32();
        Vector128<uint> rounded = (bits + Vector128.Create(0x7FFFu) + ((bits >> 16) & Vector128<uint>.One)) >> 16;
        Vector128<uint> quietNaN = (bits >> 16) | Vector128.Create(0x0040u);
        return Vector128.ConditionalSelect(Vector128.Equals(values, values).AsUInt32(), rounded, quietNaN);
    }
}
