using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// Asks Linux to back large storage arrays with transparent huge pages (2 MiB). Replay sampling
/// touches a few bytes at random places in arrays of hundreds of megabytes; with 4 KiB pages
/// nearly every touch also misses the TLB and walks the page table, which costs as much as the
/// data miss itself. The arrays are allocated pinned and uninitialised, so their pages are
/// first touched after the advice and come as huge pages when the system allows it
/// (/sys/kernel/mm/transparent_hugepage/enabled = madvise or always). Purely a hint: on other
/// systems, or if the call fails, nothing changes.
/// </summary>
internal static partial class HugePageAdvice
{
    private const int MadviseHugePage = 14; // MADV_HUGEPAGE
    private const long HugePageBytes = 2L << 20;

    /// <summary>A pinned, uninitialised array of <paramref name="length"/> elements, advised onto huge pages when it spans several.</summary>
    public static T[] Allocate<T>(long length)
        where T : unmanaged
    {
        T[] array = GC.AllocateUninitializedArray<T>(checked((int)length), pinned: true);
        Advise(array);
        return array;
    }

    /// <summary>As <see cref="Allocate{T}"/>, but zeroed (after the advice, so zeroing already faults in huge pages).</summary>
    public static T[] AllocateZeroed<T>(long length)
        where T : unmanaged
    {
        T[] array = Allocate<T>(length);
        Array.Clear(array);
        return array;
    }

    private static unsafe void Advise<T>(T[] array)
        where T : unmanaged
    {
        long bytes = (long)array.Length * sizeof(T);
        if (!OperatingSystem.IsLinux() || bytes < 2 * HugePageBytes)
        {
            return;
        }

        nuint start = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        nuint first = (start + (nuint)HugePageBytes - 1) & ~(nuint)(HugePageBytes - 1);
        nuint end = (start + (nuint)bytes) & ~(nuint)(HugePageBytes - 1);
        if (end <= first)
        {
            return;
        }

        try
        {
            _ = Madvise(first, end - first, MadviseHugePage);
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc-compatible: keep ordinary pages.
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nuint address, nuint length, int advice);
}
