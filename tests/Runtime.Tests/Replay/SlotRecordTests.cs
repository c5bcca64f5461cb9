using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Runtime.Tests.Replay;

/// <summary>
/// Slot records (one cache-line record per slot mirroring its fields and episode, kept where they
/// fit) change where the gather reads, never what it returns: a buffer with records samples exactly
/// the batches of the same buffer without them — every sampler, both layouts, one and two threads,
/// across ring wraps, invalidated episodes, truncation and a save / load — and the records always
/// equal the columns.
/// </summary>
public sealed class SlotRecordTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-records-" + Guid.NewGuid().ToString("N"));

    public SlotRecordTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(40, 40, ColumnElementType.Bit, ColumnElementType.Bit, 1, true, 64)] // BitFlip: 47 bytes
    [InlineData(13, 9, ColumnElementType.Bit, ColumnElementType.Bit, 1, true, 32)] // 32 bytes exactly
    [InlineData(1, 1, ColumnElementType.Bit, ColumnElementType.Bit, 1, true, 32)]
    [InlineData(7, 5, ColumnElementType.UInt8, ColumnElementType.UInt8, 1, true, 64)]
    [InlineData(2, 1, ColumnElementType.Float32, ColumnElementType.Float32, 1, true, 64)] // float rows in the record
    [InlineData(3, 0, ColumnElementType.Bit, ColumnElementType.Float32, 1, true, 32)] // no goals
    [InlineData(56, 56, ColumnElementType.Bit, ColumnElementType.Bit, 2, false, 64)] // two continuous actions, 62 bytes
    [InlineData(72, 40, ColumnElementType.Bit, ColumnElementType.Bit, 3, true, 64)] // 9-byte observations: encoded batches not packed; three discrete actions
    public void RecordsSampleExactlyTheColumnBatches(
        int observationWidth, int goalWidth, ColumnElementType observations, ColumnElementType goals, int actionWidth, bool discrete, int stride)
    {
        ReplayBufferOptions options = new()
        {
            Capacity = 1200, EnvCount = 4, ObservationWidth = observationWidth, ActionWidth = actionWidth, DiscreteActions = discrete,
            GoalWidth = goalWidth, ObservationElementType = observations, GoalElementType = goals, TaskCount = 3, Prioritized = true, Seed = 5,
        };
        using var two = new CpuAccelerator(2, minimumGrain: 1);
        ReplayBuffer columns = new(options, CpuAccelerator.Sequential, slotRecords: false);
        ReplayBuffer records = new(options, CpuAccelerator.Sequential);
        ReplayBuffer parallel = new(options, two);
        ReplayBuffer reversed = new(options, new ReversedChunks()); // a later chunk written first: no row may spill into it
        Assert.Equal(0, columns.Store.RecordLayout.Stride);
        Assert.Equal(stride, records.Store.RecordLayout.Stride);
        Assert.Equal(1200 * stride, records.Store.Records.Length);
        var episodes = new Episodes(seed: observationWidth + goalWidth);
        episodes.Run(700, columns, records, parallel, reversed); // wraps the 300-row ring twice
        AssertRecordsMirrorColumns(records);

        foreach (BatchLayout layout in new[] { BatchLayout.Decoded, BatchLayout.Encoded })
        {
            if (layout == BatchLayout.Encoded && observations == ColumnElementType.Float32)
            {
                continue;
            }

            ReplayBatch expected = columns.CreateBatch(500, layout);
            ReplayBatch a = records.CreateBatch(500, layout);
            ReplayBatch b = parallel.CreateBatch(500, layout);
            ReplayBatch d = reversed.CreateBatch(500, layout);
            var priorities = Enumerable.Range(0, 500).Select(i => (float)(i % 13)).ToArray();
            var reward = new ThresholdGoalReward(0f, terminateOnSuccess: true);
            Check(buffer => buffer.SampleUniform);
            Check(buffer => buffer.SampleBalanced);
            Check(buffer => batch => buffer.SamplePrioritized(batch, 0.5f));
            columns.UpdatePriorities(expected.Slots, priorities);
            records.UpdatePriorities(a.Slots, priorities);
            parallel.UpdatePriorities(b.Slots, priorities);
            reversed.UpdatePriorities(d.Slots, priorities);
            if (goalWidth > 0)
            {
                Check(buffer => batch => buffer.SampleHer(batch, HerOptions.Default, reward));
                Check(buffer => batch => buffer.SampleHer(batch, new HerOptions(HerGoalStrategy.Episode, 2), reward));
                Check(buffer => batch =>
                {
                    buffer.SamplePrioritized(batch, 1f);
                    buffer.Relabel(batch, new HerOptions(HerGoalStrategy.Final, 3), reward);
                });
            }

            void Check(Func<ReplayBuffer, Action<ReplayBatch>> sample)
            {
                sample(columns)(expected);
                sample(records)(a);
                sample(parallel)(b);
                sample(reversed)(d);
                AssertSameBatch(expected, a);
                AssertSameBatch(expected, b);
                AssertSameBatch(expected, d);
            }
        }

        // Truncation rewrites flags and lengths of stored slots: the records follow.
        foreach (ReplayBuffer buffer in new[] { columns, records, parallel, reversed })
        {
            buffer.TruncateUnfinishedEpisodes();
        }

        AssertRecordsMirrorColumns(records);
        ReplayBatch c = columns.CreateBatch(300);
        ReplayBatch r = records.CreateBatch(300);
        columns.SampleUniform(c);
        records.SampleUniform(r);
        AssertSameBatch(c, r);

        // A loaded buffer rebuilds its records from the file's columns and episodes.
        string path = Path.Combine(_directory, "records.mtrlreplay");
        records.Save(path);
        ReplayBuffer loaded = ReplayBufferFile.Load(path, options, CpuAccelerator.Sequential);
        AssertRecordsMirrorColumns(loaded);
        episodes.Run(90, columns, loaded);
        AssertRecordsMirrorColumns(loaded);
        columns.SampleUniform(c);
        loaded.SampleUniform(r);
        AssertSameBatch(c, r);
    }

    [Fact]
    public void RecordsAreKeptOnlyWhereASlotFitsInOneCacheLine()
    {
        Assert.Equal(64, SlotRecordLayout.For(ColumnElementType.Bit, 40, 1, ColumnElementType.Bit, 40).Stride);
        Assert.Equal(47, SlotRecordLayout.For(ColumnElementType.Bit, 40, 1, ColumnElementType.Bit, 40).UsedBytes);
        Assert.Equal(0, SlotRecordLayout.For(ColumnElementType.Float32, 40, 1, ColumnElementType.Float32, 40).Stride);
        Assert.Equal(0, SlotRecordLayout.For(ColumnElementType.UInt8, 40, 1, ColumnElementType.UInt8, 40).Stride);
        Assert.Equal(0, SlotRecordLayout.For(ColumnElementType.Bit, 128, 1, ColumnElementType.Bit, 40).Stride); // 16 + 16 + 15 + 22 = 69
        Assert.Equal(64, SlotRecordLayout.For(ColumnElementType.Bit, 72, 1, ColumnElementType.Bit, 40).Stride); // 9 + 9 + 15 + 22 = 55
        Assert.Equal(0, SlotRecordLayout.For(ColumnElementType.Float32, int.MaxValue, 1, ColumnElementType.Float32, 0).Stride);
    }

    [Fact]
    public void AGatherRefusesARecordLayoutOfAnotherShape()
    {
        ReplayBufferOptions options = new()
        {
            Capacity = 40, EnvCount = 4, ObservationWidth = 40, DiscreteActions = true, GoalWidth = 40,
            ObservationElementType = ColumnElementType.Bit, GoalElementType = ColumnElementType.Bit,
        };
        ReplayBuffer buffer = new(options, CpuAccelerator.Sequential);
        ReplayBatch batch = buffer.CreateBatch(8, BatchLayout.Encoded);
        string message = "";
        try
        {
            int[] prefix = [0, 1, 1, 1, 1];
            var selector = new UniformSlotSelector(buffer.Episodes, prefix, 1, 2, 3);
            TransitionColumns columns = buffer.Columns;
            TransitionColumns wrong = columns with { RecordLayout = columns.RecordLayout with { DesiredGoal = 1000 } };
            TransitionGather.Gather(wrong, batch.Columns, selector, CpuAccelerator.Sequential);
        }
        catch (ArgumentException error)
        {
            message = error.Message;
        }

        Assert.Contains("RecordLayout", message);
    }

    /// <summary>Every written slot's record holds exactly its columns' values and its episode start and length.</summary>
    private static void AssertRecordsMirrorColumns(ReplayBuffer buffer)
    {
        TransitionStore s = buffer.Store;
        SlotRecordLayout layout = s.RecordLayout;
        ReplayBufferOptions o = buffer.Options;
        int stored = buffer.Count;
        int obsBytes = ColumnEncoding.RowBytes(o.ObservationElementType, o.ObservationWidth);
        int goalBytes = o.GoalWidth == 0 ? 0 : ColumnEncoding.RowBytes(o.GoalElementType, o.GoalWidth);
        for (int slot = 0; slot < stored; slot++)
        {
            ReadOnlySpan<byte> record = s.Records.Slice(slot * layout.Stride, layout.Stride);
            int a = o.ActionWidth;
            ReadOnlySpan<byte> action = o.DiscreteActions
                ? MemoryMarshal.AsBytes(s.DiscreteActions.Slice(slot * a, a))
                : MemoryMarshal.AsBytes(s.Actions.Slice(slot * a, a));
            Assert.True(action.SequenceEqual(record.Slice(layout.Action, 4 * a)));
            Assert.Equal(s.Rewards[slot], BitConverter.ToSingle(record[layout.Reward..]));
            Assert.Equal(s.TaskIds[slot], BitConverter.ToInt32(record[layout.TaskId..]));
            Assert.Equal(buffer.Ledger.EpisodeStarts[slot], BitConverter.ToInt32(record[layout.EpisodeStart..]));
            Assert.Equal(buffer.Ledger.EpisodeLengths[slot], BitConverter.ToInt32(record[layout.EpisodeLength..]));
            Assert.Equal(s.Terminated[slot], record[layout.Terminated]);
            Assert.Equal(s.Truncated[slot], record[layout.Truncated]);
            Assert.True(Row(s.Observations, s.EncodedObservations, slot, obsBytes).SequenceEqual(record.Slice(layout.Observation, obsBytes)));
            Assert.True(Row(s.NextObservations, s.EncodedNextObservations, slot, obsBytes).SequenceEqual(record.Slice(layout.NextObservation, obsBytes)));
            if (goalBytes > 0)
            {
                Assert.True(Row(s.AchievedGoals, s.EncodedAchievedGoals, slot, goalBytes).SequenceEqual(record.Slice(layout.AchievedGoal, goalBytes)));
                Assert.True(Row(s.NextAchievedGoals, s.EncodedNextAchievedGoals, slot, goalBytes).SequenceEqual(record.Slice(layout.NextAchievedGoal, goalBytes)));
                Assert.True(Row(s.DesiredGoals, s.EncodedDesiredGoals, slot, goalBytes).SequenceEqual(record.Slice(layout.DesiredGoal, goalBytes)));
            }
        }

        static ReadOnlySpan<byte> Row(Span<float> floats, Span<byte> encoded, int slot, int rowBytes)
            => floats.IsEmpty ? encoded.Slice(slot * rowBytes, rowBytes) : MemoryMarshal.AsBytes(floats).Slice(slot * rowBytes, rowBytes);
    }

    /// <summary>Every field of two batches, encoded ones included, is equal.</summary>
    private static void AssertSameBatch(ReplayBatch a, ReplayBatch b)
    {
        SamplingTests.AssertSame(a, b);
        Assert.Equal(a.DiscreteActions, b.DiscreteActions);
        Assert.Equal(a.EncodedObservations, b.EncodedObservations);
        Assert.Equal(a.EncodedNextObservations, b.EncodedNextObservations);
        Assert.Equal(a.EncodedAchievedGoals, b.EncodedAchievedGoals);
        Assert.Equal(a.EncodedNextAchievedGoals, b.EncodedNextAchievedGoals);
        Assert.Equal(a.EncodedDesiredGoals, b.EncodedDesiredGoals);
    }

    /// <summary>Runs chunked launches on the calling thread in chunks of the grain, the last chunk first.</summary>
    private sealed class ReversedChunks : Accelerator
    {
        public override int DegreeOfParallelism => 1;

        public override void Launch<TKernel>(int length, in TKernel kernel) => CpuAccelerator.Sequential.Launch(length, in kernel);

        public override void Launch<TKernel>(int rows, int columns, in TKernel kernel) => CpuAccelerator.Sequential.Launch(rows, columns, in kernel);

        public override void LaunchChunked<TKernel>(int length, int grain, in TKernel kernel)
        {
            int chunk = Math.Max(grain, 1);
            for (int start = (length - 1) / chunk * chunk; start >= 0; start -= chunk)
            {
                kernel.Execute(start, Math.Min(start + chunk, length));
            }
        }
    }

    /// <summary>Random episodes of 1 to 12 steps with 0/1 observations and goals, a task per episode, success by a coin.</summary>
    private sealed class Episodes(int seed)
    {
        private readonly Random _random = new(seed);
        private int[] _remaining = [];
        private int[] _tasks = [];

        public void Run(int steps, params ReplayBuffer[] buffers)
        {
            ReplayBufferOptions o = buffers[0].Options;
            int n = o.EnvCount;
            if (_remaining.Length == 0)
            {
                _remaining = new int[n];
                _tasks = new int[n];
            }

            for (int step = 0; step < steps; step++)
            {
                float[] observations = Bits(n * o.ObservationWidth);
                float[] next = Bits(n * o.ObservationWidth);
                float[] achieved = Bits(n * o.GoalWidth);
                float[] nextAchieved = Bits(n * o.GoalWidth);
                float[] desired = Bits(n * o.GoalWidth);
                var discrete = new int[o.DiscreteActions ? n * o.ActionWidth : 0];
                var actions = new float[o.DiscreteActions ? 0 : n * o.ActionWidth];
                var rewards = new float[n];
                var terminated = new bool[n];
                var truncated = new bool[n];
                var tasks = new int[n];
                for (int i = 0; i < discrete.Length; i++)
                {
                    discrete[i] = _random.Next(1000);
                }

                for (int i = 0; i < actions.Length; i++)
                {
                    actions[i] = (float)_random.NextDouble();
                }

                for (int e = 0; e < n; e++)
                {
                    if (_remaining[e] == 0)
                    {
                        _remaining[e] = _random.Next(1, 13);
                        _tasks[e] = _random.Next(o.TaskCount);
                    }

                    tasks[e] = _tasks[e];
                    bool success = _random.Next(6) == 0;
                    rewards[e] = success ? 0f : -1f;
                    _remaining[e] = success ? 0 : _remaining[e] - 1;
                    terminated[e] = success;
                    truncated[e] = !success && _remaining[e] == 0;
                }

                foreach (ReplayBuffer buffer in buffers)
                {
                    buffer.Add(new ReplayStep
                    {
                        Observations = observations, NextObservations = next, Actions = actions, DiscreteActions = discrete, Rewards = rewards,
                        Terminated = terminated, Truncated = truncated, TaskIds = tasks,
                        AchievedGoals = achieved, NextAchievedGoals = nextAchieved, DesiredGoals = desired,
                    });
                }
            }
        }

        private float[] Bits(int count)
        {
            var values = new float[count];
            for (int i = 0; i < count; i++)
            {
                values[i] = _random.Next(2);
            }

            return values;
        }
    }
}
