using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Mtrl.Kernels;

/// <summary>
/// The BF16 micro-kernels of <c>libmtrl_bf16.so</c> (built from <c>src/Kernels/Native</c> when a C
/// compiler is present): .NET exposes no AVX512_BF16 intrinsic, and VDPBF16PS — two bfloat16
/// products per float32 lane, accumulated in float32 — doubles the arithmetic per instruction of
/// the float32 kernel. Loaded once from beside this assembly; <see cref="Unavailable"/> says why not.
/// </summary>
internal static unsafe class Bf16Native
{
    /// <summary>File name of the native kernels, copied next to <c>Mtrl.Kernels.dll</c> by the build.</summary>
    public const string LibraryName = "libmtrl_bf16.so";

    private static readonly delegate* unmanaged<int, uint*, uint*, float*, int, float, float, void> s_fullTile;
    private static readonly delegate* unmanaged<int, uint*, uint*, float*, int, float, float, void> s_halfTile;

#pragma warning disable CA1810 // the checks run once, in order, before the pointers are read
    static Bf16Native()
    {
        if (!CpuHasBf16)
        {
            Unavailable = "BF16 products need a CPU with AVX-512 and AVX512_BF16; this one "
                + (Avx512F.IsSupported ? "has AVX-512 without AVX512_BF16" : "has no AVX-512");
            return;
        }

        // A package's runtimes/linux-x64/native asset resolves through the assembly's deps.json; a
        // build of this repository puts the library beside the assembly instead.
        IntPtr handle;
        string path = LibraryName;
        if (!NativeLibrary.TryLoad(LibraryName, typeof(Bf16Native).Assembly, DllImportSearchPath.AssemblyDirectory, out handle))
        {
            if (FindLibrary() is not { } found)
            {
                Unavailable = $"this build has no BF16 kernel: {LibraryName} is built from src/Kernels/Native/bf16_microkernel.c when /usr/bin/gcc exists at build time (x64 Linux)";
                return;
            }

            try
            {
                handle = NativeLibrary.Load(found);
                path = found;
            }
            catch (DllNotFoundException exception)
            {
                Unavailable = $"{found} could not be loaded: {exception.Message.Split('\n')[0]}";
                return;
            }
        }

        if (!NativeLibrary.TryGetExport(handle, "mtrl_bf16_tile_12x32", out IntPtr full)
            || !NativeLibrary.TryGetExport(handle, "mtrl_bf16_tile_12x16", out IntPtr half))
        {
            NativeLibrary.Free(handle);
            Unavailable = $"{path} lacks the BF16 tile functions (a stale build?)";
            return;
        }

        s_fullTile = (delegate* unmanaged<int, uint*, uint*, float*, int, float, float, void>)full;
        s_halfTile = (delegate* unmanaged<int, uint*, uint*, float*, int, float, float, void>)half;
        LibraryPath = path;
    }
#pragma warning restore CA1810

    /// <summary>Whether the CPU (and OS) run AVX-512 with AVX512_BF16: CPUID leaf 7 sub-leaf 1, EAX bit 5.</summary>
    public static bool CpuHasBf16 => Avx512F.IsSupported && (X86Base.CpuId(7, 1).Eax & (1 << 5)) != 0;

    /// <summary>True when the CPU has AVX512_BF16 and the kernels loaded.</summary>
    public static bool IsAvailable => s_fullTile != null;

    /// <summary>Why BF16 products cannot run here, as one sentence; null when they can.</summary>
    public static string? Unavailable { get; }

    /// <summary>The library that loaded (its name when found through the deps.json of a package), for reports; null when unavailable.</summary>
    public static string? LibraryPath { get; }

    /// <summary>A full 12×32 tile over <paramref name="pairs"/> packed depth pairs (see <see cref="Bf16MicroKernel"/>).</summary>
    public static void FullTile(int pairs, uint* a, uint* b, float* c, int ldc, float alpha, float beta) => s_fullTile(pairs, a, b, c, ldc, alpha, beta);

    /// <summary>The left 12×16 half of a tile packed 32 wide, with the full tile's bits per element.</summary>
    public static void HalfTile(int pairs, uint* a, uint* b, float* c, int ldc, float alpha, float beta) => s_halfTile(pairs, a, b, c, ldc, alpha, beta);

    private static string? FindLibrary()
    {
        foreach (string? directory in new[] { Path.GetDirectoryName(typeof(Bf16Native).Assembly.Location), AppContext.BaseDirectory })
        {
            if (string.IsNullOrEmpty(directory))
            {
                continue;
            }

            string candidate = Path.Combine(directory, LibraryName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
