using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace Mtrl.Runtime.Checkpoints;

/// <summary>
/// The on-disk checkpoint format (version 4, little-endian):
/// <code>
/// "MTRLCKPT" | u32 version | u32 flags (0) | u64 layout hash | u32 sections | u64 file length
/// section: u8 kind (1 = float32 array, 2 = int64, 3 = int64 array, 4 = string array) | u16 name length | UTF-8 name
///          | (u64 count | floats) or i64 or (u64 count | int64s) or (u64 count | (u32 length | UTF-8)…)
/// u64 checksum of every byte before it
/// </code>
/// Version 2 added the file length, so a cut-off file is reported as truncated rather than only as
/// failing its checksum; version 3 added integer arrays (the state of environments and replay a
/// resumed run needs); version 4 added string arrays (the layout's slice names, so a checkpoint can
/// initialise an agent of another layout slice by slice). Versions 1 to 3 are still read. Loading checks the header, then the
/// checksum over the whole file, and only then interprets the sections, each length and count
/// checked against the bytes that remain: a damaged file is always refused with a
/// <see cref="CheckpointException"/> naming the file and the damage, never loaded and never
/// allowed to throw anything else or to allocate more than its own size. Writes are atomic (see
/// <see cref="AtomicFile"/>): a crash leaves either the old or the new checkpoint, and temporary
/// files of earlier killed saves are removed.
/// </summary>
public static class CheckpointFile
{
    /// <summary>Format version written by this build; files from newer versions are refused.</summary>
    public const uint Version = 4;

    private const int HeaderLengthVersion1 = 28;
    private const int HeaderLength = 36;

    // Kind, name length, an empty name and an 8-byte payload: the least a section can take.
    private const int SmallestSection = 1 + 2 + 8;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static ReadOnlySpan<byte> Magic => "MTRLCKPT"u8;

