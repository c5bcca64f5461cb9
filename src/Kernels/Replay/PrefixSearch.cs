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
        // Largest g in [0, groups) with prefix[g] <= value.
        int low = 0;
        int high = prefix.Length - 2;
        while (low < high)
        {
            int middle = (low + high + 1) >> 1;
            if (prefix[middle] <= value)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return low;
    }
}
