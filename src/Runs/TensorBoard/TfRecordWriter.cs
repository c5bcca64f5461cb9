using System;
using System.Buffers.Binary;
using System.IO;

namespace Mtrl.Runs.TensorBoard;

/// <summary>
/// TFRecord framing: each record is its length (uint64, little-endian), the masked CRC-32C of
/// those 8 bytes, the data, and the masked CRC-32C of the data.
/// </summary>
public sealed class TfRecordWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly byte[] _header = new byte[12];
    private readonly byte[] _footer = new byte[4];

    /// <summary>Writes records to <paramref name="stream"/> (owned: disposed with the writer).</summary>
    public TfRecordWriter(Stream stream) => _stream = stream;

    /// <summary>Frames and writes one record, then flushes it to the operating system.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(8), MaskedCrc32C.Of(_header.AsSpan(0, 8)));
        BinaryPrimitives.WriteUInt32LittleEndian(_footer, MaskedCrc32C.Of(data));
        _stream.Write(_header);
        _stream.Write(data);
        _stream.Write(_footer);
        _stream.Flush();
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
