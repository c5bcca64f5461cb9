using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using Mtrl.Kernels;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Checkpoints;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// Saves and loads a whole <see cref="ReplayBuffer"/> with the rules of checkpoint files
/// (<see cref="CheckpointFile"/>): versioned, checksummed, written atomically, and every failure
/// reported as a <see cref="CheckpointException"/> naming the file and the reason. Format version 2,
/// little-endian:
/// <code>
/// "MTRLRPLY" | u32 version | u32 flags (0)
/// section: u8 kind | u16 name length | UTF-8 name | payload
///   kind 2 (int64): i64 value;  kinds 1, 3, 4, 5 (float32, int32, uint8, float64 arrays): u64 count | elements
/// u64 checksum of every byte before it
/// </code>
/// Sections come in a fixed order: the options and counters as int64 scalars, the per-env episode
/// state, then every column over the filled slots only. Version 2 added the element types of the
/// observation and goal columns (scalars <c>observationElementType</c>, <c>goalElementType</c>;
/// a compact column is a uint8 section of its encoded rows); version 1 files (all float32) are
/// still read. Unlike a checkpoint, a buffer can be
/// gigabytes, so it is streamed in chunks instead of read into one byte array. A load reads the
/// file twice: first the header and scalars, the size they imply (a shorter file is reported as
/// truncated) and the checksum over every byte, and only then is the buffer allocated and filled,
/// so a damaged file is refused before any large allocation and never loads. Saves go through
/// <see cref="AtomicFile"/> (temporary file beside the target, renamed over it; temporaries of
/// killed saves are removed by the next save).
/// </summary>
public static class ReplayBufferFile
{
    /// <summary>Format version written by this build; files from newer versions are refused.</summary>
    public const uint Version = 2;

    private const int ChunkBytes = 1 << 22;

    private static readonly string[] s_scalarNames =
    [
        "capacity", "envCount", "observationWidth", "actionWidth", "discreteActions", "goalWidth",
        "observationElementType", "goalElementType", "taskCount",
        "prioritized", "priorityExponent", "priorityEpsilon", "seed", "stream",
        "position", "filledRows", "stepsAdded", "randomCounter", "balancedCalls", "maxPriority",
    ];

    // Version 1 had no element types: every column was float32.
    private static readonly string[] s_scalarNamesVersion1 =
        Array.FindAll(s_scalarNames, name => name is not ("observationElementType" or "goalElementType"));

    private enum Kind : byte
    {
        Float32 = 1,
        Int64 = 2,
        Int32 = 3,
        UInt8 = 4,
        Float64 = 5,
    }

    private static ReadOnlySpan<byte> Magic => "MTRLRPLY"u8;

