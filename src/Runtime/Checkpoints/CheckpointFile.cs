using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace Mtrl.Runtime.Checkpoints;

/// <summary>
/// The on-disk checkpoint format (version 1, little-endian):
/// <code>
/// "MTRLCKPT" | u32 version | u32 flags (0) | u64 layout hash | u32 sections
/// section: u8 kind (1 = float32 array, 2 = int64) | u16 name length | UTF-8 name | (u64 count | floats) or i64
/// u64 checksum of every byte before it
/// </code>
/// Writes are atomic: a temporary file in the same directory is written, flushed to disk and
/// renamed over the target, so a crash leaves either the old or the new checkpoint.
/// </summary>
public static class CheckpointFile
{
    /// <summary>Format version written by this build; files from newer versions are refused.</summary>
    public const uint Version = 1;

    private static ReadOnlySpan<byte> Magic => "MTRLCKPT"u8;

    /// <summary>Saves <paramref name="checkpoint"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, Checkpoint checkpoint)
    {
        var full = Path.GetFullPath(path);
        var temporary = full + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var hasher = new Checksum();
                void Write(ReadOnlySpan<byte> bytes)
                {
                    hasher.Append(bytes);
                    stream.Write(bytes);
                }
                Span<byte> header = stackalloc byte[8 + 4 + 4 + 8 + 4];
                Magic.CopyTo(header);
                BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(8), Version);
                BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(12), 0);
                BinaryPrimitives.WriteUInt64LittleEndian(header.Slice(16), checkpoint.LayoutHash);
                BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(24), (uint)(checkpoint.Arrays.Count + checkpoint.Counters.Count));
                Write(header);
                Span<byte> number = stackalloc byte[8];
                foreach (var (name, values) in checkpoint.Arrays)
                {
                    WriteName(1, name, Write);
                    BinaryPrimitives.WriteUInt64LittleEndian(number, (ulong)values.Length);
                    Write(number);
                    if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("checkpoints are written on little-endian machines");
                    Write(MemoryMarshal.AsBytes(values.AsSpan()));
                }
                foreach (var (name, value) in checkpoint.Counters)
                {
                    WriteName(2, name, Write);
                    BinaryPrimitives.WriteInt64LittleEndian(number, value);
                    Write(number);
                }
                BinaryPrimitives.WriteUInt64LittleEndian(number, hasher.Value);
                stream.Write(number);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    private delegate void Writer(ReadOnlySpan<byte> bytes);

    private static void WriteName(byte kind, string name, Writer write)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        if (bytes.Length > ushort.MaxValue) throw new ArgumentException($"section name '{name[..40]}…' is too long", nameof(name));
        Span<byte> head = stackalloc byte[3];
        head[0] = kind;
        BinaryPrimitives.WriteUInt16LittleEndian(head.Slice(1), (ushort)bytes.Length);
        write(head);
        write(bytes);
    }

    /// <summary>Loads a checkpoint, verifying magic, version, structure and checksum.</summary>
    /// <exception cref="CheckpointException">The file is missing, not a checkpoint, from a newer version, truncated or corrupt.</exception>
    public static Checkpoint Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"cannot read checkpoint '{path}': {exception.Message}", exception);
        }
        return Parse(bytes, path);
    }

    private static Checkpoint Parse(byte[] bytes, string path)
    {
        const int headerLength = 28;
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new CheckpointException($"'{path}' is not an Mtrl checkpoint (wrong magic bytes)");
        }
        if (bytes.Length < headerLength + 8)
        {
            throw new CheckpointException($"'{path}' is truncated: {bytes.Length} bytes is shorter than a checkpoint header");
        }
        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version > Version || version == 0)
        {
            throw new CheckpointException($"'{path}' has format version {version}; this build reads version {Version}");
        }
        var body = bytes.AsSpan(0, bytes.Length - 8);
        var stored = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(bytes.Length - 8));
        var layoutHash = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));
        var sections = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24));
        var checkpoint = new Checkpoint(layoutHash);
        var position = headerLength;
        try
        {
            for (var s = 0; s < sections; s++)
            {
                var kind = body[position];
                var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(body.Slice(position + 1));
                var name = Encoding.UTF8.GetString(body.Slice(position + 3, nameLength));
                position += 3 + nameLength;
                switch (kind)
                {
                    case 1:
                        var count = BinaryPrimitives.ReadUInt64LittleEndian(body.Slice(position));
                        position += 8;
                        if (count > (ulong)(body.Length - position) / 4) throw new ArgumentOutOfRangeException(nameof(bytes));
                        var values = new float[count];
                        MemoryMarshal.Cast<byte, float>(body.Slice(position, (int)count * 4)).CopyTo(values);
                        position += (int)count * 4;
                        checkpoint.Arrays[name] = values;
                        break;
                    case 2:
                        checkpoint.Counters[name] = BinaryPrimitives.ReadInt64LittleEndian(body.Slice(position));
                        position += 8;
                        break;
                    default:
                        throw new CheckpointException($"'{path}' is corrupt: unknown section kind {kind}");
                }
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new CheckpointException($"'{path}' is truncated or corrupt: its sections run past the end of the file");
        }
        if (position != body.Length)
        {
            throw new CheckpointException($"'{path}' is corrupt: {body.Length - position} unexpected bytes after the last section");
        }
        var hasher = new Checksum();
        hasher.Append(body);
        if (hasher.Value != stored)
        {
            throw new CheckpointException($"'{path}' is corrupt: checksum mismatch (stored {stored:x16}, computed {hasher.Value:x16})");
        }
        return checkpoint;
    }

    /// <summary>
    /// FNV-1a over 64-bit words with a final avalanche (fast enough for large files, catches
    /// truncation and bit flips; not a cryptographic hash).
    /// </summary>
    private sealed class Checksum
    {
        private ulong _hash = 14695981039346656037UL;
        private ulong _length;
        private readonly byte[] _pending = new byte[8];
        private int _pendingCount;

        public void Append(ReadOnlySpan<byte> bytes)
        {
            _length += (ulong)bytes.Length;
            while (bytes.Length > 0 && _pendingCount > 0)
            {
                _pending[_pendingCount++] = bytes[0];
                bytes = bytes.Slice(1);
                if (_pendingCount == 8)
                {
                    Mix(BinaryPrimitives.ReadUInt64LittleEndian(_pending));
                    _pendingCount = 0;
                }
            }
            if (bytes.IsEmpty) return;
            var words = MemoryMarshal.Cast<byte, ulong>(bytes.Slice(0, bytes.Length / 8 * 8));
            foreach (var word in words) Mix(BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word));
            var rest = bytes.Slice(words.Length * 8);
            rest.CopyTo(_pending);
            _pendingCount = rest.Length;
        }

        private void Mix(ulong word)
        {
            _hash ^= word;
            _hash *= 1099511628211UL;
            _hash ^= _hash >> 29;
        }

        public ulong Value
        {
            get
            {
                var hash = _hash;
                for (var i = 0; i < _pendingCount; i++) hash = (hash ^ _pending[i]) * 1099511628211UL;
                hash ^= _length;
                hash ^= hash >> 33;
                hash *= 0xff51afd7ed558ccdUL;
                hash ^= hash >> 33;
                return hash;
            }
        }
    }
}
