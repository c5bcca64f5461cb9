using System.Text;

namespace Mtrl.Runtime.Parameters;

/// <summary>64-bit FNV-1a: the stable hash behind layout hashes and per-slice RNG streams.</summary>
internal static class Fnv1a
{
    public const ulong Offset = 14695981039346656037UL;

    public static ulong Mix(ulong hash, byte value) => (hash ^ value) * 1099511628211UL;

    public static ulong Mix(ulong hash, int value)
    {
        for (var shift = 0; shift < 32; shift += 8) hash = Mix(hash, (byte)(value >> shift));
        return hash;
    }

    public static ulong Mix(ulong hash, string text)
    {
        foreach (var b in Encoding.UTF8.GetBytes(text)) hash = Mix(hash, b);
        return hash;
    }
}
