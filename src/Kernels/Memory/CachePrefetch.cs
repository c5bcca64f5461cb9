using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Mtrl.Kernels;

/// <summary>
/// Software prefetch of memory a kernel will touch shortly. Replay sampling reads a handful of
/// short rows at random places in arrays far larger than the caches, and a GEMM tile's final
/// update reads short rows of C scattered by the row stride; each such row costs a memory latency,
/// and requesting the rows ahead lets those latencies overlap instead of adding up. A hint only:
/// wrong or stale addresses cannot fault, and platforms without the instruction skip it.
/// </summary>
internal static unsafe class CachePrefetch
{
    private const int LineBytes = 64;

    /// <summary>Requests the cache lines of elements [start, start + count) of <paramref name="values"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Row<T>(ReadOnlySpan<T> values, int start, int count)
        where T : unmanaged
    {
        if (count > 0 && (uint)start < (uint)values.Length)
        {
            Bytes(Unsafe.AsPointer(ref Unsafe.AsRef(in values[start])), (nuint)(count * sizeof(T)));
        }
    }

    /// <summary>Requests the cache lines of <paramref name="bytes"/> bytes from <paramref name="start"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Bytes(void* start, nuint bytes)
    {
        if (!Sse.IsSupported || bytes == 0)
        {
            return;
        }

        nuint line = (nuint)start & ~(nuint)(LineBytes - 1);
        nuint last = (nuint)start + bytes - 1;
        for (; line <= last; line += LineBytes)
        {
            Sse.Prefetch0((void*)line);
        }
    }

    /// <summary>Requests every cache line of a rows × columns block of floats with row stride <paramref name="stride"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block(float* start, nint stride, int rows, int columns)
    {
        for (int r = 0; r < rows; r++)
        {
            Bytes(start + (r * stride), (nuint)columns * sizeof(float));
        }
    }

    /// <summary>Requests the cache line holding element <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Element<T>(ReadOnlySpan<T> values, int index)
        where T : unmanaged
    {
        if (Sse.IsSupported && (uint)index < (uint)values.Length)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.AsRef(in values[index])));
        }
    }
}
