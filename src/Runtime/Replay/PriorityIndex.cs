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
    private readonly TransitionStore _store;
    private readonly int _taskCount;

    public PriorityIndex(ReplayBufferOptions options, TransitionStore store)
    {
        Tree = HugePageAdvice.AllocateZeroed<double>(SumTree.NodeCount(options.Capacity));
        _exponent = options.PriorityExponent;
        _epsilon = options.PriorityEpsilon;
        _store = store;
        TreeLength = Tree.Length;
        if (options.TaskBalancedPriorities)
        {
            _taskCount = options.TaskCount;
            TaskTrees = HugePageAdvice.AllocateZeroed<double>(options.TaskCount * TreeLength);
        }
    }

    /// <summary>The tree: 2·capacity doubles, leaf of slot s at capacity + s.</summary>
    public double[] Tree { get; }

    /// <summary>
    /// With task-balanced priorities, one tree per task laid end to end (task t's at t·<see cref="TreeLength"/>):
    /// a slot's leaf is set in its task's tree only. Null otherwise.
    /// </summary>
    public double[]? TaskTrees { get; }

    /// <summary>Elements of one tree.</summary>
    public int TreeLength { get; }

    /// <summary>Task t's tree.</summary>
    public Span<double> TaskTree(int task) => TaskTrees.AsSpan(task * TreeLength, TreeLength);

    /// <summary>Rebuilds the per-task trees from the global leaves and the slots' task ids (after a load).</summary>
    public void RebuildTaskTrees()
    {
        if (TaskTrees is null) return;
        Array.Clear(TaskTrees);
        var leaves = Tree.AsSpan(Tree.Length / 2);
        var tasks = _store.TaskIds;
        for (var slot = 0; slot < leaves.Length; slot++)
        {
            if (leaves[slot] > 0) TaskTree(tasks[slot])[(TreeLength / 2) + slot] = leaves[slot];
        }
        for (var t = 0; t < _taskCount; t++) SumTree.Rebuild(TaskTree(t));
    }

    /// <summary>Largest priority (|δ| + ε) given so far; starts at 1 as in PER.</summary>
    public double MaxPriority { get; set; } = 1d;

    /// <summary>Makes a slot sampleable with the current maximal priority.</summary>
    public void Activate(int slot) => Set(slot, Math.Pow(MaxPriority, _exponent));

    /// <summary>
    /// Makes a slot unsampleable. With per-task trees its leaf is cleared in every task's tree where
    /// it is set: the slot may already hold the task id of the transition overwriting it.
    /// </summary>
    public void Deactivate(int slot)
    {
        SumTree.Set(Tree, slot, 0d);
        if (TaskTrees is null) return;
        for (var t = 0; t < _taskCount; t++)
        {
            var tree = TaskTree(t);
            if (SumTree.Leaf(tree, slot) != 0d) SumTree.Set(tree, slot, 0d);
        }
    }

    /// <summary>Sets a sampleable slot's priority to |δ| + ε (weight (|δ| + ε)^α).</summary>
    public void Update(int slot, float priority)
    {
        double p = priority + _epsilon;
        if (p > MaxPriority)
        {
            MaxPriority = p;
        }

        Set(slot, Math.Pow(p, _exponent));
    }

    private void Set(int slot, double weight)
    {
        SumTree.Set(Tree, slot, weight);
        if (TaskTrees is not null) SumTree.Set(TaskTree(_store.TaskIds[slot]), slot, weight);
    }
}
