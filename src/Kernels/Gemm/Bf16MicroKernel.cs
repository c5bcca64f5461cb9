using System.Runtime.CompilerServices;

namespace Mtrl.Kernels;

/// <summary>
/// 12×32 tile of BF16 products with float32 accumulation, the micro-kernel of
/// <see cref="GemmBackend.Bfloat16"/>. The packed driver is the float32 one: it packs op(A) and
/// op(B) as floats and then rounds each panel in place to pairs of bfloat16 along the depth
/// (<see cref="Bf16Pairs"/>), the layout VDPBF16PS reads; the tile itself runs in
/// <see cref="Bf16Native"/>. Blocking, epilogues, edge tiles and threading are shared, so the
/// results are bit-identical for any thread count here too.
/// </summary>
internal readonly unsafe struct Bf16MicroKernel : IGemmMicroKernel
{
    public static int Rows => 12;

    public static int Columns => 32;

    public static bool IsSupported => Bf16Native.IsAvailable;

    public static bool PacksBf16Pairs => true;

    /// <summary>Runs a full tile; <paramref name="kc"/> is the slice's depth, packed as ⌈kc/2⌉ pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
        => Bf16Native.FullTile((kc + 1) / 2, (uint*)a, (uint*)b, c, ldc, alpha, beta);

    /// <summary>The tile's left half (12×16) from a panel packed 32 wide, with the full tile's bits per element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RunHalf(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
        => Bf16Native.HalfTile((kc + 1) / 2, (uint*)a, (uint*)b, c, ldc, alpha, beta);
}
