using System;
using Mtrl.Kernels.Replay;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// The struct-of-arrays storage of a replay ring: one flat array per field, slot s of a field of
/// width w at elements [s·w, (s+1)·w), slot = row · envs + env. No per-transition objects, so ten
/// million transitions cost exactly their fields' bytes and a row of a vector-env step is one
/// contiguous copy per field. Every field starts on a cache-line boundary (<see cref="PinnedColumn{T}"/>).
/// Observations and goals are float arrays, or byte arrays of encoded rows when the options choose a
/// compact <see cref="ColumnElementType"/> (<see cref="ColumnEncoding"/>); the unused array is empty.
/// </summary>
internal sealed class TransitionStore
{
    private readonly ReplayBufferOptions _options;
    private readonly PinnedColumn<float> _observations;
    private readonly PinnedColumn<float> _nextObservations;
    private readonly PinnedColumn<float> _actions;
    private readonly PinnedColumn<int> _discreteActions;
    private readonly PinnedColumn<float> _rewards;
    private readonly PinnedColumn<byte> _terminated;
    private readonly PinnedColumn<byte> _truncated;
    private readonly PinnedColumn<int> _taskIds;
    private readonly PinnedColumn<float> _achievedGoals;
    private readonly PinnedColumn<float> _nextAchievedGoals;
    private readonly PinnedColumn<float> _desiredGoals;
    private readonly PinnedColumn<byte> _encodedObservations;
    private readonly PinnedColumn<byte> _encodedNextObservations;
    private readonly PinnedColumn<byte> _encodedAchievedGoals;
    private readonly PinnedColumn<byte> _encodedNextAchievedGoals;
    private readonly PinnedColumn<byte> _encodedDesiredGoals;
    private readonly PinnedColumn<byte> _records;

    /// <summary>Allocates the columns, and the slot records when <paramref name="slotRecords"/> and a slot's fields fit in one (<see cref="SlotRecordLayout"/>).</summary>
    public TransitionStore(ReplayBufferOptions options, bool slotRecords = true)
    {
        _options = options;
        int c = options.Capacity;
        int o = options.ObservationWidth;
        int a = options.ActionWidth;
        int g = options.GoalWidth;

        // Slots are only read after they have been written, so the columns skip zeroing.
        long floatObservations = options.ObservationElementType == ColumnElementType.Float32 ? (long)c * o : 0;
        long encodedObservations = options.ObservationElementType == ColumnElementType.Float32 ? 0 : (long)c * ObservationRowBytes;
        long floatGoals = options.GoalElementType == ColumnElementType.Float32 ? (long)c * g : 0;
        long encodedGoals = options.GoalElementType == ColumnElementType.Float32 ? 0 : (long)c * GoalRowBytes;
        _observations = new PinnedColumn<float>(floatObservations);
        _nextObservations = new PinnedColumn<float>(floatObservations);
        _encodedObservations = new PinnedColumn<byte>(encodedObservations);
        _encodedNextObservations = new PinnedColumn<byte>(encodedObservations);
        _actions = new PinnedColumn<float>(options.DiscreteActions ? 0 : (long)c * a);
        _discreteActions = new PinnedColumn<int>(options.DiscreteActions ? (long)c * a : 0);
        _rewards = new PinnedColumn<float>(c);
        _terminated = new PinnedColumn<byte>(c);
        _truncated = new PinnedColumn<byte>(c);
        _taskIds = new PinnedColumn<int>(c);
        _achievedGoals = new PinnedColumn<float>(floatGoals);
        _nextAchievedGoals = new PinnedColumn<float>(floatGoals);
        _desiredGoals = new PinnedColumn<float>(floatGoals);
        _encodedAchievedGoals = new PinnedColumn<byte>(encodedGoals);
        _encodedNextAchievedGoals = new PinnedColumn<byte>(encodedGoals);
        _encodedDesiredGoals = new PinnedColumn<byte>(encodedGoals);
        var records = slotRecords
            ? SlotRecordLayout.For(options.ObservationElementType, o, a, options.GoalElementType, g)
            : default;
        // Records mirror the columns to speed sampling; a capacity whose records would not fit in
        // one array keeps none, and every gather falls back to the columns (stride 0).
        RecordLayout = (long)c * records.Stride <= Array.MaxLength - 64 ? records : default;
        _records = new PinnedColumn<byte>((long)c * RecordLayout.Stride);
    }

    /// <summary>Layout of the slot records; <see cref="SlotRecordLayout.Stride"/> 0 when the store keeps none.</summary>
    public SlotRecordLayout RecordLayout { get; }

