using System;
using System.Runtime.CompilerServices;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// Copies sampled transitions from struct-of-arrays storage into a batch: for every batch row a
/// selector picks the slot, and each field's row is copied next to the previous row of the batch.
/// Choosing, copying and (optionally) hindsight relabeling happen in one launch over the rows, so
/// a sample costs one pass and depends only on the random inputs, never on the thread count.
/// </summary>
/// <remarks>
/// A row's fields sit at random places in arrays much larger than the caches, so the kernel is
/// bound by memory latency: it first picks the slots of a block of rows, then copies row i while
/// the fields of row i + 8 (and the episode data a relabeled row needs) are being prefetched.
/// </remarks>
public static class TransitionGather
{
    /// <summary>Rows per chunk below which splitting a gather over threads does not pay.</summary>
    public const int RowGrain = 64;

    // Rows whose slots are chosen before their copies start, and how far ahead rows are prefetched.
    private const int BlockRows = 64;
    private const int PrefetchDistance = 8;

    /// <summary>
    /// Fills every row of <paramref name="batch"/>: row i gets the slot
    /// <paramref name="selector"/> picks for it (recorded in <see cref="BatchColumns.Slots"/>) and
    /// that slot's fields.
    /// </summary>
    /// <typeparam name="TSelector">The sampling rule; a struct so the JIT inlines it.</typeparam>
    /// <param name="source">The transition table.</param>
    /// <param name="batch">Destination; its <see cref="BatchColumns.Slots"/> length is the batch size.</param>
    /// <param name="selector">Picks a slot per row.</param>
    /// <param name="accelerator">Where to run; null uses <see cref="CpuAccelerator.Default"/>.</param>
    public static void Gather<TSelector>(in TransitionColumns source, in BatchColumns batch, in TSelector selector, Accelerator? accelerator = null)
        where TSelector : struct, ISlotSelector, allows ref struct
    {
        CheckFields(source, batch);
        var kernel = new GatherKernel<TSelector>(source, batch, selector, default, relabel: false);
        (accelerator ?? CpuAccelerator.Default).LaunchChunked(batch.Slots.Length, RowGrain, in kernel);
    }

    /// <summary>
    /// Gathers like <see cref="Gather{TSelector}(in TransitionColumns, in BatchColumns, in TSelector, Accelerator?)"/>
    /// and relabels rows [<see cref="HindsightGoals.FirstRow"/>, end) in the same pass, with exactly
    /// the result of gathering first and then calling <see cref="HerRelabel.Relabel(in HindsightGoals, in TransitionColumns, in BatchColumns, Accelerator?)"/>.
    /// </summary>
    /// <typeparam name="TSelector">The sampling rule; a struct so the JIT inlines it.</typeparam>
    /// <param name="source">The transition table; must have goals.</param>
    /// <param name="batch">Destination.</param>
    /// <param name="selector">Picks a slot per row.</param>
    /// <param name="goals">The relabeling plan.</param>
    /// <param name="accelerator">Where to run; null uses <see cref="CpuAccelerator.Default"/>.</param>
    public static void Gather<TSelector>(in TransitionColumns source, in BatchColumns batch, in TSelector selector, in HindsightGoals goals, Accelerator? accelerator = null)
        where TSelector : struct, ISlotSelector, allows ref struct
    {
        if (source.GoalWidth < 1)
        {
            throw new ArgumentException("relabeling needs a table with goals (GoalWidth ≥ 1)", nameof(source));
        }

        goals.Validate(batch.Slots.Length);
        CheckFields(source, batch);
        var kernel = new GatherKernel<TSelector>(source, batch, selector, goals, relabel: true);
        (accelerator ?? CpuAccelerator.Default).LaunchChunked(batch.Slots.Length, RowGrain, in kernel);
    }

    /// <summary>
    /// Checks that every observation and goal field of <paramref name="batch"/> that is written
    /// holds all rows, and that each field of a compact column has a float or an encoded destination.
    /// </summary>
    internal static void CheckFields(in TransitionColumns source, in BatchColumns batch)
    {
        int rows = batch.Slots.Length;
        int o = source.ObservationWidth;
        int g = source.GoalWidth;
        CheckField(source.ObservationElementType, o, rows, batch.Observations.Length, batch.EncodedObservations.Length, "Observations");
        CheckField(source.ObservationElementType, o, rows, batch.NextObservations.Length, batch.EncodedNextObservations.Length, "NextObservations");
        if (g > 0)
        {
            CheckField(source.GoalElementType, g, rows, batch.AchievedGoals.Length, batch.EncodedAchievedGoals.Length, "AchievedGoals");
            CheckField(source.GoalElementType, g, rows, batch.NextAchievedGoals.Length, batch.EncodedNextAchievedGoals.Length, "NextAchievedGoals");
            CheckField(source.GoalElementType, g, rows, batch.DesiredGoals.Length, batch.EncodedDesiredGoals.Length, "DesiredGoals");
        }
    }

