using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// The compact layouts of replay columns (<see cref="ColumnElementType"/>) and the conversions
/// between them and float32 rows. A column of width w holds rows of <see cref="RowBytes"/> bytes,
/// row s at bytes [s·rowBytes, (s+1)·rowBytes):
/// <list type="bullet">
/// <item><see cref="ColumnElementType.UInt8"/>: element j is byte j of the row.</item>
/// <item><see cref="ColumnElementType.Bit"/>: element j is bit j mod 8 of byte j / 8 of the row
/// (least significant bit first, numpy's <c>packbits(bitorder="little")</c>); the unused high
/// bits of the last byte are 0, so two rows hold the same elements exactly when their bytes are
/// equal.</item>
/// </list>
/// Decoding is exact: a stored value decodes to the float that was encoded (−0 decodes to +0).
/// </summary>
public static class ColumnEncoding
{
    /// <summary>Bytes per row of a column of <paramref name="width"/> elements.</summary>
    /// <param name="type">The element type.</param>
    /// <param name="width">Elements per row; at least 0.</param>
    public static int RowBytes(ColumnElementType type, int width) => type switch
    {
        ColumnElementType.Float32 => checked(width * sizeof(float)),
        ColumnElementType.UInt8 => width,
        ColumnElementType.Bit => (int)(((long)width + 7) / 8),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "type must be Float32, UInt8 or Bit"),
    };

    /// <summary>True when <paramref name="value"/> can be stored as <paramref name="type"/> and decoded back unchanged.</summary>
    /// <param name="type">The element type.</param>
    /// <param name="value">The value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool CanStore(ColumnElementType type, float value) => type switch
    {
        ColumnElementType.UInt8 => value >= 0f && value <= 255f && value == MathF.Floor(value),
        ColumnElementType.Bit => value == 0f || value == 1f,
        _ => true,
    };

    /// <summary>The values a column of <paramref name="type"/> accepts, in words, for error messages.</summary>
    /// <param name="type">The element type.</param>
    public static string AllowedValues(ColumnElementType type) => type switch
    {
        ColumnElementType.UInt8 => "integers in [0, 255]",
        ColumnElementType.Bit => "0 and 1",
        _ => "any float",
    };

    /// <summary>Index of the first element of <paramref name="values"/> that <paramref name="type"/> cannot store, or −1.</summary>
    /// <param name="type">The element type.</param>
    /// <param name="values">Values to check.</param>
    public static int IndexOfUnstorable(ColumnElementType type, ReadOnlySpan<float> values)
    {
        if (type == ColumnElementType.Float32)
        {
            return -1;
        }

        for (int i = 0; i < values.Length; i++)
        {
            if (!CanStore(type, values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Encodes float rows into <paramref name="type"/> rows. Every value must be storable
    /// (<see cref="IndexOfUnstorable"/> returns −1); otherwise an <see cref="ArgumentException"/>
    /// names the first that is not, and nothing has been written.
    /// </summary>
    /// <param name="type">UInt8 or Bit.</param>
    /// <param name="values">Rows × <paramref name="width"/> floats.</param>
    /// <param name="width">Elements per row; at least 1.</param>
    /// <param name="destination">Rows × <see cref="RowBytes"/> bytes.</param>
    public static void Encode(ColumnElementType type, ReadOnlySpan<float> values, int width, Span<byte> destination)
    {
        int rows = CheckShape(type, values.Length, width, destination.Length, nameof(values));
        int bad = IndexOfUnstorable(type, values[..(rows * width)]);
        if (bad >= 0)
        {
            throw new ArgumentException($"values[{bad}] is {values[bad]}; a {type} column stores only {AllowedValues(type)}", nameof(values));
        }

        if (type == ColumnElementType.UInt8)
        {
            for (int i = 0; i < rows * width; i++)
            {
                destination[i] = (byte)values[i];
            }

            return;
        }

        int rowBytes = RowBytes(type, width);
        destination[..(rows * rowBytes)].Clear();
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = values.Slice(r * width, width);
            Span<byte> packed = destination.Slice(r * rowBytes, rowBytes);
            for (int j = 0; j < width; j++)
            {
                packed[j >> 3] |= (byte)((row[j] == 1f ? 1 : 0) << (j & 7));
            }
        }
    }

    /// <summary>Decodes <paramref name="type"/> rows into float rows.</summary>
    /// <param name="type">UInt8 or Bit.</param>
    /// <param name="rows">Rows × <see cref="RowBytes"/> bytes.</param>
    /// <param name="width">Elements per row; at least 1.</param>
    /// <param name="destination">Rows × <paramref name="width"/> floats, overwritten.</param>
    public static void Decode(ColumnElementType type, ReadOnlySpan<byte> rows, int width, Span<float> destination)
    {
        int count = CheckShape(type, destination.Length, width, rows.Length, nameof(destination));
        for (int r = 0; r < count; r++)
        {
            DecodeRow(type, rows, r, width, destination.Slice(r * width, width));
        }
    }

    /// <summary>
    /// Decodes row <paramref name="row"/> of an encoded column into <paramref name="destination"/>
    /// (<paramref name="width"/> floats): the gather's inner step, vectorised with AVX-512 where available.
    /// </summary>
    /// <param name="type">UInt8 or Bit.</param>
    /// <param name="column">The whole column.</param>
    /// <param name="row">Row to decode.</param>
    /// <param name="width">Elements per row.</param>
    /// <param name="destination">At least <paramref name="width"/> floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void DecodeRow(ColumnElementType type, ReadOnlySpan<byte> column, int row, int width, Span<float> destination)
    {
        if (type == ColumnElementType.Bit)
        {
            UnpackBitRow(column, row * ((width + 7) >> 3), width, destination);
        }
        else
        {
            WidenByteRow(column.Slice(row * width, width), destination[..width]);
        }
    }

    /// <summary>Copies row <paramref name="row"/> of an encoded column (<paramref name="rowBytes"/> bytes) to the start of <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CopyRow(ReadOnlySpan<byte> column, int row, int rowBytes, Span<byte> destination)
    {
        ReadOnlySpan<byte> source = column.Slice(row * rowBytes, rowBytes);
        CopyBytes(ref MemoryMarshal.GetReference(source), ref MemoryMarshal.GetReference(destination[..rowBytes]), rowBytes);
    }

    private static int CheckShape(ColumnElementType type, int floatCount, int width, int byteCount, string floatName)
    {
        if (type is not (ColumnElementType.UInt8 or ColumnElementType.Bit))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "type must be UInt8 or Bit (Float32 columns need no encoding)");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (floatCount % width != 0)
        {
            throw new ArgumentException($"{floatName} must hold whole rows of {width} floats, got {floatCount}", floatName);
        }

        int rows = floatCount / width;
        if ((long)rows * RowBytes(type, width) > byteCount)
        {
            throw new ArgumentException($"the encoded span must hold {rows} rows of {RowBytes(type, width)} bytes, got {byteCount} bytes");
        }

        return rows;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UnpackBitRow(ReadOnlySpan<byte> column, int start, int width, Span<float> destination)
    {
        destination = destination[..width];
        ref float target = ref MemoryMarshal.GetReference(destination);
        for (int j = 0; j < width; j += 64)
        {
            ulong word = LoadWord(column, start + (j >> 3));
            ExpandBits(word, ref Unsafe.Add(ref target, j), Math.Min(64, width - j));
        }
    }

    /// <summary>Up to 8 bytes of <paramref name="bytes"/> from <paramref name="start"/> as a little-endian word (missing bytes read as 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong LoadWord(ReadOnlySpan<byte> bytes, int start)
    {
        if ((uint)start + sizeof(ulong) <= (uint)bytes.Length)
        {
            return Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetReference(bytes), start));
        }

        ulong word = 0;
        for (int i = 0; start + i < bytes.Length && i < sizeof(ulong); i++)
        {
            word |= (ulong)bytes[start + i] << (8 * i);
        }

        return word;
    }

    /// <summary>Writes bit k of <paramref name="word"/> as 0f or 1f to element k of <paramref name="target"/>, k &lt; <paramref name="count"/> ≤ 64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ExpandBits(ulong word, ref float target, int count)
    {
        int k = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<int> lanes = Vector512.Create(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768);
            Vector512<float> one = Vector512.Create(1f);
            for (; k + 16 <= count; k += 16)
            {
                Vector512<int> set = Vector512.Create((int)(word >> k)) & lanes;
                (Vector512.Equals(set, lanes).AsSingle() & one).StoreUnsafe(ref target, (nuint)k);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<int> lanes = Vector256.Create(1, 2, 4, 8, 16, 32, 64, 128);
            Vector256<float> one = Vector256.Create(1f);
            for (; k + 8 <= count; k += 8)
            {
                Vector256<int> set = Vector256.Create((int)(word >> k)) & lanes;
                (Vector256.Equals(set, lanes).AsSingle() & one).StoreUnsafe(ref target, (nuint)k);
            }
        }

        for (; k < count; k++)
        {
            Unsafe.Add(ref target, k) = (word >> k) & 1;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WidenByteRow(ReadOnlySpan<byte> row, Span<float> destination)
        => WidenBytes(ref MemoryMarshal.GetReference(row), ref MemoryMarshal.GetReference(destination[..row.Length]), row.Length);

    /// <summary>Writes <paramref name="count"/> bytes from <paramref name="source"/> as floats to <paramref name="target"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void WidenBytes(ref byte source, ref float target, int count)
    {
        int k = 0;
        if (Avx512F.IsSupported)
        {
            for (; k + 16 <= count; k += 16)
            {
                Vector512<int> widened = Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref source, (nuint)k));
                Avx512F.ConvertToVector512Single(widened).StoreUnsafe(ref target, (nuint)k);
            }
        }

        for (; k < count; k++)
        {
            Unsafe.Add(ref target, k) = Unsafe.Add(ref source, k);
        }
    }

    /// <summary>Copies <paramref name="count"/> bytes; 4 to 8 bytes (a 40-bit row is 5) as two overlapping 4-byte moves instead of a memmove call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CopyBytes(ref byte source, ref byte target, int count)
    {
        if (count is >= sizeof(uint) and <= sizeof(ulong))
        {
            uint head = Unsafe.ReadUnaligned<uint>(ref source);
            uint tail = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref source, count - sizeof(uint)));
            Unsafe.WriteUnaligned(ref target, head);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref target, count - sizeof(uint)), tail);
            return;
        }

        Unsafe.CopyBlockUnaligned(ref target, ref source, (uint)count);
    }
}
