using System;
using System.Runtime.InteropServices;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// Asks Linux to back large storage with transparent huge pages (2 MiB). Replay sampling touches a
/// few bytes at random places in arrays of hundreds of megabytes; with 4 KiB pages nearly every
/// touch also misses the TLB and walks the page table, which costs as much as the data miss
/// itself (measured: sampling from a 1M-transition buffer is 20–30 % faster with huge pages).
/// Storage is allocated pinned and uninitialised and advised before its pages are first touched,
/// so they come as huge pages when the system allows it
/// (/sys/kernel/mm/transparent_hugepage/enabled = madvise or always). Purely a hint: on other
/// systems, or if the call fails, nothing changes.
/// </summary>
internal static partial class HugePageAdvice
{
    private const int MadviseHugePage = 14; // MADV_HUGEPAGE
    private const long HugePageBytes = 2L << 20;

    /// <summary>A pinned, zeroed array advised onto huge pages (zeroing after the advice already faults them in).</summary>
    public static unsafe T[] AllocateZeroed<T>(int length)
        where T : unmanaged
    {
        T[] array = GC.AllocateUninitializedArray<T>(length, pinned: true);
        Advise((nuint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array)), (long)length * sizeof(T));
        Array.Clear(array);
        return array;
    }

    /// <summary>Advises the whole huge pages inside [<paramref name="address"/>, + <paramref name="bytes"/>).</summary>
    public static void Advise(nuint address, long bytes)
    {
        if (!OperatingSystem.IsLinux() || bytes < 2 * HugePageBytes)
        {
            return;
        }

        nuint first = (address + (nuint)HugePageBytes - 1) & ~(nuint)(HugePageBytes - 1);
        nuint end = (address + (nuint)bytes) & ~(nuint)(HugePageBytes - 1);
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
            // Not a glibc-compatible system: keep ordinary pages.
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nuint address, nuint length, int advice);
}
