using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// The checksum of replay-buffer files: the same function as checkpoint files use (FNV-1a over
/// little-endian 64-bit words with a final avalanche and the length mixed in), computed
/// incrementally because a buffer file is streamed in chunks rather than held in memory. Catches
/// truncation and bit flips; not a cryptographic hash.
/// </summary>
internal sealed class ReplayFileChecksum
{
    private const ulong Prime = 1099511628211UL;
    private readonly byte[] _pending = new byte[8];
    private ulong _hash = 14695981039346656037UL;
    private ulong _length;
    private int _pendingCount;

    /// <summary>The checksum of everything appended so far.</summary>
    public ulong Value
    {
        get
        {
            ulong hash = _hash;
            for (int i = 0; i < _pendingCount; i++)
            {
                hash = (hash ^ _pending[i]) * Prime;
            }

            hash ^= _length;
            hash ^= hash >> 33;
            hash *= 0xff51afd7ed558ccdUL;
            hash ^= hash >> 33;
            return hash;
        }
    }

    /// <summary>Adds bytes; any chunking of the same byte sequence gives the same value.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        _length += (ulong)bytes.Length;
        while (bytes.Length > 0 && _pendingCount > 0)
        {
            _pending[_pendingCount++] = bytes[0];
            bytes = bytes[1..];
            if (_pendingCount == 8)
            {
                Mix(BinaryPrimitives.ReadUInt64LittleEndian(_pending));
                _pendingCount = 0;
            }
        }

        if (bytes.IsEmpty)
        {
            return;
        }

        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(bytes[..(bytes.Length / 8 * 8)]);
        ulong hash = _hash;
        foreach (ulong word in words)
        {
            hash ^= BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word);
            hash *= Prime;
            hash ^= hash >> 29;
        }

        _hash = hash;
        ReadOnlySpan<byte> rest = bytes[(words.Length * 8)..];
        rest.CopyTo(_pending);
        _pendingCount = rest.Length;
    }

    private void Mix(ulong word)
    {
        _hash ^= word;
        _hash *= Prime;
        _hash ^= _hash >> 29;
    }
}
