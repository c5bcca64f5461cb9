using System;
using System.Collections.Generic;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.MultiTask;

/// <summary>
/// Per-task gradients over a <see cref="ParameterStore"/> and their combination into one update
/// (PCGrad, CAGrad, or a plain sum or mean), so a multi-task trainer can run one backward pass
/// per task and still take a single optimizer step. Only the SHARED part of each task's gradient
/// is kept per task (slices owned <see cref="ParameterOwnerKind.Shared"/> or
/// <see cref="ParameterOwnerKind.Module"/>), packed into a T×P block; a task-specific slice
/// (<see cref="ParameterOwnerKind.Task"/> t or <see cref="ParameterOwnerKind.Column"/> t) keeps
/// task t's gradient exactly as its backward pass left it.
/// </summary>
/// <remarks>
/// A step: <see cref="BeginStep"/>; for each task i, run its backward pass into the store's
/// gradients and call <see cref="Capture"/>(i); then one Apply method writes the combined
/// gradient into <see cref="ParameterStore.Gradients"/> for the optimizer. Every buffer is
/// allocated here, so steps allocate nothing. What other tasks' backward passes write into a
/// task-specific slice is discarded (normally nothing: only task t's loss reaches it).
/// </remarks>
public sealed class TaskGradients
{
    private readonly ParameterStore _store;
    private readonly Accelerator _accelerator;
    private readonly GradientCopyRun[] _sharedRuns;
    private readonly GradientCopyRun[] _taskRuns;
    private readonly int[] _rowOffsetBySlice;
    private readonly float[] _shared;
    private readonly float[] _taskSpecific;
    private readonly float[] _combined;
    private readonly double[] _plainWeights;
    private readonly bool[] _captured;

    /// <summary>Allocates the per-task buffers for <paramref name="taskCount"/> tasks over <paramref name="store"/>.</summary>
    /// <param name="store">The agent's parameters; its gradient buffer is read by <see cref="Capture"/> and written by the Apply methods.</param>
    /// <param name="taskCount">T ≥ 1; every task-specific slice must belong to a task (or column) in [0, T).</param>
    /// <param name="accelerator">Threads for the projection kernels; null uses <see cref="CpuAccelerator.Default"/>.</param>
    /// <param name="slices">
    /// The slices whose gradients are combined, or null for all: a critic's loss is combined over
    /// the critic's slices only, even though the actor's live in the same store. Gradients of
    /// other slices are left zero by every Apply.
    /// </param>
    public TaskGradients(ParameterStore store, int taskCount, Accelerator? accelerator = null, IEnumerable<ParameterSlice>? slices = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (taskCount < 1 || taskCount > ProjectionWorkspace.MaximumTaskCount)
        {
            throw new ArgumentOutOfRangeException(nameof(taskCount), taskCount, $"taskCount must be in [1, {ProjectionWorkspace.MaximumTaskCount}].");
        }

        _store = store;
        _accelerator = accelerator ?? CpuAccelerator.Default;
        TaskCount = taskCount;
        IReadOnlyList<ParameterSlice> layoutSlices = store.Layout.Slices;
        var included = new bool[layoutSlices.Count];
        foreach (ParameterSlice slice in slices ?? layoutSlices)
        {
            if ((uint)slice.Index >= (uint)layoutSlices.Count || layoutSlices[slice.Index] != slice)
            {
                throw new ArgumentException($"slice '{slice.Name}' does not belong to the store's layout", nameof(slices));
            }
            included[slice.Index] = true;
        }
        _rowOffsetBySlice = new int[layoutSlices.Count];
        var sharedRuns = new List<GradientCopyRun>();
        var taskRuns = new List<GradientCopyRun>();
        int sharedLength = 0, taskLength = 0;
        foreach (ParameterSlice slice in layoutSlices)
        {
            if (!included[slice.Index])
            {
                _rowOffsetBySlice[slice.Index] = -1;
            }
            else if (slice.Owner.IsTaskSpecific)
            {
                int task = slice.Owner.Index;
                if (task < 0 || task >= taskCount)
                {
                    throw new ArgumentException(
                        $"slice '{slice.Name}' belongs to {slice.Owner}, outside the {taskCount} tasks [0, {taskCount - 1}] combined here.", nameof(store));
                }

                _rowOffsetBySlice[slice.Index] = -1;
                Append(taskRuns, new GradientCopyRun(slice.Offset, taskLength, slice.Length, task));
                taskLength += slice.Length;
            }
            else
            {
                _rowOffsetBySlice[slice.Index] = sharedLength;
                Append(sharedRuns, new GradientCopyRun(slice.Offset, sharedLength, slice.Length, -1));
                sharedLength += slice.Length;
            }
        }

        if ((long)sharedLength * taskCount > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(taskCount), taskCount, $"taskCount × shared parameters = {(long)sharedLength * taskCount} floats exceeds the largest array.");
        }

