using System;
using System.IO;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Runtime.Tests.Replay;

/// <summary>
/// Buffers that store observations and goals as bytes or bits must sample exactly the batches a
/// float32 buffer fed the same steps samples — every sampler, one and two threads — and save,
/// load and refuse bad input as clearly.
/// </summary>
public sealed class CompactStorageTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-compact-" + Guid.NewGuid().ToString("N"));

    public CompactStorageTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(13, 9, ColumnElementType.Bit, ColumnElementType.Bit, 1, BatchLayout.Decoded)]
    [InlineData(40, 40, ColumnElementType.Bit, ColumnElementType.Bit, 1, BatchLayout.Decoded)]
    [InlineData(70, 65, ColumnElementType.Bit, ColumnElementType.Bit, 1, BatchLayout.Decoded)]
    [InlineData(17, 7, ColumnElementType.UInt8, ColumnElementType.UInt8, 1, BatchLayout.Decoded)]
    [InlineData(33, 40, ColumnElementType.UInt8, ColumnElementType.Bit, 255, BatchLayout.Decoded)]
    [InlineData(16, 3, ColumnElementType.Float32, ColumnElementType.Bit, 1, BatchLayout.Decoded)]
    [InlineData(13, 9, ColumnElementType.Bit, ColumnElementType.Bit, 1, BatchLayout.Encoded)]
    [InlineData(40, 40, ColumnElementType.Bit, ColumnElementType.Bit, 1, BatchLayout.Encoded)]
    [InlineData(17, 7, ColumnElementType.UInt8, ColumnElementType.UInt8, 1, BatchLayout.Encoded)]
    [InlineData(33, 40, ColumnElementType.UInt8, ColumnElementType.Bit, 255, BatchLayout.Encoded)]
    [InlineData(16, 3, ColumnElementType.Float32, ColumnElementType.UInt8, 1, BatchLayout.Encoded)]
    public void CompactBuffersSampleExactlyTheFloatBatchesOnOneAndTwoThreads(
        int observationWidth, int goalWidth, ColumnElementType observations, ColumnElementType goals, int observationMaximum, BatchLayout layout)
    {
        using var two = new CpuAccelerator(2, minimumGrain: 1);
        ReplayBufferOptions floats = Options(observationWidth, goalWidth);
        ReplayBufferOptions compact = floats with { ObservationElementType = observations, GoalElementType = goals };
        ReplayBuffer reference = new(floats, CpuAccelerator.Sequential);
        ReplayBuffer one = new(compact, CpuAccelerator.Sequential);
        ReplayBuffer parallel = new(compact, two);
        new BinaryEpisodes(observationMaximum, seed: observationWidth).Run(700, reference, one, parallel);

        ReplayBatch expected = reference.CreateBatch(500);
        ReplayBatch a = one.CreateBatch(500, layout);
        ReplayBatch b = parallel.CreateBatch(500, layout);
        var priorities = Enumerable.Range(0, 500).Select(i => (float)(i % 11)).ToArray();
        foreach (bool terminate in new[] { true, false })
        {
            var reward = new ThresholdGoalReward(0f, terminate);
            Check(batch => batch.SampleUniform);
            Check(batch => batch.SampleBalanced);
            Check(buffer => batch => buffer.SamplePrioritized(batch, 0.6f));
            reference.UpdatePriorities(expected.Slots, priorities);
            one.UpdatePriorities(a.Slots, priorities);
            parallel.UpdatePriorities(b.Slots, priorities);
            Check(buffer => batch => buffer.SampleHer(batch, HerOptions.Default, reward));
            Check(buffer => batch => buffer.SampleHer(batch, new HerOptions(HerGoalStrategy.Final, 1), reward));
            Check(buffer => batch =>
            {
                buffer.SampleBalanced(batch);
                buffer.Relabel(batch, new HerOptions(HerGoalStrategy.Episode, 3), reward);
            });
            Assert.Contains(0f, a.Rewards.AsSpan(a.RelabeledStart).ToArray()); // both reward outcomes occur
            Assert.Contains(-1f, a.Rewards.AsSpan(a.RelabeledStart).ToArray());
        }

        void Check(Func<ReplayBuffer, Action<ReplayBatch>> sample)
        {
            foreach ((ReplayBuffer buffer, ReplayBatch batch) in new[] { (reference, expected), (one, a), (parallel, b) })
            {
                ReplayTestBuffers.Poison(batch);
                sample(buffer)(batch);
                ReplayTestBuffers.AssertFullyWritten(batch);
            }

            AssertSameDecoded(expected, a);
            AssertSameDecoded(expected, b);
        }
    }

    [Fact]
    public void BitGoalsUseThePackedRewardForStructAndClassRewardsAndFloatGoalsTheFloatOne()
    {
        ReplayBuffer bits = new(Options(8, 8) with { GoalElementType = ColumnElementType.Bit });
        ReplayBuffer floats = new(Options(8, 8));
        new BinaryEpisodes(1, seed: 2).Run(100, bits, floats);
        ReplayBatch a = bits.CreateBatch(20);
        ReplayBatch b = floats.CreateBatch(20);
        bits.SampleHer(a, HerOptions.Default, new MarkingReward());
        floats.SampleHer(b, HerOptions.Default, new MarkingReward());
        Assert.All(a.Rewards.AsSpan(a.RelabeledStart).ToArray(), r => Assert.Equal(MarkingReward.Packed, r));
        Assert.All(b.Rewards.AsSpan(b.RelabeledStart).ToArray(), r => Assert.Equal(MarkingReward.Floats, r));
        bits.SampleHer(a, HerOptions.Default, new MarkingRewardClass());
        Assert.All(a.Rewards.AsSpan(a.RelabeledStart).ToArray(), r => Assert.Equal(MarkingReward.Packed, r));
        bits.SampleHer(a, HerOptions.Default, (IGoalReward)new MarkingRewardClass());
        Assert.All(a.Rewards.AsSpan(a.RelabeledStart).ToArray(), r => Assert.Equal(MarkingReward.Packed, r));
    }

    [Theory]
    [InlineData(ColumnElementType.Bit)]
    [InlineData(ColumnElementType.UInt8)]
    public void ARewardOverFloatsGetsDecodedGoalsFromAnEncodedBatch(ColumnElementType goals)
    {
        ReplayBuffer compact = new(Options(8, 11) with { GoalElementType = goals });
        ReplayBuffer floats = new(Options(8, 11));
        new BinaryEpisodes(1, seed: 12).Run(200, compact, floats);
        ReplayBatch a = compact.CreateBatch(300, BatchLayout.Encoded);
        ReplayBatch b = floats.CreateBatch(300);
        var reward = new FloatOnlyReward(new ThresholdGoalReward(0f, terminateOnSuccess: true));
        compact.SampleHer(a, HerOptions.Default, reward);
        floats.SampleHer(b, HerOptions.Default, reward);
        Assert.Equal(b.Rewards, a.Rewards);
        Assert.Equal(b.Terminated, a.Terminated);
        Assert.Contains(0f, a.Rewards.AsSpan(a.RelabeledStart).ToArray());
        compact.SampleHer(a, HerOptions.Default, (IGoalReward)reward);
        floats.SampleHer(b, HerOptions.Default, (IGoalReward)reward);
        Assert.Equal(b.Rewards, a.Rewards);
    }

    [Fact]
    public void HerSamplingFromBitStorageAllocatesNothing()
    {
        ReplayBuffer buffer = new(Options(40, 40) with
        {
            ObservationElementType = ColumnElementType.Bit, GoalElementType = ColumnElementType.Bit, Prioritized = true,
        });
        new BinaryEpisodes(1, seed: 3).Run(400, buffer);
        ReplayBatch batch = buffer.CreateBatch(256);
        ReplayBatch encoded = buffer.CreateBatch(256, BatchLayout.Encoded);
        var reward = new ThresholdGoalReward(0f, terminateOnSuccess: true);
        void SampleAll()
        {
            buffer.SampleHer(encoded, HerOptions.Default, reward);
            buffer.SampleHer(batch, HerOptions.Default, reward);
            buffer.SampleBalanced(batch);
            buffer.Relabel(batch, HerOptions.Default, reward);
            buffer.SamplePrioritized(batch, 0.5f);
        }

        SampleAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            SampleAll();
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void BitStorageTakesAnEighthOfAByteObservationAndAQuarterOfTheFloatBytesAsUInt8()
    {
        ReplayBuffer bits = new(Options(40, 40) with { ObservationElementType = ColumnElementType.Bit, GoalElementType = ColumnElementType.Bit });
        ReplayBuffer bytes = new(Options(40, 40) with { ObservationElementType = ColumnElementType.UInt8, GoalElementType = ColumnElementType.UInt8 });
        Assert.Equal(1200 * 5, bits.Store.EncodedObservations.Length);
        Assert.Equal(1200 * 5, bits.Store.EncodedDesiredGoals.Length);
        Assert.Equal(1200 * 40, bytes.Store.EncodedNextAchievedGoals.Length);
        Assert.True(bits.Store.Observations.IsEmpty && bits.Store.DesiredGoals.IsEmpty && bits.Columns.Observations.IsEmpty);
    }

    [Theory]
    [InlineData(ColumnElementType.Bit, ColumnElementType.Bit, 1)]
    [InlineData(ColumnElementType.UInt8, ColumnElementType.Bit, 255)]
    [InlineData(ColumnElementType.Bit, ColumnElementType.UInt8, 1)]
    public void ACompactBufferRoundTripsThroughItsFileAndContinuesIdentically(ColumnElementType observations, ColumnElementType goals, int maximum)
    {
        ReplayBufferOptions options = Options(40, 9) with { ObservationElementType = observations, GoalElementType = goals, Prioritized = true };
        ReplayBuffer original = new(options, CpuAccelerator.Sequential);
        var episodes = new BinaryEpisodes(maximum, seed: 8);
        episodes.Run(500, original);
        ReplayBatch batch = original.CreateBatch(64);
        var reward = new ThresholdGoalReward(0f, terminateOnSuccess: true);
        original.SampleHer(batch, HerOptions.Default, reward);

        string path = Path.Combine(_directory, "compact.mtrlreplay");
        original.Save(path);
        ReplayBuffer loaded = ReplayBufferFile.Load(path, options, CpuAccelerator.Sequential);
        Assert.Equal(options, loaded.Options);
        Assert.True(original.Store.EncodedObservations.SequenceEqual(loaded.Store.EncodedObservations) || observations == ColumnElementType.Float32);
        Assert.True(original.Store.EncodedNextAchievedGoals.SequenceEqual(loaded.Store.EncodedNextAchievedGoals));
        Assert.True(original.Store.EncodedDesiredGoals.SequenceEqual(loaded.Store.EncodedDesiredGoals));

        ReplayBatch b = loaded.CreateBatch(64);
        for (int round = 0; round < 3; round++)
        {
            original.SampleHer(batch, HerOptions.Default, reward);
            loaded.SampleHer(b, HerOptions.Default, reward);
            SamplingTests.AssertSame(batch, b);
            episodes.Run(37, original, loaded);
        }

        // The element types are part of the shape: a float32 agent is told what differs.
        CheckpointException error = Assert.Throws<CheckpointException>(() => ReplayBufferFile.Load(path, Options(40, 9) with { Prioritized = true }));
        Assert.Contains($"GoalElementType is {goals} in the file, Float32 expected", error.Message);
    }

    [Fact]
    public void VersionOneFilesStillLoadAsFloat32()
    {
        ReplayBufferOptions options = Options(6, 4);
        ReplayBuffer original = new(options, CpuAccelerator.Sequential);
        new BinaryEpisodes(1, seed: 5).Run(300, original);
        string path = Path.Combine(_directory, "v2.mtrlreplay");
        original.Save(path);

        // Rewrite the file as version 1 wrote it: no element-type scalars, version 1, new checksum.
        byte[] bytes = File.ReadAllBytes(path);
        byte[] version1 = RemoveScalar(RemoveScalar(bytes[..^8], "observationElementType"), "goalElementType");
        version1[8] = 1;
        var checksum = new ReplayFileChecksum();
        checksum.Append(version1);
        string oldPath = Path.Combine(_directory, "v1.mtrlreplay");
        File.WriteAllBytes(oldPath, [.. version1, .. BitConverter.GetBytes(checksum.Value)]);

        ReplayBuffer loaded = ReplayBufferFile.Load(oldPath, options, CpuAccelerator.Sequential);
        ReplayBatch a = original.CreateBatch(50);
        ReplayBatch b = loaded.CreateBatch(50);
        original.SampleHer(a, HerOptions.Default, new ThresholdGoalReward(0f, true));
        loaded.SampleHer(b, HerOptions.Default, new ThresholdGoalReward(0f, true));
        SamplingTests.AssertSame(a, b);

        // A version-1 header that claims compact columns cannot exist; a version-2 file with an unknown type is corrupt.
        int at = IndexOf(bytes, "goalElementType"u8.ToArray()) + "goalElementType".Length;
        bytes[at] = 9;
        var corrupt = new ReplayFileChecksum();
        corrupt.Append(bytes.AsSpan(0, bytes.Length - 8));
        BitConverter.GetBytes(corrupt.Value).CopyTo(bytes, bytes.Length - 8);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("goalElementType = 9 is not an element type", Assert.Throws<CheckpointException>(() => ReplayBufferFile.Load(path)).Message);
    }

    [Theory]
    [InlineData(ColumnElementType.Bit, 0.5f, "0 and 1")]
    [InlineData(ColumnElementType.Bit, 2f, "0 and 1")]
    [InlineData(ColumnElementType.UInt8, 256f, "integers in [0, 255]")]
    [InlineData(ColumnElementType.UInt8, 0.25f, "integers in [0, 255]")]
    public void ValuesTheColumnsCannotHoldAreRefusedWithTheFieldTheTypeAndTheAllowedValues(ColumnElementType type, float bad, string allowed)
    {
        foreach (bool goal in new[] { false, true })
        {
            ReplayBufferOptions options = Options(5, 3) with
            {
                ObservationElementType = goal ? ColumnElementType.Float32 : type,
                GoalElementType = goal ? type : ColumnElementType.Float32,
            };
            ReplayBuffer buffer = new(options, CpuAccelerator.Sequential);
            float[] observations = new float[4 * 5];
            float[] goals = new float[4 * 3];
            float[] badRow = goal ? goals : observations;
            badRow[^2] = bad;
            var error = Assert.Throws<ArgumentException>(() => buffer.Add(new ReplayStep
            {
                Observations = observations, NextObservations = new float[20], DiscreteActions = new int[4], Rewards = new float[4],
                Terminated = new bool[4], Truncated = new bool[4], AchievedGoals = new float[12], NextAchievedGoals = new float[12], DesiredGoals = goals,
            }));
            Assert.Equal("step", error.ParamName);
            Assert.Contains(goal ? $"step.DesiredGoals[10] is {bad}" : $"step.Observations[18] is {bad}", error.Message);
            Assert.Contains($"as {type} ({(goal ? "GoalElementType" : "ObservationElementType")})", error.Message);
            Assert.Contains(allowed, error.Message);
            Assert.Equal(0, buffer.StepsAdded);
        }
    }

    [Fact]
    public void BadElementTypeOptionsNameTheOptionAndTheAllowedValues()
    {
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayBuffer(Options(5, 3) with { ObservationElementType = (ColumnElementType)3 }));
        Assert.Equal("ObservationElementType", range.ParamName);
        Assert.Contains("Float32, UInt8 or Bit", range.Message);
        range = Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayBuffer(Options(5, 3) with { GoalElementType = (ColumnElementType)(-1) }));
        Assert.Equal("GoalElementType", range.ParamName);

        var noGoals = Assert.Throws<ArgumentException>(() => new ReplayBuffer(Options(5, 3) with { GoalWidth = 0, GoalElementType = ColumnElementType.Bit }));
        Assert.Equal("GoalElementType", noGoals.ParamName);
        Assert.Contains("GoalWidth is 0", noGoals.Message);

        // A batch made for float goals has no packed goal fields: refused by a bit-goal buffer.
        ReplayBuffer bits = new(Options(5, 3) with { GoalElementType = ColumnElementType.Bit });
        var batch = new ReplayBatch(Options(5, 3), 8);
        var wrongBatch = Assert.Throws<ArgumentException>(() => bits.SampleUniform(batch));
        Assert.Equal("batch", wrongBatch.ParamName);
        Assert.Contains("GoalElementType", wrongBatch.Message);
        var layout = Assert.Throws<ArgumentOutOfRangeException>(() => bits.CreateBatch(8, (BatchLayout)2));
        Assert.Equal("layout", layout.ParamName);
        Assert.Contains("Decoded or Encoded", layout.Message);
    }

    private static ReplayBufferOptions Options(int observationWidth, int goalWidth) => new()
    {
        Capacity = 1200,
        EnvCount = 4,
        ObservationWidth = observationWidth,
        ActionWidth = 1,
        DiscreteActions = true,
        GoalWidth = goalWidth,
        TaskCount = 3,
        Prioritized = true,
        Seed = 17,
    };

    /// <summary>
    /// <paramref name="actual"/> (from a compact buffer) holds the float batch <paramref name="expected"/>:
    /// equal floats where it has them, and exactly their encoding in every encoded field it has.
    /// </summary>
    private static void AssertSameDecoded(ReplayBatch expected, ReplayBatch actual)
    {
        ReplayBufferOptions o = actual.Options;
        Assert.Equal(expected.Slots, actual.Slots);
        Assert.Equal(expected.DiscreteActions, actual.DiscreteActions);
        Assert.Equal(expected.Rewards, actual.Rewards);
        Assert.Equal(expected.Terminated, actual.Terminated);
        Assert.Equal(expected.Truncated, actual.Truncated);
        Assert.Equal(expected.TaskIds, actual.TaskIds);
        Assert.Equal(expected.GoalSlots, actual.GoalSlots);
        Assert.Equal(expected.Weights, actual.Weights);
        Assert.Equal(expected.RelabeledStart, actual.RelabeledStart);
        Field(expected.Observations, actual.Observations, actual.EncodedObservations, o.ObservationElementType, o.ObservationWidth);
        Field(expected.NextObservations, actual.NextObservations, actual.EncodedNextObservations, o.ObservationElementType, o.ObservationWidth);
        Field(expected.AchievedGoals, actual.AchievedGoals, actual.EncodedAchievedGoals, o.GoalElementType, o.GoalWidth);
        Field(expected.NextAchievedGoals, actual.NextAchievedGoals, actual.EncodedNextAchievedGoals, o.GoalElementType, o.GoalWidth);
        Field(expected.DesiredGoals, actual.DesiredGoals, actual.EncodedDesiredGoals, o.GoalElementType, o.GoalWidth);
        bool goalsEncoded = actual.Layout == BatchLayout.Encoded && o.GoalElementType != ColumnElementType.Float32;
        Assert.Equal(goalsEncoded, actual.DesiredGoals.Length == 0);
        Assert.Equal(goalsEncoded || o.GoalElementType == ColumnElementType.Bit, actual.EncodedDesiredGoals.Length > 0);

        static void Field(float[] expected, float[] floats, byte[] encoded, ColumnElementType type, int width)
        {
            Assert.True(floats.Length > 0 || encoded.Length > 0);
            if (floats.Length > 0)
            {
                Assert.Equal(expected, floats);
            }

            if (encoded.Length > 0)
            {
                byte[] reference = new byte[encoded.Length];
                ColumnEncoding.Encode(type, expected, width, reference);
                Assert.Equal(reference, encoded);
            }
        }
    }

    private static byte[] RemoveScalar(byte[] file, string name)
    {
        // An int64 scalar section: u8 kind | u16 name length | name | i64 value.
        int nameAt = IndexOf(file, System.Text.Encoding.UTF8.GetBytes(name));
        int start = nameAt - 3;
        int end = nameAt + name.Length + 8;
        return [.. file[..start], .. file[end..]];
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        int index = haystack.AsSpan().IndexOf(needle);
        Assert.True(index >= 0);
        return index;
    }

    /// <summary>
    /// Random episodes of binary goals (and observations in [0, maximum]) of 1 to 12 steps, ended
    /// by success (the next achieved goal equals the desired one) or by truncation, with a task per
    /// episode; every step goes to all given buffers.
    /// </summary>
    private sealed class BinaryEpisodes(int maximum, int seed)
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

            for (int s = 0; s < steps; s++)
            {
                var observations = Values(n * o.ObservationWidth, maximum);
                var next = Values(n * o.ObservationWidth, maximum);
                var achieved = Values(n * o.GoalWidth, 1);
                var nextAchieved = Values(n * o.GoalWidth, 1);
                var desired = Values(n * o.GoalWidth, 1);
                var actions = new int[n];
                var rewards = new float[n];
                var terminated = new bool[n];
                var truncated = new bool[n];
                var tasks = new int[n];
                for (int e = 0; e < n; e++)
                {
                    if (_remaining[e] == 0)
                    {
                        _remaining[e] = _random.Next(1, 13);
                        _tasks[e] = _random.Next(o.TaskCount);
                    }

                    tasks[e] = _tasks[e];
                    actions[e] = _random.Next(o.ObservationWidth);
                    bool success = _random.Next(8) == 0;
                    if (success)
                    {
                        nextAchieved.AsSpan(e * o.GoalWidth, o.GoalWidth).CopyTo(desired.AsSpan(e * o.GoalWidth, o.GoalWidth));
                    }

                    rewards[e] = success ? 0f : -1f;
                    _remaining[e]--;
                    terminated[e] = success;
                    truncated[e] = !success && _remaining[e] == 0;
                    if (success)
                    {
                        _remaining[e] = 0;
                    }
                }

                foreach (ReplayBuffer buffer in buffers)
                {
                    buffer.Add(new ReplayStep
                    {
                        Observations = observations, NextObservations = next, DiscreteActions = actions, Rewards = rewards,
                        Terminated = terminated, Truncated = truncated, TaskIds = tasks,
                        AchievedGoals = achieved, NextAchievedGoals = nextAchieved, DesiredGoals = desired,
                    });
                }
            }
        }

        private float[] Values(int count, int max)
        {
            var values = new float[count];
            for (int i = 0; i < count; i++)
            {
                values[i] = _random.Next(max + 1);
            }

            return values;
        }
    }

    /// <summary>Tells which of its two methods computed the rewards.</summary>
    private readonly struct MarkingReward : IBitGoalReward
    {
        public const float Floats = 7f;
        public const float Packed = 5f;

        public bool DefinesTermination => false;

        public void Compute(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, int goalWidth, Span<float> rewards, Span<float> terminated)
            => rewards.Fill(Floats);

        public void ComputePacked(ReadOnlySpan<byte> achievedGoals, ReadOnlySpan<byte> desiredGoals, int goalWidth, Span<float> rewards, Span<float> terminated)
            => rewards.Fill(Packed);
    }

    private sealed class MarkingRewardClass : IBitGoalReward
    {
        public bool DefinesTermination => false;

        public void Compute(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, int goalWidth, Span<float> rewards, Span<float> terminated)
            => rewards.Fill(MarkingReward.Floats);

        public void ComputePacked(ReadOnlySpan<byte> achievedGoals, ReadOnlySpan<byte> desiredGoals, int goalWidth, Span<float> rewards, Span<float> terminated)
            => rewards.Fill(MarkingReward.Packed);
    }

    /// <summary>A goal reward with no packed form (as an environment's own reward).</summary>
    private readonly struct FloatOnlyReward(ThresholdGoalReward inner) : IGoalReward
    {
        public bool DefinesTermination => inner.DefinesTermination;

        public void Compute(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, int goalWidth, Span<float> rewards, Span<float> terminated)
            => inner.Compute(achievedGoals, desiredGoals, goalWidth, rewards, terminated);
    }
}