    private static void CheckField(ColumnElementType type, int width, int rows, int floats, int encoded, string field)
    {
        bool floatsOk = floats == 0 ? type != ColumnElementType.Float32 : floats >= rows * width;
        bool encodedOk = encoded == 0 || (type != ColumnElementType.Float32 && encoded >= rows * ColumnEncoding.RowBytes(type, width));
        if (!floatsOk || !encodedOk || (floats == 0 && encoded == 0))
        {
            throw new ArgumentException(
                $"batch field {field} must hold {rows} rows of {width} floats, or (for a {type} column) {rows} rows of its encoding, or both", "batch");
        }
    }

    /// <summary>Copies every field of storage slot <paramref name="slot"/> into batch row <paramref name="row"/>.</summary>
    /// <param name="source">The transition table.</param>
    /// <param name="slot">Slot to read.</param>
    /// <param name="batch">Destination.</param>
    /// <param name="row">Row to write.</param>
    public static void CopyRow(in TransitionColumns source, int slot, in BatchColumns batch, int row)
        => CopyRow(source, slot, batch, row, desiredGoal: true);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(in TransitionColumns source, int slot, in BatchColumns batch, int row, bool desiredGoal)
    {
        int o = source.ObservationWidth;
        ColumnElementType observations = source.ObservationElementType;
        CopyField(source.Observations, source.EncodedObservations, observations, slot, o, batch.Observations, batch.EncodedObservations, row);
        CopyField(source.NextObservations, source.EncodedNextObservations, observations, slot, o, batch.NextObservations, batch.EncodedNextObservations, row);
        int a = source.ActionWidth;
        if (source.DiscreteActions.IsEmpty)
        {
            source.Actions.Slice(slot * a, a).CopyTo(batch.Actions.Slice(row * a, a));
        }
        else if (a == 1)
        {
            batch.DiscreteActions[row] = source.DiscreteActions[slot];
        }
        else
        {
            source.DiscreteActions.Slice(slot * a, a).CopyTo(batch.DiscreteActions.Slice(row * a, a));
        }

        batch.Rewards[row] = source.Rewards[slot];
        batch.Terminated[row] = source.Terminated[slot];
        batch.Truncated[row] = source.Truncated[slot];
        batch.TaskIds[row] = source.TaskIds[slot];
        int g = source.GoalWidth;
        if (g > 0)
        {
            ColumnElementType goals = source.GoalElementType;
            CopyField(source.AchievedGoals, source.EncodedAchievedGoals, goals, slot, g, batch.AchievedGoals, batch.EncodedAchievedGoals, row);
            CopyField(source.NextAchievedGoals, source.EncodedNextAchievedGoals, goals, slot, g, batch.NextAchievedGoals, batch.EncodedNextAchievedGoals, row);
            if (desiredGoal)
            {
                CopyField(source.DesiredGoals, source.EncodedDesiredGoals, goals, slot, g, batch.DesiredGoals, batch.EncodedDesiredGoals, row);
            }
        }
    }