    /// <summary>One record per slot mirroring its fields and episode (empty without records).</summary>
    public Span<byte> Records => _records.Span;

    /// <summary>Bytes per stored observation row in the observation element type.</summary>
    public int ObservationRowBytes => ColumnEncoding.RowBytes(_options.ObservationElementType, _options.ObservationWidth);

    /// <summary>Bytes per stored goal row in the goal element type.</summary>
    public int GoalRowBytes => ColumnEncoding.RowBytes(_options.GoalElementType, _options.GoalWidth);

    public Span<float> Observations => _observations.Span;

    public Span<float> NextObservations => _nextObservations.Span;

    public Span<float> Actions => _actions.Span;

    public Span<int> DiscreteActions => _discreteActions.Span;

    public Span<float> Rewards => _rewards.Span;

    public Span<byte> Terminated => _terminated.Span;

    public Span<byte> Truncated => _truncated.Span;

    public Span<int> TaskIds => _taskIds.Span;

    public Span<float> AchievedGoals => _achievedGoals.Span;

    public Span<float> NextAchievedGoals => _nextAchievedGoals.Span;

    public Span<float> DesiredGoals => _desiredGoals.Span;

    public Span<byte> EncodedObservations => _encodedObservations.Span;

    public Span<byte> EncodedNextObservations => _encodedNextObservations.Span;

    public Span<byte> EncodedAchievedGoals => _encodedAchievedGoals.Span;

    public Span<byte> EncodedNextAchievedGoals => _encodedNextAchievedGoals.Span;

    public Span<byte> EncodedDesiredGoals => _encodedDesiredGoals.Span;

    /// <summary>Read-only views for the kernels.</summary>
    public TransitionColumns Columns => new()
    {
        Observations = Observations,
        NextObservations = NextObservations,
        Actions = Actions,
        DiscreteActions = DiscreteActions,
        Rewards = Rewards,
        Terminated = Terminated,
        Truncated = Truncated,
        TaskIds = TaskIds,
        AchievedGoals = AchievedGoals,
        NextAchievedGoals = NextAchievedGoals,
        DesiredGoals = DesiredGoals,
        EncodedObservations = EncodedObservations,
        EncodedNextObservations = EncodedNextObservations,
        EncodedAchievedGoals = EncodedAchievedGoals,
        EncodedNextAchievedGoals = EncodedNextAchievedGoals,
        EncodedDesiredGoals = EncodedDesiredGoals,
        ObservationElementType = _options.ObservationElementType,
        GoalElementType = _options.GoalElementType,
        SlotRecords = Records,
        RecordLayout = RecordLayout,
        ObservationWidth = _options.ObservationWidth,
        ActionWidth = _options.ActionWidth,
        GoalWidth = _options.GoalWidth,
    };

    /// <summary>Writes one vector-env step (already validated) into row <paramref name="row"/>.</summary>
    public void Write(int row, in ReplayStep step)
    {
        int n = _options.EnvCount;
        int first = row * n;
        ColumnElementType observations = _options.ObservationElementType;
        Copy(step.Observations, Observations, EncodedObservations, observations, first, _options.ObservationWidth);
        Copy(step.NextObservations, NextObservations, EncodedNextObservations, observations, first, _options.ObservationWidth);
        if (_options.DiscreteActions)
        {
            step.DiscreteActions.CopyTo(DiscreteActions[(first * _options.ActionWidth)..]);
        }
        else
        {
            step.Actions.CopyTo(Actions[(first * _options.ActionWidth)..]);
        }

        step.Rewards.CopyTo(Rewards[first..]);
        Span<byte> terminated = Terminated.Slice(first, n);
        Span<byte> truncated = Truncated.Slice(first, n);
        for (int e = 0; e < n; e++)
        {
            terminated[e] = step.Terminated[e] ? (byte)1 : (byte)0;
            truncated[e] = step.Truncated[e] ? (byte)1 : (byte)0;
        }

        if (step.TaskIds.IsEmpty)
        {
            TaskIds.Slice(first, n).Clear();
        }
        else
        {
            step.TaskIds.CopyTo(TaskIds[first..]);
        }

        int g = _options.GoalWidth;
        if (g > 0)
        {
            ColumnElementType goals = _options.GoalElementType;
            Copy(step.AchievedGoals, AchievedGoals, EncodedAchievedGoals, goals, first, g);
            Copy(step.NextAchievedGoals, NextAchievedGoals, EncodedNextAchievedGoals, goals, first, g);
            Copy(step.DesiredGoals, DesiredGoals, EncodedDesiredGoals, goals, first, g);
        }

        if (RecordLayout.HasRecords)
        {
            for (int e = 0; e < n; e++)
            {
                FillRecord(first + e);
            }
        }
    }

