using System;
using System.Runtime.CompilerServices;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// Binary search in cumulative counts, the step that turns one uniform index over many groups
/// (envs, tasks, lanes) into a group and an offset within it.
/// </summary>
public static class PrefixSearch
{
    /// <summary>
    /// The group g with prefix[g] ≤ <paramref name="value"/> &lt; prefix[g + 1], where
    /// <paramref name="prefix"/> holds groups + 1 non-decreasing cumulative counts starting at 0.
    /// Empty groups are never returned.
    /// </summary>
    /// <param name="prefix">Cumulative counts, prefix[0] = 0.</param>
    /// <param name="value">A value in [0, prefix[^1]).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Group(ReadOnlySpan<int> prefix, int value)
    {
        // Largest g in [0, groups) with prefix[g] <= value, found without data-dependent branches:
        // the answer stays in [low, low + size); each step keeps the upper or lower part (a
        // conditional move), so random values cost no mispredictions. prefix[0] = 0 <= value.
        int low = 0;
        int size = prefix.Length - 1;
        while (size > 1)
        {
            int half = size >> 1;
            low = prefix[low + half] <= value ? low + half : low;
            size -= half;
        }

        return low;
    }
}