    /// <summary>Saves <paramref name="buffer"/> to <paramref name="path"/>: a temporary file beside it is written, flushed to disk and renamed over the target, so a crash leaves the old file or the new one.</summary>
    /// <param name="path">Target file.</param>
    /// <param name="buffer">The buffer to save.</param>
    public static void Save(string path, ReplayBuffer buffer)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(buffer);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("replay buffer files are written on little-endian machines");
        }

        AtomicFile.Write(path, stream =>
        {
            var writer = new Writer(stream);
            Span<byte> header = stackalloc byte[16];
            Magic.CopyTo(header);
            BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Version);
            BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);
            writer.Write(header);
            long[] scalars = Scalars(buffer);
            for (int i = 0; i < s_scalarNames.Length; i++)
            {
                writer.Scalar(s_scalarNames[i], scalars[i]);
            }

            foreach (Section section in Sections(buffer.Options, buffer.Ledger.FilledRows))
            {
                WriteSection(writer, section, buffer);
            }

            Span<byte> checksum = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(checksum, writer.Checksum.Value);
            stream.Write(checksum);
        });
    }

    /// <summary>Loads a buffer, taking its shape from the file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="accelerator">Runs the loaded buffer's kernels; null uses <see cref="CpuAccelerator.Default"/>.</param>
    /// <exception cref="CheckpointException">The file is missing, not a replay buffer, from a newer version, truncated or corrupt.</exception>
    public static ReplayBuffer Load(string path, Accelerator? accelerator = null) => Load(path, expected: null, accelerator);

    /// <summary>Loads a buffer and checks that its shape is <paramref name="expected"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="expected">The options the caller's agent needs; null accepts any.</param>
    /// <param name="accelerator">Runs the loaded buffer's kernels; null uses <see cref="CpuAccelerator.Default"/>.</param>
    /// <exception cref="CheckpointException">The file cannot be read, is corrupt, or holds a buffer of another shape.</exception>
    public static ReplayBuffer Load(string path, ReplayBufferOptions? expected, Accelerator? accelerator = null) => Load(path, expected, accelerator, into: null);

    /// <summary>
    /// Loads a file into <paramref name="buffer"/>, which must have the file's shape: a resumed
    /// run keeps the buffer its trainer built (and every batch bound to it) and refills it.
    /// </summary>
    /// <exception cref="CheckpointException">The file cannot be read, is corrupt, or holds a buffer of another shape.</exception>
    public static void LoadInto(string path, ReplayBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        Load(path, buffer.Options, accelerator: null, into: buffer);
    }

    private static ReplayBuffer Load(string path, ReplayBufferOptions? expected, Accelerator? accelerator, ReplayBuffer? into)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new CheckpointException($"cannot read replay buffer '{path}': {exception.Message}", exception);
        }

        using (stream)
        {
            try
            {
                return Read(stream, path, expected, accelerator, into);
            }
            catch (EndOfStreamException exception)
            {
                throw new CheckpointException($"'{path}' is truncated: it ends in the middle of a section", exception);
            }
        }
    }

    /// <summary>
    /// Reads in an order that never trusts an unverified byte with anything costly: the header and
    /// scalars (a few hundred bytes), the file size they imply, the checksum over the whole file,
    /// and only then the buffer is allocated and filled.
    /// </summary>
    private static ReplayBuffer Read(FileStream stream, string path, ReplayBufferOptions? expected, Accelerator? accelerator, ReplayBuffer? into)
    {
        var reader = new Reader(stream);
        Span<byte> header = stackalloc byte[16];
        if (stream.Length < Magic.Length)
        {
            Span<byte> start = header[..(int)stream.Length];
            stream.ReadExactly(start);
            throw start.SequenceEqual(Magic[..start.Length])
                ? new CheckpointException($"'{path}' is truncated: {stream.Length} bytes, too short to hold a replay buffer header")
                : new CheckpointException($"'{path}' is not an Mtrl replay buffer file (wrong magic bytes)");
        }

        if (!ReadMagic(reader, header[..8]))
        {
            throw new CheckpointException($"'{path}' is not an Mtrl replay buffer file (wrong magic bytes)");
        }

        reader.Read(header[8..16]);
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version == 0 || version > Version)
        {
            throw new CheckpointException($"'{path}' has format version {version}; this build reads versions 1 to {Version}");
        }

        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        if (flags != 0)
        {
            throw new CheckpointException($"'{path}' is corrupt: unknown flags {flags:x8}");
        }

        var values = new long[s_scalarNames.Length];
        foreach (string name in version == 1 ? s_scalarNamesVersion1 : s_scalarNames)
        {
            values[Array.IndexOf(s_scalarNames, name)] = reader.Scalar(name, path);
        }

        ReplayBufferOptions options = OptionsOf(values, path);
        int rows = options.Rows;
        int position = Int(values, "position", 0, rows - 1, path);
        int filledRows = Int(values, "filledRows", 0, rows, path);
        if (filledRows < rows && position != filledRows)
        {
            throw new CheckpointException($"'{path}' is corrupt: position {position} and filled rows {filledRows} disagree");
        }

        // Options.Validate bounds every column to Array.MaxLength elements, so this sum cannot overflow.
        List<Section> sections = Sections(options, filledRows);
        long size = reader.Position + 8;
        foreach (Section section in sections)
        {
            size += 1 + 2 + Encoding.UTF8.GetByteCount(section.Name) + 8 + (section.Count * ElementSize(section.Kind));
        }

        if (stream.Length != size)
        {
            throw new CheckpointException(stream.Length < size
                ? $"'{path}' is truncated (or its header is damaged): {stream.Length} bytes, but its header describes {size}"
                : $"'{path}' is corrupt: {stream.Length} bytes, but its header describes {size}");
        }

        long afterScalars = reader.Position;
        VerifyChecksum(stream, path);
        stream.Position = afterScalars;

        // Per-task priority trees are derived from the stored priorities, so the file does not
        // record them: the caller's options decide whether the loaded buffer keeps them.
        if (expected is { TaskBalancedPriorities: true } && options.Prioritized) options = options with { TaskBalancedPriorities = true };
        if (expected is not null && expected != options)
        {
            throw new CheckpointException($"'{path}' holds a replay buffer of another shape: {Differences(options, expected)}");
        }

        ReplayBuffer buffer;
        try
        {
            buffer = into ?? new ReplayBuffer(options, accelerator);
        }
        catch (OutOfMemoryException exception)
        {
            throw new CheckpointException(
                $"'{path}' holds a replay buffer of capacity {options.Capacity} ({options.EnvCount} envs, observations {options.ObservationWidth} wide), which does not fit in memory",
                exception);
        }

        foreach (Section section in sections)
        {
            ReadSection(reader, section, buffer, path);
        }

        ulong computed = reader.Checksum.Value;
        Span<byte> trailer = stackalloc byte[8];
        stream.ReadExactly(trailer);
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(trailer);
        if (stored != computed)
        {
            throw new CheckpointException($"'{path}' changed while it was being read: checksum mismatch (stored {stored:x16}, computed {computed:x16})");
        }

        try
        {
            Restore(buffer, values, position, filledRows, path);
        }
        catch (Exception exception) when (exception is IndexOutOfRangeException or ArgumentException or InvalidOperationException)
        {
            // Only a file that passes its checksum gets here (a crafted one, or damage the checksum missed).
            throw new CheckpointException($"'{path}' is corrupt: its episode bookkeeping is inconsistent ({exception.Message})", exception);
        }

        return buffer;
    }

    /// <summary>Hashes every byte before the trailer and compares with it, then leaves the stream anywhere.</summary>
    private static void VerifyChecksum(FileStream stream, string path)
    {
        var checksum = new ReplayFileChecksum();
        byte[] chunk = new byte[(int)Math.Min(ChunkBytes, Math.Max(stream.Length, 8))];
        stream.Position = 0;
        long left = stream.Length - 8;
        while (left > 0)
        {
            Span<byte> part = chunk.AsSpan(0, (int)Math.Min(chunk.Length, left));
            stream.ReadExactly(part);
            checksum.Append(part);
            left -= part.Length;
        }

        Span<byte> trailer = chunk.AsSpan(0, 8);
        stream.ReadExactly(trailer);
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(trailer);
        if (stored != checksum.Value)
        {
            throw new CheckpointException($"'{path}' is corrupt: checksum mismatch (stored {stored:x16}, computed {checksum.Value:x16})");
        }
    }

    private static bool ReadMagic(Reader reader, Span<byte> magic)
    {
        reader.Read(magic);
        return magic.SequenceEqual(Magic);
    }

    private static void Restore(ReplayBuffer buffer, long[] values, int position, int filledRows, string path)
    {
        EpisodeLedger ledger = buffer.Ledger;
        ledger.Position = position;
        ledger.FilledRows = filledRows;
        int rows = buffer.Rows;
        for (int env = 0; env < buffer.Options.EnvCount; env++)
        {
            if ((uint)ledger.ValidStarts[env] >= (uint)rows || (uint)ledger.ValidCounts[env] > (uint)rows
                || (uint)ledger.CurrentStarts[env] >= (uint)rows || ledger.CurrentLengths[env] < 0
                || (uint)ledger.CurrentTasks[env] >= (uint)buffer.Options.TaskCount || (uint)ledger.Broken[env] > 1)
            {
                throw new CheckpointException($"'{path}' is corrupt: the episode state of env {env} is out of range");
            }
        }

        // Per slot: its episode's start and length in the ring, a sampleable slot inside its own
        // episode, a task id in range (samplers and HER index with all of them).
        Span<int> taskIds = buffer.Store.TaskIds;
        int envs = buffer.Options.EnvCount;
        for (int row = 0; row < filledRows; row++)
        {
            for (int env = 0; env < envs; env++)
            {
                int slot = (row * envs) + env;
                int start = ledger.EpisodeStarts[slot];
                int length = ledger.EpisodeLengths[slot];
                if ((uint)start >= (uint)rows || (uint)length > (uint)rows
                    || (length > 0 && (row - start + rows) % rows >= length)
                    || (uint)taskIds[slot] >= (uint)buffer.Options.TaskCount)
                {
                    throw new CheckpointException($"'{path}' is corrupt: the episode or task of env {env} at row {row} is out of range");
                }
            }
        }

        try
        {
            ledger.RecountTasks();
        }
        catch (Exception exception) when (exception is InvalidOperationException or IndexOutOfRangeException)
        {
            throw new CheckpointException($"'{path}' is corrupt: {exception.Message}", exception);
        }

        // Slot records are a mirror of the columns and the episode arrays, not part of the file.
        buffer.Store.RebuildRecords(ledger.EpisodeStarts, ledger.EpisodeLengths);

        if (buffer.Priorities is { } priorities)
        {
            priorities.MaxPriority = BitConverter.Int64BitsToDouble(Value(values, "maxPriority"));
            SumTree.Rebuild(priorities.Tree);
            priorities.RebuildTaskTrees();
        }

        buffer.RestoreCounters(Value(values, "stepsAdded"), (ulong)Value(values, "randomCounter"), Value(values, "balancedCalls"));
    }

    private static long[] Scalars(ReplayBuffer buffer)
    {
        ReplayBufferOptions o = buffer.Options;
        return
        [
            o.Capacity, o.EnvCount, o.ObservationWidth, o.ActionWidth, o.DiscreteActions ? 1 : 0, o.GoalWidth,
            (long)o.ObservationElementType, (long)o.GoalElementType, o.TaskCount,
            o.Prioritized ? 1 : 0, BitConverter.SingleToInt32Bits(o.PriorityExponent), BitConverter.SingleToInt32Bits(o.PriorityEpsilon),
            (long)o.Seed, (long)o.Stream,
            buffer.Ledger.Position, buffer.Ledger.FilledRows, buffer.StepsAdded, (long)buffer.RandomCounter, buffer.BalancedCalls,
            BitConverter.DoubleToInt64Bits(buffer.Priorities?.MaxPriority ?? 1d),
        ];
    }

    private static ReplayBufferOptions OptionsOf(long[] values, string path)
    {
        try
        {
            var options = new ReplayBufferOptions
            {
                Capacity = Int(values, "capacity", 1, int.MaxValue, path),
                EnvCount = Int(values, "envCount", 1, int.MaxValue, path),
                ObservationWidth = Int(values, "observationWidth", 1, int.MaxValue, path),
                ActionWidth = Int(values, "actionWidth", 1, int.MaxValue, path),
                DiscreteActions = Int(values, "discreteActions", 0, 1, path) == 1,
                GoalWidth = Int(values, "goalWidth", 0, int.MaxValue, path),
                ObservationElementType = ElementType(values, "observationElementType", path),
                GoalElementType = ElementType(values, "goalElementType", path),
                TaskCount = Int(values, "taskCount", 1, int.MaxValue, path),
                Prioritized = Int(values, "prioritized", 0, 1, path) == 1,
                PriorityExponent = BitConverter.Int32BitsToSingle(Int(values, "priorityExponent", int.MinValue, int.MaxValue, path)),
                PriorityEpsilon = BitConverter.Int32BitsToSingle(Int(values, "priorityEpsilon", int.MinValue, int.MaxValue, path)),
                Seed = (ulong)Value(values, "seed"),
                Stream = (ulong)Value(values, "stream"),
            };
            options.Validate();
            return options;
        }
        catch (ArgumentException exception)
        {
            throw new CheckpointException($"'{path}' is corrupt: its options are invalid ({exception.Message})", exception);
        }
    }

    private static string Differences(ReplayBufferOptions actual, ReplayBufferOptions expected)
    {
        var parts = new List<string>();
        void Compare<T>(string name, T a, T e)
        {
            if (!EqualityComparer<T>.Default.Equals(a, e))
            {
                parts.Add($"{name} is {a} in the file, {e} expected");
            }
        }

        Compare(nameof(ReplayBufferOptions.Capacity), actual.Capacity, expected.Capacity);
        Compare(nameof(ReplayBufferOptions.EnvCount), actual.EnvCount, expected.EnvCount);
        Compare(nameof(ReplayBufferOptions.ObservationWidth), actual.ObservationWidth, expected.ObservationWidth);
        Compare(nameof(ReplayBufferOptions.ActionWidth), actual.ActionWidth, expected.ActionWidth);
        Compare(nameof(ReplayBufferOptions.DiscreteActions), actual.DiscreteActions, expected.DiscreteActions);
        Compare(nameof(ReplayBufferOptions.GoalWidth), actual.GoalWidth, expected.GoalWidth);
        Compare(nameof(ReplayBufferOptions.ObservationElementType), actual.ObservationElementType, expected.ObservationElementType);
        Compare(nameof(ReplayBufferOptions.GoalElementType), actual.GoalElementType, expected.GoalElementType);
        Compare(nameof(ReplayBufferOptions.TaskCount), actual.TaskCount, expected.TaskCount);
        Compare(nameof(ReplayBufferOptions.Prioritized), actual.Prioritized, expected.Prioritized);
        Compare(nameof(ReplayBufferOptions.PriorityExponent), actual.PriorityExponent, expected.PriorityExponent);
        Compare(nameof(ReplayBufferOptions.PriorityEpsilon), actual.PriorityEpsilon, expected.PriorityEpsilon);
        Compare(nameof(ReplayBufferOptions.Seed), actual.Seed, expected.Seed);
        Compare(nameof(ReplayBufferOptions.Stream), actual.Stream, expected.Stream);
        return string.Join("; ", parts);
    }

    private static long Value(long[] values, string name) => values[Array.IndexOf(s_scalarNames, name)];

    private static ColumnElementType ElementType(long[] values, string name, string path)
    {
        long value = Value(values, name);
        if (value is not ((long)ColumnElementType.Float32 or (long)ColumnElementType.UInt8 or (long)ColumnElementType.Bit))
        {
            throw new CheckpointException($"'{path}' is corrupt: {name} = {value} is not an element type (0 = Float32, 1 = UInt8, 2 = Bit)");
        }

        return (ColumnElementType)value;
    }

    private static int Int(long[] values, string name, int minimum, int maximum, string path)
    {
        long value = Value(values, name);
        if (value < minimum || value > maximum)
        {
            throw new CheckpointException($"'{path}' is corrupt: {name} = {value} is outside [{minimum}, {maximum}]");
        }

        return (int)value;
    }

    /// <summary>The array sections of a buffer, in file order, with their element counts.</summary>
    private static List<Section> Sections(ReplayBufferOptions o, int filledRows)
    {
        long slots = (long)filledRows * o.EnvCount;
        var sections = new List<Section>
        {
            new("currentStarts", Kind.Int32, o.EnvCount),
            new("currentLengths", Kind.Int32, o.EnvCount),
            new("currentTasks", Kind.Int32, o.EnvCount),
            new("broken", Kind.Int32, o.EnvCount),
            new("validStarts", Kind.Int32, o.EnvCount),
            new("validCounts", Kind.Int32, o.EnvCount),
            Column("observations", o.ObservationElementType, o.ObservationWidth, slots),
            Column("nextObservations", o.ObservationElementType, o.ObservationWidth, slots),
            o.DiscreteActions ? new("discreteActions", Kind.Int32, slots * o.ActionWidth) : new("actions", Kind.Float32, slots * o.ActionWidth),
            new("rewards", Kind.Float32, slots),
            new("terminated", Kind.UInt8, slots),
            new("truncated", Kind.UInt8, slots),
            new("taskIds", Kind.Int32, slots),
        };
        if (o.GoalWidth > 0)
        {
            sections.Add(Column("achievedGoals", o.GoalElementType, o.GoalWidth, slots));
            sections.Add(Column("nextAchievedGoals", o.GoalElementType, o.GoalWidth, slots));
            sections.Add(Column("desiredGoals", o.GoalElementType, o.GoalWidth, slots));
        }

        sections.Add(new("episodeStarts", Kind.Int32, slots));
        sections.Add(new("episodeLengths", Kind.Int32, slots));
        if (o.Prioritized)
        {
            sections.Add(new("priorities", Kind.Float64, slots));
        }

        return sections;
    }

    /// <summary>An observation or goal column: float32 elements, or the bytes of its encoded rows.</summary>
    private static Section Column(string name, ColumnElementType type, int width, long slots) => type == ColumnElementType.Float32
        ? new(name, Kind.Float32, slots * width)
        : new(name, Kind.UInt8, slots * ColumnEncoding.RowBytes(type, width));

    /// <summary>
    /// Elements [<paramref name="start"/>, + <paramref name="count"/>) of the storage behind a
    /// section, as bytes (a few megabytes at a time: a whole column can exceed 2 GiB of bytes).
    /// </summary>
    private static Span<byte> BytesOf(ReplayBuffer buffer, string name, int start, int count)
    {
        TransitionStore s = buffer.Store;
        EpisodeLedger l = buffer.Ledger;
        return name switch
        {
            "currentStarts" => Bytes(l.CurrentStarts.AsSpan(start, count)),
            "currentLengths" => Bytes(l.CurrentLengths.AsSpan(start, count)),
            "currentTasks" => Bytes(l.CurrentTasks.AsSpan(start, count)),
            "broken" => Bytes(l.Broken.AsSpan(start, count)),
            "validStarts" => Bytes(l.ValidStarts.AsSpan(start, count)),
            "validCounts" => Bytes(l.ValidCounts.AsSpan(start, count)),
            "observations" => Column(s.Observations, s.EncodedObservations, start, count),
            "nextObservations" => Column(s.NextObservations, s.EncodedNextObservations, start, count),
            "actions" => Bytes(s.Actions.Slice(start, count)),
            "discreteActions" => Bytes(s.DiscreteActions.Slice(start, count)),
            "rewards" => Bytes(s.Rewards.Slice(start, count)),
            "terminated" => s.Terminated.Slice(start, count),
            "truncated" => s.Truncated.Slice(start, count),
            "taskIds" => Bytes(s.TaskIds.Slice(start, count)),
            "achievedGoals" => Column(s.AchievedGoals, s.EncodedAchievedGoals, start, count),
            "nextAchievedGoals" => Column(s.NextAchievedGoals, s.EncodedNextAchievedGoals, start, count),
            "desiredGoals" => Column(s.DesiredGoals, s.EncodedDesiredGoals, start, count),
            "episodeStarts" => Bytes(l.EpisodeStarts.AsSpan(start, count)),
            "episodeLengths" => Bytes(l.EpisodeLengths.AsSpan(start, count)),

            // Priority leaves sit behind the tree's internal nodes.
            "priorities" => Bytes(buffer.Priorities!.Tree.AsSpan(buffer.Options.Capacity + start, count)),
            _ => throw new InvalidOperationException($"unknown section '{name}'"),
        };
    }

    private static void WriteSection(Writer writer, Section section, ReplayBuffer buffer)
    {
        writer.SectionHeader(section.Kind, section.Name);
        Span<byte> count = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(count, (ulong)section.Count);
        writer.Write(count);
        int chunk = ChunkBytes / ElementSize(section.Kind);
        for (long done = 0; done < section.Count; done += chunk)
        {
            writer.Write(BytesOf(buffer, section.Name, (int)done, (int)Math.Min(chunk, section.Count - done)));
        }
    }

    private static void ReadSection(Reader reader, Section section, ReplayBuffer buffer, string path)
    {
        reader.SectionHeader(section.Kind, section.Name, path);
        Span<byte> countBytes = stackalloc byte[8];
        reader.Read(countBytes);
        ulong count = BinaryPrimitives.ReadUInt64LittleEndian(countBytes);
        if (count != (ulong)section.Count)
        {
            throw new CheckpointException($"'{path}' is corrupt: section '{section.Name}' holds {count} elements, expected {section.Count}");
        }

        int chunk = ChunkBytes / ElementSize(section.Kind);
        for (long done = 0; done < section.Count; done += chunk)
        {
            reader.Read(BytesOf(buffer, section.Name, (int)done, (int)Math.Min(chunk, section.Count - done)));
        }
    }

    /// <summary>Elements of whichever representation the column uses (the other one is empty).</summary>
    private static Span<byte> Column(Span<float> floats, Span<byte> encoded, int start, int count)
        => floats.IsEmpty ? encoded.Slice(start, count) : Bytes(floats.Slice(start, count));

    private static Span<byte> Bytes<T>(Span<T> values)
        where T : unmanaged
        => MemoryMarshal.AsBytes(values);

    private static int ElementSize(Kind kind) => kind switch
    {
        Kind.Float32 or Kind.Int32 => 4,
        Kind.UInt8 => 1,
        _ => 8,
    };

    private readonly record struct Section(string Name, Kind Kind, long Count);

    /// <summary>Writes bytes to the stream and into the running checksum.</summary>
    private sealed class Writer(Stream stream)
    {
        public ReplayFileChecksum Checksum { get; } = new();

        public void Write(ReadOnlySpan<byte> bytes)
        {
            Checksum.Append(bytes);
            stream.Write(bytes);
        }

        public void SectionHeader(Kind kind, string name)
        {
            byte[] nameBytes = Encoding.UTF8.GetBytes(name);
            Span<byte> head = stackalloc byte[3];
            head[0] = (byte)kind;
            BinaryPrimitives.WriteUInt16LittleEndian(head[1..], (ushort)nameBytes.Length);
            Write(head);
            Write(nameBytes);
        }

        public void Scalar(string name, long value)
        {
            SectionHeader(Kind.Int64, name);
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
            Write(bytes);
        }
    }

    /// <summary>Reads exact byte counts (end of file throws <see cref="EndOfStreamException"/>) into the running checksum.</summary>
    private sealed class Reader(Stream stream)
    {
        public ReplayFileChecksum Checksum { get; } = new();

        public long Position => stream.Position;

        public void Read(Span<byte> destination)
        {
            stream.ReadExactly(destination);
            Checksum.Append(destination);
        }

        public void SectionHeader(Kind kind, string name, string path)
        {
            Span<byte> head = stackalloc byte[3];
            Read(head);
            int length = BinaryPrimitives.ReadUInt16LittleEndian(head[1..]);
            if (length > 64)
            {
                throw new CheckpointException($"'{path}' is corrupt: expected section '{name}', found a name of {length} bytes");
            }

            Span<byte> nameBytes = stackalloc byte[length];
            Read(nameBytes);
            string found = Encoding.UTF8.GetString(nameBytes);
            if (found != name || head[0] != (byte)kind)
            {
                throw new CheckpointException($"'{path}' is corrupt: expected section '{name}' of kind {kind}, found '{found}' of kind {head[0]}");
            }
        }

        public long Scalar(string name, string path)
        {
            SectionHeader(Kind.Int64, name, path);
            Span<byte> bytes = stackalloc byte[8];
            Read(bytes);
            return BinaryPrimitives.ReadInt64LittleEndian(bytes);
        }
    }
}