        SharedParameterCount = sharedLength;
        _sharedRuns = sharedRuns.ToArray();
        _taskRuns = taskRuns.ToArray();
        _shared = GC.AllocateArray<float>(taskCount * sharedLength, pinned: true);
        _taskSpecific = new float[taskLength];
        _combined = _sharedRuns.Length > 1 ? GC.AllocateArray<float>(sharedLength, pinned: true) : [];
        _plainWeights = new double[taskCount];
        _captured = new bool[taskCount];
        Workspace = new ProjectionWorkspace(taskCount, sharedLength);
    }

    /// <summary>Number of tasks T.</summary>
    public int TaskCount { get; }

    /// <summary>Shared parameters P per task gradient (the width of the projected block).</summary>
    public int SharedParameterCount { get; }

    /// <summary>The store whose gradients are captured and overwritten.</summary>
    public ParameterStore Store => _store;

    /// <summary>The projection buffers; after an Apply they hold its Gram matrix, weights and conflict counts for logging.</summary>
    public ProjectionWorkspace Workspace { get; }

    /// <summary>Zeroes the store's gradients and forgets earlier captures, so task 0's backward pass starts clean.</summary>
    public void BeginStep()
    {
        _store.ZeroGradients();
        Array.Clear(_captured);
    }

    /// <summary>
    /// Takes the store's current gradients as task <paramref name="task"/>'s: its shared part into
    /// row <paramref name="task"/>, its own task-specific slices into staging. Then zeroes the
    /// store's gradients, ready for the next task's backward pass.
    /// </summary>
    /// <param name="task">Task index in [0, T).</param>
    public void Capture(int task)
    {
        CheckTask(task);
        float[] gradients = _store.Gradients;
        Span<float> row = _shared.AsSpan(task * SharedParameterCount, SharedParameterCount);
        foreach (GradientCopyRun run in _sharedRuns)
        {
            gradients.AsSpan(run.StoreOffset, run.Length).CopyTo(row.Slice(run.PackedOffset, run.Length));
        }

        foreach (GradientCopyRun run in _taskRuns)
        {
            if (run.Task == task)
            {
                gradients.AsSpan(run.StoreOffset, run.Length).CopyTo(_taskSpecific.AsSpan(run.PackedOffset, run.Length));
            }
        }

        _store.ZeroGradients();
        _captured[task] = true;
    }

    /// <summary>Task <paramref name="task"/>'s captured shared gradient, packed (slices in layout order).</summary>
    /// <param name="task">Task index in [0, T).</param>
    public ReadOnlySpan<float> SharedGradient(int task)
    {
        CheckTask(task);
        return _shared.AsSpan(task * SharedParameterCount, SharedParameterCount);
    }

    /// <summary>
    /// The captured gradient of one shared slice for one task — e.g. the last shared layer, whose
    /// per-task norms GradNorm needs.
    /// </summary>
    /// <param name="task">Task index in [0, T).</param>
    /// <param name="slice">A shared or module slice of the store's layout.</param>
    public ReadOnlySpan<float> SharedGradientOf(int task, ParameterSlice slice)
    {
        CheckTask(task);
        ArgumentNullException.ThrowIfNull(slice);
        IReadOnlyList<ParameterSlice> slices = _store.Layout.Slices;
        if ((uint)slice.Index >= (uint)slices.Count || !ReferenceEquals(slices[slice.Index], slice))
        {
            throw new ArgumentException($"slice '{slice.Name}' is not part of this store's layout.", nameof(slice));
        }

        int offset = _rowOffsetBySlice[slice.Index];
        if (offset < 0)
        {
            throw new ArgumentException($"slice '{slice.Name}' belongs to {slice.Owner} or is not combined here; only the combined shared and module slices are kept per task.", nameof(slice));
        }

        return _shared.AsSpan(task * SharedParameterCount + offset, slice.Length);
    }

    /// <summary>Writes the plain sum or mean of the captured task gradients (no projection), the baseline the projections are compared with.</summary>
    /// <param name="reduction">Sum or mean over tasks.</param>
    public void ApplyReduction(GradientReduction reduction)
    {
        if (reduction is not (GradientReduction.Sum or GradientReduction.Mean))
        {
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "reduction must be GradientReduction.Sum or GradientReduction.Mean.");
        }

        CheckAllCaptured();
        _plainWeights.AsSpan().Fill(reduction == GradientReduction.Mean ? 1.0 / TaskCount : 1.0);
        Span<float> output = CombinedOutput();
        WeightedGradientSum.Combine(_shared, TaskCount, SharedParameterCount, _plainWeights, output, _accelerator);
        Finish(output);
    }

    /// <summary>
    /// Writes the gradient of Σᵢ wᵢ·Lᵢ: the shared slices get Σᵢ wᵢ·gᵢ and task t's own slices
    /// wₜ·gₜ — GradNorm's update once its weights are known (or any fixed weighting).
    /// </summary>
    /// <param name="weights">One finite weight per task.</param>
    public void ApplyWeighted(ReadOnlySpan<double> weights)
    {
        if (weights.Length != TaskCount)
        {
            throw new ArgumentException($"weights must hold one value per task ({TaskCount}), got {weights.Length}.", nameof(weights));
        }
        for (int task = 0; task < TaskCount; task++)
        {
            if (!double.IsFinite(weights[task]))
            {
                throw new ArgumentOutOfRangeException(nameof(weights), weights[task], $"weights[{task}] must be finite.");
            }
        }

        CheckAllCaptured();
        Span<float> output = CombinedOutput();
        WeightedGradientSum.Combine(_shared, TaskCount, SharedParameterCount, weights, output, _accelerator);
        Finish(output);
        float[] gradients = _store.Gradients;
        foreach (GradientCopyRun run in _taskRuns)
        {
            Span<float> own = gradients.AsSpan(run.StoreOffset, run.Length);
            System.Numerics.Tensors.TensorPrimitives.Multiply(own, (float)weights[run.Task], own);
        }
    }

    /// <summary>PCGrad with the paper's per-task random orders, drawn from Philox at (seed, stream, counter).</summary>
    /// <param name="reduction">Sum or mean of the projected task gradients.</param>
    /// <param name="seed">Experiment seed.</param>
    /// <param name="stream">Stream reserved for PCGrad's shuffles.</param>
    /// <param name="counter">This step's counter; advance by <see cref="PcGradOrders.CountersUsed"/>(T) per step.</param>
    public void ApplyPcGrad(GradientReduction reduction, ulong seed, ulong stream, ulong counter)
    {
        CheckAllCaptured();
        Span<float> output = CombinedOutput();
        PcGrad.Project(_shared, TaskCount, SharedParameterCount, seed, stream, counter, reduction, output, Workspace, _accelerator);
        Finish(output);
    }

    /// <summary>PCGrad with explicit visiting orders (row i: the other tasks in task i's order).</summary>
    /// <param name="reduction">Sum or mean of the projected task gradients.</param>
    /// <param name="orders">T×(T−1) table, row-major.</param>
    public void ApplyPcGrad(GradientReduction reduction, ReadOnlySpan<int> orders)
    {
        CheckAllCaptured();
        Span<float> output = CombinedOutput();
        PcGrad.Project(_shared, TaskCount, SharedParameterCount, orders, reduction, output, Workspace, _accelerator);
        Finish(output);
    }

    /// <summary>CAGrad over the shared parameters.</summary>
    /// <param name="c">Conflict-aversion radius c ≥ 0.</param>
    /// <param name="reduction">Mean (the paper's scale) or sum (× T).</param>
    /// <param name="rescale">Final division by 1, 1 + c² (official default) or 1 + c.</param>
    public void ApplyCaGrad(double c, GradientReduction reduction, CaGradRescale rescale = CaGradRescale.OnePlusCSquared)
    {
        CheckAllCaptured();
        Span<float> output = CombinedOutput();
        if (Mtrl.Runtime.Replay.NonFinite.IndexOf(_shared) >= 0)
        {
            // CAGrad's solver iterates on the Gram matrix and would never converge on NaN or ∞.
            // The combination is undefined: a NaN gradient makes the optimizer skip the step.
            output.Fill(float.NaN);
        }
        else
        {
            CaGrad.Combine(_shared, TaskCount, SharedParameterCount, c, reduction, output, rescale, Workspace, _accelerator);
        }

        Finish(output);
    }

    /// <summary>Where the kernels write: straight into the store when the shared slices are one contiguous run.</summary>
    private Span<float> CombinedOutput() => _sharedRuns.Length == 1
        ? _store.Gradients.AsSpan(_sharedRuns[0].StoreOffset, SharedParameterCount)
        : _combined.AsSpan();

    /// <summary>Scatters the combined shared gradient (if packed) and restores the task-specific slices.</summary>
    private void Finish(Span<float> output)
    {
        float[] gradients = _store.Gradients;
        if (_sharedRuns.Length > 1)
        {
            foreach (GradientCopyRun run in _sharedRuns)
            {
                output.Slice(run.PackedOffset, run.Length).CopyTo(gradients.AsSpan(run.StoreOffset, run.Length));
            }
        }

        foreach (GradientCopyRun run in _taskRuns)
        {
            _taskSpecific.AsSpan(run.PackedOffset, run.Length).CopyTo(gradients.AsSpan(run.StoreOffset, run.Length));
        }

        // Each step needs fresh captures: a forgotten task must fail, not reuse last step's gradient.
        Array.Clear(_captured);
    }

    private void CheckTask(int task)
    {
        if ((uint)task >= (uint)TaskCount)
        {
            throw new ArgumentOutOfRangeException(nameof(task), task, $"task must be in [0, {TaskCount - 1}].");
        }
    }

    private void CheckAllCaptured()
    {
        for (int task = 0; task < TaskCount; task++)
        {
            if (!_captured[task])
            {
                throw new InvalidOperationException($"task {task} has no captured gradient this step: call Capture({task}) after its backward pass (every task, every step).");
            }
        }
    }

    /// <summary>Adds a run, merging it into the previous one when both are contiguous in the store and in the packed buffer.</summary>
    private static void Append(List<GradientCopyRun> runs, GradientCopyRun run)
    {
        if (runs.Count > 0)
        {
            GradientCopyRun last = runs[^1];
            if (last.Task == run.Task && last.StoreOffset + last.Length == run.StoreOffset && last.PackedOffset + last.Length == run.PackedOffset)
            {
                runs[^1] = last with { Length = last.Length + run.Length };
                return;
            }
        }

        runs.Add(run);
    }
}