    /// <summary>Saves <paramref name="checkpoint"/> to <paramref name="path"/> atomically.</summary>
    /// <exception cref="ArgumentException">The path is empty or a section name is longer than 65,535 UTF-8 bytes.</exception>
    public static void Save(string path, Checkpoint checkpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("checkpoints are written on little-endian machines");
        var names = new byte[checkpoint.Arrays.Count + checkpoint.Counters.Count + checkpoint.Integers.Count + checkpoint.Strings.Count][];
        long length = HeaderLength + 8;
        var index = 0;
        foreach (var (name, values) in checkpoint.Arrays)
        {
            names[index] = NameBytes(name);
            length += 3 + names[index++].Length + 8 + 4L * values.Length;
        }
        foreach (var name in checkpoint.Counters.Keys)
        {
            names[index] = NameBytes(name);
            length += 3 + names[index++].Length + 8;
        }
        foreach (var (name, values) in checkpoint.Integers)
        {
            names[index] = NameBytes(name);
            length += 3 + names[index++].Length + 8 + 8L * values.Length;
        }
        var texts = new byte[checkpoint.Strings.Count][][];
        var textIndex = 0;
        foreach (var (name, values) in checkpoint.Strings)
        {
            names[index] = NameBytes(name);
            length += 3 + names[index++].Length + 8;
            var encoded = texts[textIndex++] = new byte[values.Length][];
            for (var i = 0; i < values.Length; i++)
            {
                encoded[i] = Encoding.UTF8.GetBytes(values[i] ?? throw new ArgumentException($"string section '{name}' holds null at {i}", nameof(checkpoint)));
                length += 4 + encoded[i].Length;
            }
        }

        AtomicFile.Write(path, stream =>
        {
            var hasher = new Checksum();
            void Write(ReadOnlySpan<byte> bytes)
            {
                hasher.Append(bytes);
                stream.Write(bytes);
            }
            Span<byte> header = stackalloc byte[HeaderLength];
            Magic.CopyTo(header);
            BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(8), Version);
            BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(12), 0);
            BinaryPrimitives.WriteUInt64LittleEndian(header.Slice(16), checkpoint.LayoutHash);
            BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(24), (uint)names.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(header.Slice(28), (ulong)length);
            Write(header);
            Span<byte> number = stackalloc byte[8];
            var section = 0;
            foreach (var values in checkpoint.Arrays.Values)
            {
                WriteName(1, names[section++], Write);
                BinaryPrimitives.WriteUInt64LittleEndian(number, (ulong)values.Length);
                Write(number);
                Write(MemoryMarshal.AsBytes(values.AsSpan()));
            }
            foreach (var value in checkpoint.Counters.Values)
            {
                WriteName(2, names[section++], Write);
                BinaryPrimitives.WriteInt64LittleEndian(number, value);
                Write(number);
            }
            foreach (var values in checkpoint.Integers.Values)
            {
                WriteName(3, names[section++], Write);
                BinaryPrimitives.WriteUInt64LittleEndian(number, (ulong)values.Length);
                Write(number);
                Write(MemoryMarshal.AsBytes(values.AsSpan()));
            }
            foreach (var encoded in texts)
            {
                WriteName(4, names[section++], Write);
                BinaryPrimitives.WriteUInt64LittleEndian(number, (ulong)encoded.Length);
                Write(number);
                foreach (var text in encoded)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(number, (uint)text.Length);
                    Write(number.Slice(0, 4));
                    Write(text);
                }
            }
            BinaryPrimitives.WriteUInt64LittleEndian(number, hasher.Value);
            stream.Write(number);
        });
    }

    private delegate void Writer(ReadOnlySpan<byte> bytes);

    private static byte[] NameBytes(string name)
    {
        var bytes = Encoding.UTF8.GetBytes(name);
        if (bytes.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"section name '{name[..40]}…' is {bytes.Length} UTF-8 bytes long; names may be at most {ushort.MaxValue} bytes", nameof(name));
        }
        return bytes;
    }

    private static void WriteName(byte kind, byte[] name, Writer write)
    {
        Span<byte> head = stackalloc byte[3];
        head[0] = kind;
        BinaryPrimitives.WriteUInt16LittleEndian(head.Slice(1), (ushort)name.Length);
        write(head);
        write(name);
    }

    /// <summary>Loads a checkpoint, verifying magic, version, length, checksum and structure.</summary>
    /// <exception cref="CheckpointException">The file is missing, not a checkpoint, from a newer version, truncated or corrupt.</exception>
    public static Checkpoint Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            // The size comes from the file system, never from the file's content; a stream that
            // ends early (the file shrank, a device) is an EndOfStreamException, reported below.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var length = stream.Length;
            if (length > Array.MaxLength)
            {
                throw new CheckpointException($"'{path}' is {length} bytes; checkpoints of more than {Array.MaxLength} bytes cannot be read");
            }
            bytes = GC.AllocateUninitializedArray<byte>((int)length);
            stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException exception)
        {
            throw new CheckpointException($"cannot read checkpoint '{path}': it became shorter while it was being read", exception);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new CheckpointException($"cannot read checkpoint '{path}': {exception.Message}", exception);
        }
        catch (OutOfMemoryException exception)
        {
            throw new CheckpointException($"cannot read checkpoint '{path}': it does not fit in memory", exception);
        }
        return Parse(bytes, path);
    }

    /// <summary>Interprets the bytes of a checkpoint file; every failure is a <see cref="CheckpointException"/>.</summary>
    internal static Checkpoint Parse(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length < Magic.Length)
        {
            throw bytes.SequenceEqual(Magic.Slice(0, bytes.Length))
                ? new CheckpointException($"'{path}' is truncated: {bytes.Length} bytes, too short to hold a checkpoint header")
                : new CheckpointException($"'{path}' is not an Mtrl checkpoint (wrong magic bytes)");
        }
        if (!bytes.Slice(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new CheckpointException($"'{path}' is not an Mtrl checkpoint (wrong magic bytes)");
        }
        if (bytes.Length < 12)
        {
            throw new CheckpointException($"'{path}' is truncated: {bytes.Length} bytes, too short to hold a checkpoint header");
        }
        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(8));
        if (version > Version || version == 0)
        {
            throw new CheckpointException($"'{path}' has format version {version}; this build reads versions 1 to {Version}");
        }
        var headerLength = version == 1 ? HeaderLengthVersion1 : HeaderLength;
        if (bytes.Length < headerLength + 8)
        {
            throw new CheckpointException($"'{path}' is truncated: {bytes.Length} bytes, shorter than a version {version} checkpoint header and checksum ({headerLength + 8} bytes)");
        }
        if (version >= 2)
        {
            var recorded = BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(28));
            if (recorded != (ulong)bytes.Length)
            {
                throw new CheckpointException((ulong)bytes.Length < recorded
                    ? $"'{path}' is truncated (or its header is damaged): it has {bytes.Length} bytes, its header records {recorded}"
                    : $"'{path}' is corrupt: it has {bytes.Length} bytes, its header records {recorded}");
            }
        }
        var body = bytes.Slice(0, bytes.Length - 8);
        var stored = BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(bytes.Length - 8));
        var hasher = new Checksum();
        hasher.Append(body);
        if (hasher.Value != stored)
        {
            var damage = version == 1 ? "truncated or corrupt" : "corrupt";
            throw new CheckpointException($"'{path}' is {damage}: checksum mismatch (stored {stored:x16}, computed {hasher.Value:x16})");
        }

        // From here on the bytes are what a save wrote; the checks below keep a file that was
        // damaged yet passes the checksum (or was crafted) from throwing anything unexpected.
        var flags = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(12));
        if (flags != 0)
        {
            throw new CheckpointException($"'{path}' is corrupt: unknown flags {flags:x8}");
        }
        var layoutHash = BinaryPrimitives.ReadUInt64LittleEndian(bytes.Slice(16));
        var sections = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(24));
        var cursor = new Cursor(body, headerLength, path);
        if (sections > (uint)(cursor.Remaining / SmallestSection))
        {
            throw new CheckpointException($"'{path}' is corrupt: its header announces {sections} sections, but the {cursor.Remaining} bytes after the header hold at most {cursor.Remaining / SmallestSection}");
        }
        var checkpoint = new Checkpoint(layoutHash);
        for (var s = 0; s < sections; s++)
        {
            var kind = cursor.Byte("the kind of section " + s);
            var nameLength = cursor.UInt16("the name length of section " + s);
            var name = cursor.Name(nameLength, s);
            if (checkpoint.Arrays.ContainsKey(name) || checkpoint.Counters.ContainsKey(name) || checkpoint.Integers.ContainsKey(name) || checkpoint.Strings.ContainsKey(name))
            {
                throw new CheckpointException($"'{path}' is corrupt: section '{name}' appears twice");
            }
            switch (kind)
            {
                case 1:
                    var count = cursor.UInt64($"the length of section '{name}'");
                    if (count > (ulong)(cursor.Remaining / 4))
                    {
                        throw new CheckpointException($"'{path}' is corrupt: section '{name}' announces {count} floats, but only {cursor.Remaining} bytes remain before the checksum");
                    }
                    var values = new float[(int)count];
                    MemoryMarshal.Cast<byte, float>(cursor.Bytes((int)count * 4, $"section '{name}'")).CopyTo(values);
                    checkpoint.Arrays[name] = values;
                    break;
                case 2:
                    checkpoint.Counters[name] = (long)cursor.UInt64($"counter '{name}'");
                    break;
                case 3 when version >= 3:
                    var integerCount = cursor.UInt64($"the length of section '{name}'");
                    if (integerCount > (ulong)(cursor.Remaining / 8))
                    {
                        throw new CheckpointException($"'{path}' is corrupt: section '{name}' announces {integerCount} integers, but only {cursor.Remaining} bytes remain before the checksum");
                    }
                    var integers = new long[(int)integerCount];
                    MemoryMarshal.Cast<byte, long>(cursor.Bytes((int)integerCount * 8, $"section '{name}'")).CopyTo(integers);
                    checkpoint.Integers[name] = integers;
                    break;
                case 4 when version >= 4:
                    var stringCount = cursor.UInt64($"the length of section '{name}'");
                    if (stringCount > (ulong)(cursor.Remaining / 4))
                    {
                        throw new CheckpointException($"'{path}' is corrupt: section '{name}' announces {stringCount} strings, but only {cursor.Remaining} bytes remain before the checksum");
                    }
                    var strings = new string[(int)stringCount];
                    for (var i = 0; i < strings.Length; i++)
                    {
                        var textLength = cursor.UInt32($"the length of string {i} of section '{name}'");
                        if (textLength > (uint)cursor.Remaining)
                        {
                            throw new CheckpointException($"'{path}' is corrupt: string {i} of section '{name}' announces {textLength} bytes, but only {cursor.Remaining} remain before the checksum");
                        }
                        strings[i] = cursor.Text((int)textLength, $"string {i} of section '{name}'");
                    }
                    checkpoint.Strings[name] = strings;
                    break;
                default:
                    throw new CheckpointException($"'{path}' is corrupt: section {s} ('{name}') has unknown kind {kind} (1 = float array, 2 = counter{(version >= 3 ? ", 3 = integer array" : "")}{(version >= 4 ? ", 4 = string array" : "")})");
            }
        }
        if (cursor.Remaining != 0)
        {
            throw new CheckpointException($"'{path}' is corrupt: {cursor.Remaining} unexpected bytes after the last section");
        }
        return checkpoint;
    }

    /// <summary>Reads the body front to back; every read is checked against the bytes left.</summary>
    private ref struct Cursor
    {
        private readonly ReadOnlySpan<byte> _body;
        private readonly string _path;
        private int _position;

        public Cursor(ReadOnlySpan<byte> body, int position, string path)
        {
            _body = body;
            _position = position;
            _path = path;
        }

        public readonly int Remaining => _body.Length - _position;

        public ReadOnlySpan<byte> Bytes(int count, string what)
        {
            if (count > Remaining)
            {
                throw new CheckpointException($"'{_path}' is corrupt: {what} needs {count} bytes at offset {_position}, but only {Remaining} remain before the checksum");
            }
            var bytes = _body.Slice(_position, count);
            _position += count;
            return bytes;
        }

        public byte Byte(string what) => Bytes(1, what)[0];

        public ushort UInt16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2, what));

        public ulong UInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8, what));

        public uint UInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, what));

        public string Name(int length, int section) => Text(length, $"the name of section {section}");

        public string Text(int length, string what)
        {
            var bytes = Bytes(length, what);
            try
            {
                return s_strictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException exception)
            {
                throw new CheckpointException($"'{_path}' is corrupt: {what} is not valid UTF-8", exception);
            }
        }
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
