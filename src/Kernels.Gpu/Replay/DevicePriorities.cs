using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Replay;

namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// The device side of a prioritized <see cref="DeviceReplay"/>: the sum trees (the global one and,
/// with task-balanced priorities, one per task), the priority state cells, the update's slot owners
/// and the kernels of <see cref="DevicePriorityKernels"/>. Leaves are written by the add and update
/// kernels; parents are rebuilt, level by level, only before a sample that reads a tree whose leaves
/// changed since its last rebuild.
/// </summary>
internal sealed class DevicePriorities : IDisposable
{
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _tree;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _taskTrees;
    private readonly MemoryBuffer1D<long, Stride1D.Dense> _state;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _owners;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _maxBits;
    private readonly int _capacity;
    private readonly int _tasks;
    private readonly double _epsilon;
    private readonly Action<Index1D, ArrayView<double>, long, int, int> _rebuildLevel;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<int>, int, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ulong, ulong, ulong, int, double> _selectProportional;
    private readonly Action<Index1D, ArrayView<double>, long, ArrayView<int>, ArrayView<int>, int, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ulong, ulong, ulong, int, double> _selectTaskProportional;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>> _normalize;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<long>, int> _checkUpdate;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<long>> _claimSlots;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<int>, DeviceLedgerViews, ArrayView<int>, double> _applyUpdate;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<long>> _releaseSlots;
    private bool _treeStale;
    private bool _taskTreesStale;

    public DevicePriorities(ILGPU.Runtime.Accelerator accelerator, DeviceReplayOptions options)
    {
        _capacity = options.Capacity;
        _tasks = options.TaskCount;
        _epsilon = options.PriorityEpsilon;
        Exponent = options.PriorityExponent;
        TreeLength = 2L * options.Capacity;
        TaskTrees = options.TaskBalancedPriorities;
        _tree = Zeroed<double>(accelerator, TreeLength);
        _taskTrees = Zeroed<double>(accelerator, TaskTrees ? options.TaskCount * TreeLength : 1);
        _state = Zeroed<long>(accelerator, DevicePriorityKernels.StateLength);
        _state.View.SubView(DevicePriorityKernels.MaxPriorityBits, 1).CopyFromCPU([BitConverter.DoubleToInt64Bits(1d)]); // PER's start: 1
        _owners = Zeroed<int>(accelerator, options.Capacity);
        _maxBits = Zeroed<int>(accelerator, 1);
        _rebuildLevel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, long, int, int>(DevicePriorityKernels.RebuildLevel);
        _selectProportional = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, ArrayView<double>, ArrayView<int>, int, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ulong, ulong, ulong, int, double>(
            DevicePriorityKernels.SelectProportional);
        _selectTaskProportional = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, ArrayView<double>, long, ArrayView<int>, ArrayView<int>, int, ArrayView<int>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ulong, ulong, ulong, int, double>(
            DevicePriorityKernels.SelectTaskProportional);
        _normalize = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>>(DevicePriorityKernels.Normalize);
        _checkUpdate = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<long>, int>(DevicePriorityKernels.CheckUpdate);
        _claimSlots = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<long>>(DevicePriorityKernels.ClaimSlots);
        _applyUpdate = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<int>, DeviceLedgerViews, ArrayView<int>, double>(
            DevicePriorityKernels.ApplyUpdate);
        _releaseSlots = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<long>>(DevicePriorityKernels.ReleaseSlots);
    }

    /// <summary>Elements of one tree (2 × capacity).</summary>
    public long TreeLength { get; }

    /// <summary>Whether per-task trees are kept.</summary>
    public bool TaskTrees { get; }

    /// <summary>α.</summary>
    public double Exponent { get; }

    /// <summary>The global tree.</summary>
    public MemoryBuffer1D<double, Stride1D.Dense> Tree => _tree;

    /// <summary>The per-task trees (one unused element without them).</summary>
    public MemoryBuffer1D<double, Stride1D.Dense> TaskTreeBuffer => _taskTrees;

    /// <summary>The priority state cells (<see cref="DevicePriorityKernels"/>).</summary>
    public MemoryBuffer1D<long, Stride1D.Dense> State => _state;

    /// <summary>Marks both trees' parents out of date (after an add or an update wrote leaves).</summary>
    public void LeavesChanged()
    {
        _treeStale = true;
        _taskTreesStale = TaskTrees;
    }

    /// <summary>Rebuilds the global tree's parents if its leaves changed, then draws every row by priority (raw weights, largest into the max cell).</summary>
    public void SelectProportional(DeviceBatch batch, ArrayView<int> envPrefix, int envs, ArrayView<int> fault, ulong seed, ulong stream, ulong counter, float beta)
    {
        if (_treeStale)
        {
            Rebuild(_tree.View, trees: 1);
            _treeStale = false;
        }

        _maxBits.MemSetToZero();
        _selectProportional(
            batch.Size, _tree.View, envPrefix, envs, batch.Slots.View, batch.RawWeights.View, _maxBits.View, fault, seed, stream, counter, batch.Size, beta);
    }