    /// <summary>
    /// Writes row <paramref name="slot"/> of one field, stored as <paramref name="type"/>, into batch
    /// row <paramref name="row"/>: as floats when <paramref name="floatBatch"/> is not empty, and, for
    /// a compact column, in its stored encoding when <paramref name="encodedBatch"/> is not empty.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CopyField(
        ReadOnlySpan<float> floats, ReadOnlySpan<byte> encoded, ColumnElementType type, int slot, int width, Span<float> floatBatch, Span<byte> encodedBatch, int row)
    {
        if (type == ColumnElementType.Float32)
        {
            floats.Slice(slot * width, width).CopyTo(floatBatch.Slice(row * width, width));
            return;
        }

        if (!floatBatch.IsEmpty)
        {
            ColumnEncoding.DecodeRow(type, encoded, slot, width, floatBatch.Slice(row * width, width));
        }

        if (!encodedBatch.IsEmpty)
        {
            int rowBytes = type == ColumnElementType.Bit ? (width + 7) >> 3 : width;
            ColumnEncoding.CopyRow(encoded, slot, rowBytes, encodedBatch.Slice(row * rowBytes, rowBytes));
        }
    }

    /// <summary>Requests every field row of a slot, ahead of <see cref="CopyRow(in TransitionColumns, int, in BatchColumns, int, bool)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRow(in TransitionColumns source, int slot, bool desiredGoal)
    {
        int o = source.ObservationWidth;
        ColumnElementType observations = source.ObservationElementType;
        PrefetchField(source.Observations, source.EncodedObservations, observations, slot, o);
        PrefetchField(source.NextObservations, source.EncodedNextObservations, observations, slot, o);
        int a = source.ActionWidth;
        CachePrefetch.Row(source.Actions, slot * a, a);
        CachePrefetch.Row(source.DiscreteActions, slot * a, a);
        CachePrefetch.Element(source.Rewards, slot);
        CachePrefetch.Element(source.Terminated, slot);
        CachePrefetch.Element(source.Truncated, slot);
        CachePrefetch.Element(source.TaskIds, slot);
        int g = source.GoalWidth;
        ColumnElementType goals = source.GoalElementType;
        PrefetchField(source.AchievedGoals, source.EncodedAchievedGoals, goals, slot, g);
        PrefetchField(source.NextAchievedGoals, source.EncodedNextAchievedGoals, goals, slot, g);
        if (desiredGoal)
        {
            PrefetchField(source.DesiredGoals, source.EncodedDesiredGoals, goals, slot, g);
        }
    }

    /// <summary>Requests the cache lines of row <paramref name="slot"/> of one field, stored as <paramref name="type"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void PrefetchField(ReadOnlySpan<float> floats, ReadOnlySpan<byte> encoded, ColumnElementType type, int slot, int width)
    {
        if (type == ColumnElementType.Float32)
        {
            CachePrefetch.Row(floats, slot * width, width);
        }
        else
        {
            int rowBytes = type == ColumnElementType.Bit ? (width + 7) >> 3 : width;
            CachePrefetch.Row(encoded, slot * rowBytes, rowBytes);
        }
    }

    private readonly ref struct GatherKernel<TSelector> : IRangeKernel
        where TSelector : struct, ISlotSelector, allows ref struct
    {
        private readonly TransitionColumns _source;
        private readonly BatchColumns _batch;
        private readonly TSelector _selector;
        private readonly HindsightGoals _goals;
        private readonly int _firstRelabeled;

        public GatherKernel(in TransitionColumns source, in BatchColumns batch, in TSelector selector, in HindsightGoals goals, bool relabel)
        {
            _source = source;
            _batch = batch;
            _selector = selector;
            _goals = goals;
            _firstRelabeled = relabel ? goals.FirstRow : int.MaxValue;
        }

        [SkipLocalsInit]
        public void Execute(int start, int end)
        {
            Span<int> slots = stackalloc int[BlockRows];
            Span<int> goalSlots = stackalloc int[BlockRows];
            Span<uint> goalBits = stackalloc uint[BlockRows];
            TSelector selector = _selector;
            int g = _source.GoalWidth;
            for (int first = start; first < end; first += BlockRows)
            {
                int count = Math.Min(BlockRows, end - first);
                selector.SelectRows(first, slots[..count]);
                int firstRelabeled = Math.Clamp(_firstRelabeled - first, 0, count);
                if (firstRelabeled < count)
                {
                    _goals.GoalBits(first + firstRelabeled, goalBits[firstRelabeled..count]);
                }

                for (int k = 0; k < Math.Min(PrefetchDistance, count); k++)
                {
                    Prefetch(slots[k], first + k);
                }

                for (int k = 0; k < count; k++)
                {
                    if (k + PrefetchDistance < count)
                    {
                        Prefetch(slots[k + PrefetchDistance], first + k + PrefetchDistance);
                    }

                    int row = first + k;
                    int slot = slots[k];
                    _batch.Slots[row] = slot;
                    bool relabeled = k >= firstRelabeled;
                    CopyRow(_source, slot, _batch, row, desiredGoal: !relabeled);
                    if (relabeled)
                    {
                        int goalSlot = _goals.GoalSlotFrom(slot, goalBits[k]);
                        goalSlots[k] = goalSlot;
                        _goals.GoalSlots[row] = goalSlot;
                        PrefetchField(_source.NextAchievedGoals, _source.EncodedNextAchievedGoals, _source.GoalElementType, goalSlot, g);
                    }
                }

                for (int row = Math.Max(first, _firstRelabeled); row < first + count; row++)
                {
                    CopyField(
                        _source.NextAchievedGoals, _source.EncodedNextAchievedGoals, _source.GoalElementType, goalSlots[row - first], g,
                        _batch.DesiredGoals, _batch.EncodedDesiredGoals, row);
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Prefetch(int slot, int row)
        {
            bool relabeled = row >= _firstRelabeled;
            PrefetchRow(_source, slot, desiredGoal: !relabeled);
            if (relabeled)
            {
                HerRelabel.PrefetchEpisode(_goals.Episodes, slot);
            }
        }
    }
}