    /// <summary>Records the episode of a slot in its record (the ledger's <c>EpisodeStarts</c> and <c>EpisodeLengths</c> stay authoritative).</summary>
    public void SetEpisode(int slot, int start, int length)
    {
        if (RecordLayout.HasRecords)
        {
            Span<byte> record = Record(slot);
            BitConverter.TryWriteBytes(record[RecordLayout.EpisodeStart..], start);
            BitConverter.TryWriteBytes(record[RecordLayout.EpisodeLength..], length);
        }
    }

    /// <summary>Records a new episode length of a slot in its record.</summary>
    public void SetEpisodeLength(int slot, int length)
    {
        if (RecordLayout.HasRecords)
        {
            BitConverter.TryWriteBytes(Record(slot)[RecordLayout.EpisodeLength..], length);
        }
    }

    /// <summary>Marks a slot truncated (column and record).</summary>
    public void SetTruncated(int slot)
    {
        Truncated[slot] = 1;
        if (RecordLayout.HasRecords)
        {
            Record(slot)[RecordLayout.Truncated] = 1;
        }
    }

    /// <summary>Rebuilds every record from the columns and the episode arrays (after loading).</summary>
    public void RebuildRecords(ReadOnlySpan<int> episodeStarts, ReadOnlySpan<int> episodeLengths)
    {
        if (!RecordLayout.HasRecords)
        {
            return;
        }

        for (int slot = 0; slot < _options.Capacity; slot++)
        {
            FillRecord(slot);
            SetEpisode(slot, episodeStarts[slot], episodeLengths[slot]);
        }
    }

    private Span<byte> Record(int slot) => Records.Slice(slot * RecordLayout.Stride, RecordLayout.Stride);

    /// <summary>Copies a slot's fields from the columns into its record (padding zeroed; episode fields left as they are).</summary>
    private void FillRecord(int slot)
    {
        SlotRecordLayout layout = RecordLayout;
        Span<byte> record = Record(slot);
        record[layout.UsedBytes..].Clear();
        int a = _options.ActionWidth;
        ReadOnlySpan<byte> action = _options.DiscreteActions
            ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(DiscreteActions.Slice(slot * a, a))
            : System.Runtime.InteropServices.MemoryMarshal.AsBytes(Actions.Slice(slot * a, a));
        action.CopyTo(record[layout.Action..]);
        BitConverter.TryWriteBytes(record[layout.Reward..], Rewards[slot]);
        BitConverter.TryWriteBytes(record[layout.TaskId..], TaskIds[slot]);
        record[layout.Terminated] = Terminated[slot];
        record[layout.Truncated] = Truncated[slot];
        int o = _options.ObservationWidth;
        ColumnElementType observations = _options.ObservationElementType;
        RowBytes(Observations, EncodedObservations, observations, slot, o).CopyTo(record[layout.Observation..]);
        RowBytes(NextObservations, EncodedNextObservations, observations, slot, o).CopyTo(record[layout.NextObservation..]);
        int g = _options.GoalWidth;
        if (g > 0)
        {
            ColumnElementType goals = _options.GoalElementType;
            RowBytes(AchievedGoals, EncodedAchievedGoals, goals, slot, g).CopyTo(record[layout.AchievedGoal..]);
            RowBytes(NextAchievedGoals, EncodedNextAchievedGoals, goals, slot, g).CopyTo(record[layout.NextAchievedGoal..]);
            RowBytes(DesiredGoals, EncodedDesiredGoals, goals, slot, g).CopyTo(record[layout.DesiredGoal..]);
        }
    }

    /// <summary>The stored bytes of one row of a field.</summary>
    private static ReadOnlySpan<byte> RowBytes(Span<float> floats, Span<byte> encoded, ColumnElementType type, int slot, int width)
    {
        if (type == ColumnElementType.Float32)
        {
            return System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.Slice(slot * width, width));
        }

        int rowBytes = ColumnEncoding.RowBytes(type, width);
        return encoded.Slice(slot * rowBytes, rowBytes);
    }

    /// <summary>Writes the rows of one field from <paramref name="firstSlot"/> on, as floats or encoded (values already checked).</summary>
    private static void Copy(ReadOnlySpan<float> source, Span<float> floats, Span<byte> encoded, ColumnElementType type, int firstSlot, int width)
    {
        if (type == ColumnElementType.Float32)
        {
            source.CopyTo(floats[(firstSlot * width)..]);
        }
        else
        {
            ColumnEncoding.Encode(type, source, width, encoded[(firstSlot * ColumnEncoding.RowBytes(type, width))..]);
        }
    }
}
