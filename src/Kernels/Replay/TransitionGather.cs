using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

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

    // Rows ahead whose slot record is prefetched: one line per row, so more rows fit in flight.
    private const int RecordPrefetchDistance = 32;

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

        // The record paths write the scalar fields without bounds checks: check them once per launch.
        long actions = (long)rows * source.ActionWidth;
        if (batch.Rewards.Length < rows || batch.Terminated.Length < rows || batch.Truncated.Length < rows || batch.TaskIds.Length < rows
            || (source.DiscreteActions.IsEmpty ? batch.Actions.Length < actions : batch.DiscreteActions.Length < actions))
        {
            throw new ArgumentException($"batch.Rewards, Terminated, Truncated and TaskIds need {rows} values and the actions {actions}", nameof(batch));
        }

        // Record offsets are used without bounds checks: only the layout of the table's own shape is accepted.
        if (!source.SlotRecords.IsEmpty
            && source.RecordLayout != SlotRecordLayout.For(source.ObservationElementType, o, source.ActionWidth, source.GoalElementType, g))
        {
            throw new ArgumentException("source.RecordLayout must be SlotRecordLayout.For the table's element types and widths", "source");
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
        private readonly FieldGather _observations;
        private readonly FieldGather _nextObservations;
        private readonly FieldGather _achievedGoals;
        private readonly FieldGather _nextAchievedGoals;
        private readonly FieldGather _desiredGoals;
        private readonly FieldGather _relabeledGoals;
        private readonly ref byte _records;
        private readonly SlotRecordLayout _layout;
        private readonly int _slots;
        private readonly int _firstRelabeled;
        private readonly bool _hasGoals;
        private readonly bool _useRecords;
        private readonly bool _packedRecords;
        private readonly int _observationBytes;
        private readonly int _goalBytes;

        public GatherKernel(in TransitionColumns source, in BatchColumns batch, in TSelector selector, in HindsightGoals goals, bool relabel)
        {
            _source = source;
            _batch = batch;
            _selector = selector;
            _goals = goals;
            _firstRelabeled = relabel ? goals.FirstRow : int.MaxValue;
            int o = source.ObservationWidth;
            int g = source.GoalWidth;
            ColumnElementType observations = source.ObservationElementType;
            ColumnElementType goalType = source.GoalElementType;
            _hasGoals = g > 0;
            _layout = source.RecordLayout;
            _useRecords = _layout.Stride > 0 && source.SlotRecords.Length >= _layout.Stride;
            if (_useRecords)
            {
                // Every field of a slot sits in its record: one cache line per row (and per goal row).
                ReadOnlySpan<byte> records = source.SlotRecords;
                int stride = _layout.Stride;
                _records = ref MemoryMarshal.GetReference(records);
                _observations = new(records, stride, _layout.Observation, observations, o, batch.Observations, batch.EncodedObservations);
                _nextObservations = new(records, stride, _layout.NextObservation, observations, o, batch.NextObservations, batch.EncodedNextObservations);
                _achievedGoals = new(records, stride, _layout.AchievedGoal, goalType, g, batch.AchievedGoals, batch.EncodedAchievedGoals);
                _nextAchievedGoals = new(records, stride, _layout.NextAchievedGoal, goalType, g, batch.NextAchievedGoals, batch.EncodedNextAchievedGoals);
                _desiredGoals = new(records, stride, _layout.DesiredGoal, goalType, g, batch.DesiredGoals, batch.EncodedDesiredGoals);
                _relabeledGoals = new(records, stride, _layout.NextAchievedGoal, goalType, g, batch.DesiredGoals, batch.EncodedDesiredGoals);
                _slots = Math.Min(records.Length / stride, source.Rewards.Length);

                // Encoded rows of at most 8 bytes into an encoded-only batch: one 8-byte load and
                // store per field (PackedRecordFields).
                _observationBytes = ColumnEncoding.RowBytes(observations, o);
                _goalBytes = _hasGoals ? ColumnEncoding.RowBytes(goalType, g) : 0;
                int lastField = _hasGoals ? _layout.DesiredGoal : _layout.NextObservation;
                _packedRecords = observations != ColumnElementType.Float32 && (!_hasGoals || goalType != ColumnElementType.Float32)
                    && _observationBytes <= sizeof(ulong) && _goalBytes <= sizeof(ulong) && lastField + sizeof(ulong) <= stride
                    && batch.Observations.IsEmpty && batch.NextObservations.IsEmpty
                    && batch.AchievedGoals.IsEmpty && batch.NextAchievedGoals.IsEmpty && batch.DesiredGoals.IsEmpty;
                return;
            }

            _observations = new(source.Observations, source.EncodedObservations, observations, o, batch.Observations, batch.EncodedObservations);
            _nextObservations = new(source.NextObservations, source.EncodedNextObservations, observations, o, batch.NextObservations, batch.EncodedNextObservations);
            _achievedGoals = new(source.AchievedGoals, source.EncodedAchievedGoals, goalType, g, batch.AchievedGoals, batch.EncodedAchievedGoals);
            _nextAchievedGoals = new(source.NextAchievedGoals, source.EncodedNextAchievedGoals, goalType, g, batch.NextAchievedGoals, batch.EncodedNextAchievedGoals);
            _desiredGoals = new(source.DesiredGoals, source.EncodedDesiredGoals, goalType, g, batch.DesiredGoals, batch.EncodedDesiredGoals);
            _relabeledGoals = new(source.NextAchievedGoals, source.EncodedNextAchievedGoals, goalType, g, batch.DesiredGoals, batch.EncodedDesiredGoals);

            // Every slot a row reads must lie in every field (a selector bug must not read outside).
            _slots = Math.Min(Math.Min(_observations.Slots, _nextObservations.Slots), source.Rewards.Length);
            if (_hasGoals)
            {
                _slots = Math.Min(_slots, Math.Min(_achievedGoals.Slots, Math.Min(_nextAchievedGoals.Slots, _desiredGoals.Slots)));
            }
        }

        public void Execute(int start, int end)
        {
            if (_packedRecords)
            {
                var fields = new PackedRecordFields(_batch, _layout, _observationBytes, _goalBytes, end);
                ExecuteRecords(start, end, ref fields);
            }
            else if (_useRecords)
            {
                var fields = new GatheredRecordFields(_observations, _nextObservations, _achievedGoals, _nextAchievedGoals, _desiredGoals, _relabeledGoals);
                ExecuteRecords(start, end, ref fields);
            }
            else
            {
                ExecuteColumns(start, end);
            }
        }

        [SkipLocalsInit]
        private void ExecuteColumns(int start, int end)
        {
            Span<int> slots = stackalloc int[BlockRows];
            Span<int> goalSlots = stackalloc int[BlockRows];
            Span<uint> goalBits = stackalloc uint[BlockRows];
            TSelector selector = _selector;
            for (int first = start; first < end; first += BlockRows)
            {
                int count = Math.Min(BlockRows, end - first);
                selector.SelectRows(first, slots[..count]);
                CheckSlots(slots[..count]);
                int firstRelabeled = Math.Clamp(_firstRelabeled - first, 0, count);
                if (firstRelabeled < count)
                {
                    _goals.GoalBits(first + firstRelabeled, goalBits[firstRelabeled..count]);
                }

                for (int k = 0; k < Math.Min(PrefetchDistance, count); k++)
                {
                    Prefetch(slots[k], relabeled: k >= firstRelabeled);
                }

                for (int k = 0; k < count; k++)
                {
                    if (k + PrefetchDistance < count)
                    {
                        Prefetch(slots[k + PrefetchDistance], relabeled: k + PrefetchDistance >= firstRelabeled);
                    }

                    int row = first + k;
                    int slot = slots[k];
                    bool relabeled = k >= firstRelabeled;
                    _batch.Slots[row] = slot;
                    CopyScalars(slot, row);
                    _observations.Copy(slot, row);
                    _nextObservations.Copy(slot, row);
                    if (_hasGoals)
                    {
                        _achievedGoals.Copy(slot, row);
                        _nextAchievedGoals.Copy(slot, row);
                        if (!relabeled)
                        {
                            _desiredGoals.Copy(slot, row);
                        }
                    }

                    if (relabeled)
                    {
                        int goalSlot = CheckedGoalSlot(_goals.GoalSlotFrom(slot, goalBits[k]));
                        goalSlots[k] = goalSlot;
                        _goals.GoalSlots[row] = goalSlot;
                        _relabeledGoals.Prefetch(goalSlot);
                    }
                }

                for (int k = firstRelabeled; k < count; k++)
                {
                    _relabeledGoals.Copy(goalSlots[k], first + k);
                }
            }
        }

        /// <summary>
        /// Draws one block's slots (checked), the relabel goals of its relabeled rows, and prefetches
        /// the first records; returns the block-relative index of its first relabeled row.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int BeginRecordBlock(ref TSelector selector, int first, scoped Span<int> slots, scoped Span<uint> goalBits)
        {
            int count = slots.Length;
            selector.SelectRows(first, slots);
            CheckSlots(slots);
            int firstRelabeled = Math.Clamp(_firstRelabeled - first, 0, count);
            if (firstRelabeled < count)
            {
                _goals.GoalBits(first + firstRelabeled, goalBits[firstRelabeled..count]);
            }

            for (int k = 0; k < Math.Min(RecordPrefetchDistance, count); k++)
            {
                PrefetchRecord(slots[k]);
            }

            return firstRelabeled;
        }

        /// <summary>
        /// The gather from slot records: one line per row, prefetched <see cref="RecordPrefetchDistance"/>
        /// rows ahead; a relabeled row reads its episode start and length from the same record and
        /// prefetches its goal slot's record, whose next achieved goal is copied at the block's end.
        /// </summary>
        /// <typeparam name="TFields">
        /// How the observation and goal rows are written: a struct, so each writer gets its own
        /// compiled loop with the writer inlined. Passed by ref, since calls on an <c>in</c> generic
        /// struct copy it defensively.
        /// </typeparam>
        [SkipLocalsInit]
        private void ExecuteRecords<TFields>(int start, int end, scoped ref TFields fields)
            where TFields : struct, IRecordFields, allows ref struct
        {
            Span<int> slots = stackalloc int[BlockRows];
            Span<int> goalSlots = stackalloc int[BlockRows];
            Span<uint> goalBits = stackalloc uint[BlockRows];
            TSelector selector = _selector;
            SlotRecordLayout layout = _layout;
            int stride = layout.Stride;
            ref byte records = ref _records;

            // Unchecked: rows lie in the batch, and goals.Validate checked GoalSlots holds them all.
            ref int batchSlots = ref MemoryMarshal.GetReference(_batch.Slots);
            ref int recordedGoalSlots = ref MemoryMarshal.GetReference(_goals.GoalSlots);
            bool scalarAction = !_source.DiscreteActions.IsEmpty && _source.ActionWidth == 1;
            ref int actions = ref MemoryMarshal.GetReference(_batch.DiscreteActions);
            ref float rewards = ref MemoryMarshal.GetReference(_batch.Rewards);
            ref float terminated = ref MemoryMarshal.GetReference(_batch.Terminated);
            ref float truncated = ref MemoryMarshal.GetReference(_batch.Truncated);
            ref int tasks = ref MemoryMarshal.GetReference(_batch.TaskIds);
            for (int first = start; first < end; first += BlockRows)
            {
                int count = Math.Min(BlockRows, end - first);
                int firstRelabeled = BeginRecordBlock(ref selector, first, slots[..count], goalBits);

                for (int k = 0; k < count; k++)
                {
                    if (k + RecordPrefetchDistance < count)
                    {
                        PrefetchRecord(slots[k + RecordPrefetchDistance]);
                    }

                    int row = first + k;
                    int slot = slots[k];
                    ref byte record = ref Unsafe.Add(ref records, (nint)slot * stride);
                    Unsafe.Add(ref batchSlots, row) = slot;
                    if (scalarAction)
                    {
                        Unsafe.Add(ref actions, row) = Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref record, layout.Action));
                    }
                    else
                    {
                        CopyRecordAction(ref record, row);
                    }

                    Unsafe.Add(ref rewards, row) = Unsafe.ReadUnaligned<float>(ref Unsafe.Add(ref record, layout.Reward));
                    Unsafe.Add(ref terminated, row) = Unsafe.Add(ref record, layout.Terminated);
                    Unsafe.Add(ref truncated, row) = Unsafe.Add(ref record, layout.Truncated);
                    Unsafe.Add(ref tasks, row) = Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref record, layout.TaskId));
                    fields.CopyObservations(ref record, slot, row);
                    if (_hasGoals)
                    {
                        fields.CopyAchievedGoals(ref record, slot, row);
                        if (k < firstRelabeled)
                        {
                            fields.CopyDesiredGoal(ref record, slot, row);
                        }
                        else
                        {
                            int episodeStart = Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref record, layout.EpisodeStart));
                            int episodeLength = Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref record, layout.EpisodeLength));
                            int goalSlot = CheckedGoalSlot(_goals.GoalSlotFrom(slot, episodeStart, episodeLength, goalBits[k]));
                            goalSlots[k] = goalSlot;
                            Unsafe.Add(ref recordedGoalSlots, row) = goalSlot;
                            PrefetchRecord(goalSlot);
                        }
                    }
                }

                for (int k = firstRelabeled; k < count; k++)
                {
                    int goalSlot = goalSlots[k];
                    fields.CopyRelabeledGoal(ref Unsafe.Add(ref records, (nint)goalSlot * stride), goalSlot, first + k);
                }
            }
        }

        private void CheckSlots(ReadOnlySpan<int> slots)
        {
            foreach (int slot in slots)
            {
                if ((uint)slot >= (uint)_slots)
                {
                    throw new InvalidOperationException($"the selector returned slot {slot}, outside the table's {_slots} slots");
                }
            }
        }

        /// <summary>A relabel goal slot comes from episode bookkeeping the gather does not own: checked before its unchecked copy.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int CheckedGoalSlot(int goalSlot)
        {
            if ((uint)goalSlot >= (uint)_slots)
            {
                throw new InvalidOperationException($"the episode index gave relabel goal slot {goalSlot}, outside the table's {_slots} slots");
            }

            return goalSlot;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private unsafe void PrefetchRecord(int slot)
        {
            // Records are 32 or 64 bytes on a line boundary: one line each.
            if (Sse.IsSupported && (uint)slot < (uint)_slots)
            {
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref _records, (nint)slot * _layout.Stride)));
            }
        }

        private void CopyRecordAction(ref byte record, int row)
        {
            int a = _source.ActionWidth;
            ref byte action = ref Unsafe.Add(ref record, _layout.Action);
            if (_source.DiscreteActions.IsEmpty)
            {
                Unsafe.CopyBlockUnaligned(
                    ref Unsafe.As<float, byte>(ref Unsafe.Add(ref MemoryMarshal.GetReference(_batch.Actions), (nint)row * a)), ref action, (uint)(a * sizeof(float)));
            }
            else if (a == 1)
            {
                Unsafe.Add(ref MemoryMarshal.GetReference(_batch.DiscreteActions), row) = Unsafe.ReadUnaligned<int>(ref action);
            }
            else
            {
                Unsafe.CopyBlockUnaligned(
                    ref Unsafe.As<int, byte>(ref Unsafe.Add(ref MemoryMarshal.GetReference(_batch.DiscreteActions), (nint)row * a)), ref action, (uint)(a * sizeof(int)));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void CopyScalars(int slot, int row)
        {
            int a = _source.ActionWidth;
            if (_source.DiscreteActions.IsEmpty)
            {
                _source.Actions.Slice(slot * a, a).CopyTo(_batch.Actions.Slice(row * a, a));
            }
            else if (a == 1)
            {
                _batch.DiscreteActions[row] = _source.DiscreteActions[slot];
            }
            else
            {
                _source.DiscreteActions.Slice(slot * a, a).CopyTo(_batch.DiscreteActions.Slice(row * a, a));
            }

            _batch.Rewards[row] = _source.Rewards[slot];
            _batch.Terminated[row] = _source.Terminated[slot];
            _batch.Truncated[row] = _source.Truncated[slot];
            _batch.TaskIds[row] = _source.TaskIds[slot];
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Prefetch(int slot, bool relabeled)
        {
            _observations.Prefetch(slot);
            _nextObservations.Prefetch(slot);
            int a = _source.ActionWidth;
            CachePrefetch.Row(_source.Actions, slot * a, a);
            CachePrefetch.Row(_source.DiscreteActions, slot * a, a);
            CachePrefetch.Element(_source.Rewards, slot);
            CachePrefetch.Element(_source.Terminated, slot);
            CachePrefetch.Element(_source.Truncated, slot);
            CachePrefetch.Element(_source.TaskIds, slot);
            if (_hasGoals)
            {
                _achievedGoals.Prefetch(slot);
                _nextAchievedGoals.Prefetch(slot);
                if (!relabeled)
                {
                    _desiredGoals.Prefetch(slot);
                }
            }

            if (relabeled)
            {
                HerRelabel.PrefetchEpisode(_goals.Episodes, slot);
            }
        }
    }

    /// <summary>
    /// Writes a row's observation and goal fields in the record gather. Each call gets both the
    /// row's record and its slot: the packed writer reads the record, <see cref="FieldGather"/>
    /// addresses by slot, and the unused one costs nothing once inlined.
    /// </summary>
    private interface IRecordFields
    {
        /// <summary>Observation and next observation of <paramref name="record"/> (slot <paramref name="slot"/>) into batch row <paramref name="row"/>.</summary>
        void CopyObservations(ref byte record, int slot, int row);

        /// <summary>Achieved and next achieved goal.</summary>
        void CopyAchievedGoals(ref byte record, int slot, int row);

        /// <summary>The stored desired goal, for a row that is not relabeled.</summary>
        void CopyDesiredGoal(ref byte record, int slot, int row);

        /// <summary>The next achieved goal of the goal slot's record, as the desired goal of a relabeled row.</summary>
        void CopyRelabeledGoal(ref byte goalRecord, int goalSlot, int row);
    }

    /// <summary>Any encoding and batch form: each field copied, decoded or both by its <see cref="FieldGather"/>.</summary>
    private readonly ref struct GatheredRecordFields : IRecordFields
    {
        private readonly FieldGather _observations;
        private readonly FieldGather _nextObservations;
        private readonly FieldGather _achievedGoals;
        private readonly FieldGather _nextAchievedGoals;
        private readonly FieldGather _desiredGoals;
        private readonly FieldGather _relabeledGoals;

        public GatheredRecordFields(
            in FieldGather observations, in FieldGather nextObservations, in FieldGather achievedGoals, in FieldGather nextAchievedGoals, in FieldGather desiredGoals, in FieldGather relabeledGoals)
        {
            _observations = observations;
            _nextObservations = nextObservations;
            _achievedGoals = achievedGoals;
            _nextAchievedGoals = nextAchievedGoals;
            _desiredGoals = desiredGoals;
            _relabeledGoals = relabeledGoals;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void CopyObservations(ref byte record, int slot, int row)
        {
            _observations.Copy(slot, row);
            _nextObservations.Copy(slot, row);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void CopyAchievedGoals(ref byte record, int slot, int row)
        {
            _achievedGoals.Copy(slot, row);
            _nextAchievedGoals.Copy(slot, row);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void CopyDesiredGoal(ref byte record, int slot, int row) => _desiredGoals.Copy(slot, row);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void CopyRelabeledGoal(ref byte goalRecord, int goalSlot, int row) => _relabeledGoals.Copy(goalSlot, row);
    }

    /// <summary>
    /// Encoded rows of at most 8 bytes (bit-packed rows up to 64 elements, byte rows up to 8) into an
    /// encoded-only batch: every field is one 8-byte load from the record and one 8-byte store, whose
    /// extra bytes land in the following batch rows and are overwritten when those are written (rows
    /// are written in order, relabeled goals after the block's real ones); rows whose store would
    /// reach past the launch range are stored exactly, so nothing is written outside it.
    /// </summary>
    private readonly ref struct PackedRecordFields : IRecordFields
    {
        private readonly ref byte _observations;
        private readonly ref byte _nextObservations;
        private readonly ref byte _achievedGoals;
        private readonly ref byte _nextAchievedGoals;
        private readonly ref byte _desiredGoals;
        private readonly int _observation;
        private readonly int _nextObservation;
        private readonly int _achievedGoal;
        private readonly int _nextAchievedGoal;
        private readonly int _desiredGoal;
        private readonly int _observationBytes;
        private readonly int _goalBytes;
        private readonly nint _observationsEnd; // byte offsets of the launch range's end row
        private readonly nint _goalsEnd;

        public PackedRecordFields(in BatchColumns batch, in SlotRecordLayout layout, int observationBytes, int goalBytes, int end)
        {
            _observations = ref MemoryMarshal.GetReference(batch.EncodedObservations);
            _nextObservations = ref MemoryMarshal.GetReference(batch.EncodedNextObservations);
            _achievedGoals = ref MemoryMarshal.GetReference(batch.EncodedAchievedGoals);
            _nextAchievedGoals = ref MemoryMarshal.GetReference(batch.EncodedNextAchievedGoals);
            _desiredGoals = ref MemoryMarshal.GetReference(batch.EncodedDesiredGoals);
            _observation = layout.Observation;
            _nextObservation = layout.NextObservation;
            _achievedGoal = layout.AchievedGoal;
            _nextAchievedGoal = layout.NextAchievedGoal;
            _desiredGoal = layout.DesiredGoal;
            _observationBytes = observationBytes;
            _goalBytes = goalBytes;
            _observationsEnd = (nint)end * observationBytes;
            _goalsEnd = (nint)end * goalBytes;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void CopyObservations(ref byte record, int slot, int row)
        {
            StoreRow(ref _observations, row, ref Unsafe.Add(ref record, _observation), _observationBytes, _observationsEnd);
            StoreRow(ref _nextObservations, row, ref Unsafe.Add(ref record, _nextObservation), _observationBytes, _observationsEnd);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void CopyAchievedGoals(ref byte record, int slot, int row)
        {
            StoreRow(ref _achievedGoals, row, ref Unsafe.Add(ref record, _achievedGoal), _goalBytes, _goalsEnd);
            StoreRow(ref _nextAchievedGoals, row, ref Unsafe.Add(ref record, _nextAchievedGoal), _goalBytes, _goalsEnd);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void CopyDesiredGoal(ref byte record, int slot, int row)
            => StoreRow(ref _desiredGoals, row, ref Unsafe.Add(ref record, _desiredGoal), _goalBytes, _goalsEnd);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void CopyRelabeledGoal(ref byte goalRecord, int goalSlot, int row)
            => StoreRow(ref _desiredGoals, row, ref Unsafe.Add(ref goalRecord, _nextAchievedGoal), _goalBytes, _goalsEnd);

        /// <summary>
        /// Copies a row of <paramref name="bytes"/> ≤ 8 bytes into batch row <paramref name="row"/> of
        /// <paramref name="column"/> with one 8-byte store, or exactly where that store would reach
        /// byte <paramref name="endByte"/> (another thread's rows, or the end of the batch).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRow(ref byte column, int row, ref byte source, int bytes, nint endByte)
        {
            nint at = (nint)row * bytes;
            if (at + sizeof(ulong) <= endByte)
            {
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref column, at), Unsafe.ReadUnaligned<ulong>(ref source));
            }
            else
            {
                Unsafe.CopyBlockUnaligned(ref Unsafe.Add(ref column, at), ref source, (uint)bytes);
            }
        }
    }
}
