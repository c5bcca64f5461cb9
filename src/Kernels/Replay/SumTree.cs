using System;
using System.Runtime.CompilerServices;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// A sum tree over <c>n</c> non-negative leaf weights stored in one span of 2n doubles, the
/// structure behind proportional prioritized replay (Schaul et al. 2016): setting a weight and
/// drawing a leaf with probability weight / total both cost O(log n).
/// </summary>
/// <remarks>
/// Layout: node 1 is the root, node i has children 2i and 2i + 1, leaf k is node n + k, and
/// element 0 is unused. This works for any n, not only powers of two (every node below n has two
/// children in [2, 2n), so node 1 still sums all leaves), which keeps the memory at 16·n bytes.
/// Parents are always recomputed as left + right rather than patched by a difference, so a tree's
/// values depend only on its current leaves, never on the order of updates: a tree rebuilt from
/// saved leaves is bit-identical to the original. Sums are double so that ten million small
/// weights still add up without losing the small ones.
/// </remarks>
public static class SumTree
{
    /// <summary>Elements a tree over <paramref name="leafCount"/> leaves needs.</summary>
    /// <param name="leafCount">Number of leaves; at least 1.</param>
    public static int NodeCount(int leafCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(leafCount, 1);
        return checked(2 * leafCount);
    }

    /// <summary>The sum of all leaves.</summary>
    /// <param name="tree">The tree.</param>
    public static double Total(ReadOnlySpan<double> tree) => tree.Length < 2 ? 0d : tree[1];

    /// <summary>The weight of leaf <paramref name="leaf"/>.</summary>
    /// <param name="tree">The tree.</param>
    /// <param name="leaf">Leaf index in [0, n).</param>
    public static double Leaf(ReadOnlySpan<double> tree, int leaf) => tree[(tree.Length / 2) + leaf];

    /// <summary>Sets one leaf weight and recomputes its ancestors.</summary>
    /// <param name="tree">The tree (2n elements).</param>
    /// <param name="leaf">Leaf index in [0, n).</param>
    /// <param name="weight">New weight; finite and at least 0.</param>
    public static void Set(Span<double> tree, int leaf, double weight)
    {
        int n = tree.Length / 2;
        if ((uint)leaf >= (uint)n)
        {
            throw new ArgumentOutOfRangeException(nameof(leaf), leaf, $"leaf must be in [0, {n})");
        }

        if (!(weight >= 0d) || double.IsInfinity(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "weight must be a finite number ≥ 0");
        }

        int node = n + leaf;
        tree[node] = weight;
        for (node >>= 1; node >= 1; node >>= 1)
        {
            tree[node] = tree[2 * node] + tree[(2 * node) + 1];
        }
    }

    /// <summary>
    /// Recomputes every internal node from the leaves (nodes n .. 2n − 1): the cheap way to set
    /// many leaves at once, and how a loaded tree is restored.
    /// </summary>
    /// <param name="tree">The tree whose leaves are already written.</param>
    public static void Rebuild(Span<double> tree)
    {
        int n = tree.Length / 2;
        for (int node = n - 1; node >= 1; node--)
        {
            tree[node] = tree[2 * node] + tree[(2 * node) + 1];
        }
    }

    /// <summary>
    /// The leaf whose cumulative range contains <paramref name="mass"/>: walking down from the
    /// root, go left when mass lies below the left subtree's sum, else subtract it and go right.
    /// Never returns a zero-weight leaf while the total is positive (a right child with zero sum is
    /// never entered, which guards against rounding at range boundaries).
    /// </summary>
    /// <param name="tree">The tree; its total must be positive.</param>
    /// <param name="mass">A value in [0, total).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Find(ReadOnlySpan<double> tree, double mass)
    {
        int n = tree.Length / 2;
        int node = 1;
        while (node < n)
        {
            int left = 2 * node;
            double leftSum = tree[left];
            if (mass < leftSum || tree[left + 1] <= 0d)
            {
                node = left;
            }
            else
            {
                mass -= leftSum;
                node = left + 1;
            }
        }

        return node - n;
    }

    /// <summary>
    /// The mass a stratified draw uses for row <paramref name="row"/> of <paramref name="rows"/>:
    /// the total is cut into equal segments and row i takes a uniform point of segment i
    /// (PER's sampling scheme), from two random words (53 bits).
    /// </summary>
    /// <param name="total">Sum of all leaves; positive.</param>
    /// <param name="row">Row (segment) index in [0, rows).</param>
    /// <param name="rows">Number of segments.</param>
    /// <param name="low">Low random word.</param>
    /// <param name="high">High random word.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double StratifiedMass(double total, int row, int rows, uint low, uint high)
    {
        double u = ((((ulong)high << 32) | low) >> 11) * (1.0 / (1UL << 53));
        double mass = (row + u) * (total / rows);
        return mass < total ? mass : Math.BitDecrement(total);
    }
}
