using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// The storage of one field of a replay ring: a flat run of elements in a pinned array whose first
/// element sits on a 64-byte cache-line boundary, advised onto huge pages
/// (<see cref="HugePageAdvice"/>). Alignment matters because a sample reads one row of every field
/// at a random place: a 160-byte row (40 floats) then spans 3 cache lines instead of 3 or 4.
/// </summary>
/// <typeparam name="T">Element type.</typeparam>
internal sealed class PinnedColumn<T>
    where T : unmanaged
{
    private const int LineBytes = 64;
    private readonly T[] _array;
    private readonly int _offset;

    /// <summary>Allocates <paramref name="length"/> elements, uninitialised unless <paramref name="zeroed"/>.</summary>
    public unsafe PinnedColumn(long length, bool zeroed = false)
    {
        int slack = length == 0 ? 0 : LineBytes / sizeof(T);
        _array = GC.AllocateUninitializedArray<T>(checked((int)(length + slack)), pinned: true);
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        _offset = length == 0 ? 0 : (int)((LineBytes - (address % LineBytes)) % LineBytes) / sizeof(T);
        Length = (int)length;
        HugePageAdvice.Advise(address + (nuint)(_offset * sizeof(T)), length * sizeof(T));
        if (zeroed)
        {
            Span.Clear();
        }
    }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>The elements.</summary>
    public Span<T> Span => _array.AsSpan(_offset, Length);
}