    /// <summary>Rebuilds the task trees' parents if their leaves changed, then draws every row by priority within its task's share.</summary>
    public void SelectTaskProportional(
        DeviceBatch batch, ArrayView<int> envPrefix, int envs, ArrayView<int> fault, ulong seed, ulong stream, ulong counter, float beta)
    {
        if (_taskTreesStale)
        {
            Rebuild(_taskTrees.View, _tasks);
            _taskTreesStale = false;
        }

        _maxBits.MemSetToZero();
        _selectTaskProportional(
            batch.Size, _taskTrees.View, TreeLength, batch.TaskRowStarts.View, envPrefix, envs, batch.Slots.View, batch.RawWeights.View, _maxBits.View, fault,
            seed, stream, counter, batch.Size, beta);
    }

    /// <summary>Divides the raw weights by the largest into the batch's weights (after the gather, which writes 1).</summary>
    public void Normalize(DeviceBatch batch) => _normalize(batch.Size, batch.RawWeights.View, batch.Weights.View, _maxBits.View);

    /// <summary>Checks, then applies an update of priorities for the given slots (nothing if any row is bad).</summary>
    public void Update(ArrayView<int> slots, ArrayView<float> priorities, DeviceLedgerViews ledger, ArrayView<int> taskIds)
    {
        int rows = (int)slots.Length;
        _checkUpdate(rows, slots, priorities, _state.View, _capacity);
        _claimSlots(rows, slots, _owners.View, _state.View);
        _applyUpdate(rows, slots, priorities, _owners.View, ledger, taskIds, _epsilon);
        _releaseSlots(rows, slots, _owners.View, _state.View);
        LeavesChanged();
    }

    /// <summary>The largest priority so far (synchronises).</summary>
    public double ReadMaxPriority() => BitConverter.Int64BitsToDouble(_state.GetAsArray1D()[DevicePriorityKernels.MaxPriorityBits]);

    /// <summary>Reads and clears a refused update: (code, row, value bits); code 0 when none.</summary>
    public (long Code, long Row, long Value) TakeUpdateFault()
    {
        long[] state = _state.GetAsArray1D();
        if (state[DevicePriorityKernels.UpdateFault] == 0L)
        {
            return default;
        }

        _state.View.SubView(DevicePriorityKernels.UpdateFault, 3).CopyFromCPU(new long[3]);
        return (state[DevicePriorityKernels.UpdateFault], state[DevicePriorityKernels.UpdateFaultRow], state[DevicePriorityKernels.UpdateFaultValue]);
    }

    /// <summary>The global tree as the host sees it, parents rebuilt first (synchronises).</summary>
    public double[] ReadTree()
    {
        if (_treeStale)
        {
            Rebuild(_tree.View, trees: 1);
            _treeStale = false;
        }

        return _tree.GetAsArray1D();
    }

    /// <summary>Task t's tree, parents rebuilt first (synchronises).</summary>
    public double[] ReadTaskTree(int task)
    {
        if (_taskTreesStale)
        {
            Rebuild(_taskTrees.View, _tasks);
            _taskTreesStale = false;
        }

        return _taskTrees.View.SubView(task * TreeLength, TreeLength).GetAsArray1D();
    }

    public void Dispose()
    {
        _tree.Dispose();
        _taskTrees.Dispose();
        _state.Dispose();
        _owners.Dispose();
        _maxBits.Dispose();
    }

    /// <summary>Every parent of <paramref name="trees"/> trees, deepest depth first: depth d holds nodes [2^d, min(2^(d+1), leaves)).</summary>
    private void Rebuild(ArrayView<double> views, int trees)
    {
        int leaves = _capacity;
        if (leaves < 2)
        {
            return; // one leaf: node 1 is the leaf itself
        }

        int depth = 31 - System.Numerics.BitOperations.LeadingZeroCount((uint)(leaves - 1));
        for (int d = depth; d >= 0; d--)
        {
            int first = 1 << d;
            int count = Math.Min(first << 1, leaves) - first;
            _rebuildLevel(trees * count, views, TreeLength, first, count); // ≤ 2^30: the options bound tasks × 2 × capacity
        }
    }

    private static MemoryBuffer1D<T, Stride1D.Dense> Zeroed<T>(ILGPU.Runtime.Accelerator accelerator, long length)
        where T : unmanaged
    {
        MemoryBuffer1D<T, Stride1D.Dense> buffer = accelerator.Allocate1D<T>(length);
        buffer.MemSetToZero();
        return buffer;
    }
}
