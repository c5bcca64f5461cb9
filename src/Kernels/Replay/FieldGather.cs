using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// One observation or goal field of a gather, resolved once per launch: where its stored rows are
/// (float32 or encoded, <see cref="ColumnEncoding"/>) and which batch forms receive them (floats,
/// encoded bytes, or both). The per-row work is then a prefetch and a copy or decode at computed
/// addresses, without re-deciding the layout or re-checking bounds for every element; the caller
/// checks each slot against <see cref="Slots"/> and the batch size once (<see cref="TransitionGather.CheckFields"/>).
/// </summary>
internal readonly ref struct FieldGather
{
    private readonly ref byte _source;
    private readonly ref float _floats;
    private readonly ref byte _encoded;
    private readonly long _sourceBytes; // long: a float column may hold more than 2³¹ bytes
    private readonly int _rowBytes;
    private readonly int _stride;
    private readonly int _width;
    private readonly ColumnElementType _type;
    private readonly bool _writesFloats;
    private readonly bool _writesEncoded;

    public FieldGather(ReadOnlySpan<float> floats, ReadOnlySpan<byte> encoded, ColumnElementType type, int width, Span<float> floatBatch, Span<byte> encodedBatch)
    {
        _type = type;
        _width = width;
        if (type == ColumnElementType.Float32)
        {
            _source = ref Unsafe.As<float, byte>(ref MemoryMarshal.GetReference(floats));
            _sourceBytes = (long)floats.Length * sizeof(float);
            _rowBytes = width * sizeof(float);
        }
        else
        {
            _source = ref MemoryMarshal.GetReference(encoded);
            _sourceBytes = encoded.Length;
            _rowBytes = ColumnEncoding.RowBytes(type, width);
        }

        _stride = _rowBytes;
        _floats = ref MemoryMarshal.GetReference(floatBatch);
        _encoded = ref MemoryMarshal.GetReference(encodedBatch);
        _writesFloats = !floatBatch.IsEmpty;
        _writesEncoded = type != ColumnElementType.Float32 && !encodedBatch.IsEmpty;
        Slots = _rowBytes == 0 ? 0 : (int)(_sourceBytes / _rowBytes);
    }

    /// <summary>The field as stored in slot records: row s at byte s·stride + <paramref name="fieldOffset"/> of <paramref name="records"/>.</summary>
    public FieldGather(ReadOnlySpan<byte> records, int stride, int fieldOffset, ColumnElementType type, int width, Span<float> floatBatch, Span<byte> encodedBatch)
    {
        _type = type;
        _width = width;
        _rowBytes = ColumnEncoding.RowBytes(type, width);
        _stride = stride;

        // The field's rows start at the offset; the column then ends fieldOffset bytes earlier.
        _source = ref Unsafe.Add(ref MemoryMarshal.GetReference(records), fieldOffset);
        _sourceBytes = Math.Max(records.Length - fieldOffset, 0);
        _floats = ref MemoryMarshal.GetReference(floatBatch);
        _encoded = ref MemoryMarshal.GetReference(encodedBatch);
        _writesFloats = !floatBatch.IsEmpty;
        _writesEncoded = type != ColumnElementType.Float32 && !encodedBatch.IsEmpty;
        Slots = stride == 0 ? 0 : records.Length / stride;
    }

    /// <summary>Stored rows (slots) of the column.</summary>
    public int Slots { get; }

    /// <summary>Requests the cache lines of stored row <paramref name="slot"/> (a hint: nothing happens outside the column).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Prefetch(int slot)
    {
        if ((uint)slot < (uint)Slots)
        {
            CachePrefetch.Bytes(Unsafe.AsPointer(ref Unsafe.Add(ref _source, (nint)slot * _stride)), (nuint)_rowBytes);
        }
    }

    /// <summary>Writes stored row <paramref name="slot"/> (in [0, <see cref="Slots"/>)) into batch row <paramref name="row"/> in every form the batch holds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Copy(int slot, int row)
    {
        nint offset = (nint)slot * _stride;
        ref byte source = ref Unsafe.Add(ref _source, offset);
        if (_type == ColumnElementType.Float32)
        {
            Unsafe.CopyBlockUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref _floats, (nint)row * _width)), ref source, (uint)_rowBytes);
            return;
        }

        if (_writesFloats)
        {
            ref float target = ref Unsafe.Add(ref _floats, (nint)row * _width);
            if (_type == ColumnElementType.Bit)
            {
                for (int j = 0; j < _width; j += 64)
                {
                    // A word load may run past the column's end only for its last rows.
                    nint at = offset + (j >> 3);
                    ulong word = at + sizeof(ulong) <= _sourceBytes
                        ? Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref _source, at))
                        : ColumnEncoding.LoadWord(MemoryMarshal.CreateReadOnlySpan(ref _source, (int)_sourceBytes), (int)at);
                    ColumnEncoding.ExpandBits(word, ref Unsafe.Add(ref target, j), Math.Min(64, _width - j));
                }
            }
            else
            {
                ColumnEncoding.WidenBytes(ref source, ref target, _width);
            }
        }

        if (_writesEncoded)
        {
            ColumnEncoding.CopyBytes(ref source, ref Unsafe.Add(ref _encoded, (nint)row * _rowBytes), _rowBytes);
        }
    }
}
