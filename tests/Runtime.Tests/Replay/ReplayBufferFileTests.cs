using System;
using System.IO;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Runtime.Tests.Replay;

public sealed class ReplayBufferFileTests : IDisposable
{
    private static readonly ThresholdGoalReward s_reward = new(0f, terminateOnSuccess: true);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-replay-" + Guid.NewGuid().ToString("N"));

    public ReplayBufferFileTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(150, false)] // wrapped ring, unfinished and overwritten episodes
    [InlineData(20, true)]   // ring not yet full
    public void RoundTripIsBitExactAndTheLoadedBufferContinuesIdentically(int steps, bool discrete)
    {
        ReplayBufferOptions options = ReplayTestBuffers.Options(180, 3, tasks: 2, prioritized: true, discrete: discrete);
        ReplayBuffer original = ReplayTestBuffers.Create(options);
        var script = new EpisodeScript(original, seed: 31, maxLength: 11, taskPerEpisode: true);
        script.Run(steps);
        ReplayBatch batch = original.CreateBatch(32);
        original.SamplePrioritized(batch, 0.5f);
        original.UpdatePriorities(batch.Slots, batch.Weights);
        original.SampleBalanced(batch);

        string path = Path.Combine(_directory, "buffer.mtrlreplay");
        original.Save(path);
        ReplayBuffer loaded = ReplayBufferFile.Load(path, options, Mtrl.Kernels.CpuAccelerator.Sequential);

        Assert.Equal(original.Options, loaded.Options);
        Assert.Equal(original.Count, loaded.Count);
        Assert.Equal(original.SampleableCount, loaded.SampleableCount);
        Assert.Equal(original.Position, loaded.Position);
        Assert.Equal(original.StepsAdded, loaded.StepsAdded);
        Assert.Equal(original.RandomCounter, loaded.RandomCounter);
        Assert.Equal(original.MaxPriority, loaded.MaxPriority);
        int slots = original.Count;
        AssertPrefix(original.Store.Observations, loaded.Store.Observations, slots * 4);
        AssertPrefix(original.Store.NextObservations, loaded.Store.NextObservations, slots * 4);
        AssertPrefix(original.Store.Actions, loaded.Store.Actions, discrete ? 0 : slots * 2);
        AssertPrefix(original.Store.DiscreteActions, loaded.Store.DiscreteActions, discrete ? slots * 2 : 0);
        AssertPrefix(original.Store.Rewards, loaded.Store.Rewards, slots);
        AssertPrefix(original.Store.Terminated, loaded.Store.Terminated, slots);
        AssertPrefix(original.Store.Truncated, loaded.Store.Truncated, slots);
        AssertPrefix(original.Store.TaskIds, loaded.Store.TaskIds, slots);
        AssertPrefix(original.Store.AchievedGoals, loaded.Store.AchievedGoals, slots * 2);
        AssertPrefix(original.Store.NextAchievedGoals, loaded.Store.NextAchievedGoals, slots * 2);
        AssertPrefix(original.Store.DesiredGoals, loaded.Store.DesiredGoals, slots * 2);
        Assert.Equal(original.Ledger.EpisodeStarts, loaded.Ledger.EpisodeStarts);
        Assert.Equal(original.Ledger.EpisodeLengths, loaded.Ledger.EpisodeLengths);
        Assert.Equal(original.Ledger.TaskEnvCounts, loaded.Ledger.TaskEnvCounts);
        Assert.Equal(original.Ledger.ValidStarts, loaded.Ledger.ValidStarts);
        Assert.Equal(original.Ledger.CurrentStarts, loaded.Ledger.CurrentStarts);
        Assert.Equal(original.Priorities!.Tree, loaded.Priorities!.Tree); // bit-exact, internal nodes included

        // Sampling and adding continue exactly as if nothing had happened.
        script.Attach(loaded);
        script.Run(steps);
        ReplayBatch a = original.CreateBatch(64);
        ReplayBatch b = loaded.CreateBatch(64);
        for (int round = 0; round < 3; round++)
        {
            original.SampleHer(a, HerOptions.Default, s_reward);
            loaded.SampleHer(b, HerOptions.Default, s_reward);
            SamplingTests.AssertSame(a, b);
            original.SamplePrioritized(a, 0.7f);
            loaded.SamplePrioritized(b, 0.7f);
            SamplingTests.AssertSame(a, b);
            original.SampleBalanced(a);
            loaded.SampleBalanced(b);
            SamplingTests.AssertSame(a, b);
            script.Run(5);
        }

        Assert.Empty(Directory.GetFiles(_directory, "*.tmp-*"));
    }

    [Fact]
    public void SavingOverwritesAtomically()
    {
        ReplayBuffer buffer = Small();
        string path = Path.Combine(_directory, "b.mtrlreplay");
        buffer.Save(path);
        new EpisodeScript(buffer, seed: 2, maxLength: 4).Run(7);
        buffer.Save(path);
        Assert.Equal(buffer.StepsAdded, ReplayBufferFile.Load(path).StepsAdded);
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void AFlippedByteIsReportedAsCorrupt()
    {
        string path = Saved();
        byte[] bytes = File.ReadAllBytes(path);
        bytes[bytes.Length - 100] ^= 0x04;
        File.WriteAllBytes(path, bytes);
        CheckpointException error = Assert.Throws<CheckpointException>(() => ReplayBufferFile.Load(path));
        Assert.Contains("checksum mismatch", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void ATruncatedFileIsReportedAsTruncated()
    {
        string path = Saved();
        byte[] bytes = File.ReadAllBytes(path);
        foreach (int length in new[] { bytes.Length - 1, bytes.Length / 2, 40, 12 })
        {
            File.WriteAllBytes(path, bytes[..length]);
            CheckpointException error = Assert.Throws<CheckpointException>(() => ReplayBufferFile.Load(path));
            Assert.Contains("truncated", error.Message);
        }
    }

    [Fact]
    public void ExtraBytesAreReportedAsCorrupt()
    {
        string path = Saved();
        File.AppendAllText(path, "trailing");
        CheckpointException error = Assert.Throws<CheckpointException>(() => ReplayBufferFile.Load(path));
        Assert.Contains("corrupt", error.Message);
    }

    [Fact]
    public void OtherFilesAndNewerVersionsAreRefused()
    {
        string path = Saved();
        byte[] bytes = File.ReadAllBytes(path);
        byte[] checkpoint = (byte[])bytes.Clone();
        "MTRLCKPT"u8.CopyTo(checkpoint);
        File.WriteAllBytes(path, checkpoint);
        Assert.Contains("not an Mtrl replay buffer", Assert.Throws<CheckpointException>(() => ReplayBufferFile.Load(path)).Message);

        byte[] newer = (byte[])bytes.Clone();
        newer[8] = 3;
        File.WriteAllBytes(path, newer);
        Assert.Contains("format version 3", Assert.Throws<CheckpointException>(() => ReplayBufferFile.Load(path)).Message);

        Assert.Contains("cannot read", Assert.Throws<CheckpointException>(() => ReplayBufferFile.Load(Path.Combine(_directory, "missing"))).Message);
    }

    [Fact]
    public void ABufferOfAnotherShapeIsRefusedWithTheDifference()
    {
        string path = Saved();
        ReplayBufferOptions expected = ReplayTestBuffers.Options(60, 2) with { GoalWidth = 3, Capacity = 80 };
        CheckpointException error = Assert.Throws<CheckpointException>(() => ReplayBufferFile.Load(path, expected));
        Assert.Contains("another shape", error.Message);
        Assert.Contains("Capacity is 60 in the file, 80 expected", error.Message);
        Assert.Contains("GoalWidth is 2 in the file, 3 expected", error.Message);
    }

    private static void AssertPrefix<T>(Span<T> expected, Span<T> actual, int length)
        where T : IEquatable<T>
        => Assert.True(expected[..length].SequenceEqual(actual[..length]));

    private static ReplayBuffer Small()
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(60, 2));
        new EpisodeScript(buffer, seed: 1, maxLength: 4).Run(40);
        return buffer;
    }

    private string Saved()
    {
        string path = Path.Combine(_directory, "c.mtrlreplay");
        Small().Save(path);
        return path;
    }
}
