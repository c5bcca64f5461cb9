using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;

namespace Mtrl.Runs.TensorBoard;

/// <summary>Reads TFRecord framing back, checking both CRCs of every record.</summary>
public static class TfRecordReader
{
    /// <summary>Every record's data in <paramref name="bytes"/>.</summary>
    /// <exception cref="InvalidDataException">A truncated record or a CRC that does not match, with its offset.</exception>
    public static List<byte[]> Read(ReadOnlySpan<byte> bytes)
    {
        var records = new List<byte[]>();
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (bytes.Length - offset < 12) throw new InvalidDataException($"record at byte {offset}: truncated header");
            var header = bytes.Slice(offset, 12);
            var length = BinaryPrimitives.ReadUInt64LittleEndian(header);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) != MaskedCrc32C.Of(header[..8]))
            {
                throw new InvalidDataException($"record at byte {offset}: the length's CRC does not match");
            }
            long room = bytes.Length - offset - 16;
            if (room < 0 || length > (ulong)room) throw new InvalidDataException($"record at byte {offset}: {length} bytes of data announced, fewer left");
            var data = bytes.Slice(offset + 12, (int)length);
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes[(offset + 12 + (int)length)..]) != MaskedCrc32C.Of(data))
            {
                throw new InvalidDataException($"record at byte {offset}: the data's CRC does not match");
            }
            records.Add(data.ToArray());
            offset += 16 + (int)length;
        }
        return records;
    }
}
