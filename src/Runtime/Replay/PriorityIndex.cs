using System;
using Mtrl.Kernels.Replay;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// The priorities of proportional prioritized replay: a <see cref="SumTree"/> whose leaf per slot
/// holds priority^α while the slot is sampleable and 0 otherwise, plus the largest priority seen,
/// which transitions receive when their episode finishes (PER: new transitions get maximal
/// priority so each is replayed at least about once).
/// </summary>
internal sealed class PriorityIndex
{
    private readonly double _exponent;
    private readonly double _epsilon;

    public PriorityIndex(ReplayBufferOptions options)
    {
        Tree = HugePageAdvice.AllocateZeroed<double>(SumTree.NodeCount(options.Capacity));
        _exponent = options.PriorityExponent;
        _epsilon = options.PriorityEpsilon;
    }

    /// <summary>The tree: 2·capacity doubles, leaf of slot s at capacity + s.</summary>
    public double[] Tree { get; }

    /// <summary>Largest priority (|δ| + ε) given so far; starts at 1 as in PER.</summary>
    public double MaxPriority { get; set; } = 1d;

    /// <summary>Makes a slot sampleable with the current maximal priority.</summary>
    public void Activate(int slot) => SumTree.Set(Tree, slot, Math.Pow(MaxPriority, _exponent));

    /// <summary>Makes a slot unsampleable.</summary>
    public void Deactivate(int slot) => SumTree.Set(Tree, slot, 0d);

    /// <summary>Sets a sampleable slot's priority to |δ| + ε (weight (|δ| + ε)^α).</summary>
    public void Update(int slot, float priority)
    {
        double p = priority + _epsilon;
        if (p > MaxPriority)
        {
            MaxPriority = p;
        }

        SumTree.Set(Tree, slot, Math.Pow(p, _exponent));
    }
}
