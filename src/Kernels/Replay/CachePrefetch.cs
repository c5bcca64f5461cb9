using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// Software prefetch of the rows a gather will read a few rows later. Replay sampling reads a
/// handful of short rows at random places in arrays far larger than the caches, so each row costs
/// several memory latencies; requesting the rows ahead lets those latencies overlap instead of
/// adding up. A hint only: wrong or stale addresses cannot fault, and platforms without the
/// instruction skip it.
/// </summary>
internal static unsafe class CachePrefetch
{
    private const int LineBytes = 64;

    /// <summary>Requests the cache lines of elements [start, start + count) of <paramref name="values"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Row<T>(ReadOnlySpan<T> values, int start, int count)
        where T : unmanaged
    {
        if (!Sse.IsSupported || count <= 0 || (uint)start >= (uint)values.Length)
        {
            return;
        }

        nuint line = (nuint)Unsafe.AsPointer(ref Unsafe.AsRef(in values[start])) & ~(nuint)(LineBytes - 1);
        nuint last = (nuint)Unsafe.AsPointer(ref Unsafe.AsRef(in values[start])) + (nuint)(count * sizeof(T)) - 1;
        for (; line <= last; line += LineBytes)
        {
            Sse.Prefetch0((void*)line);
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
