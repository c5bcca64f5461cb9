using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Replay;
using Mtrl.Runtime.Tests.Replay;
using Xunit;

namespace Mtrl.Runtime.Tests;

/// <summary>
/// Damaged checkpoint and replay files: every truncation, thousands of single-bit flips and crafted
/// files that pass their checksum are all refused with a <see cref="CheckpointException"/> naming the
/// file, and saves leave no temporary files behind.
/// </summary>
public sealed class CheckpointCorruptionTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-corrupt-" + Guid.NewGuid().ToString("N"));

    public CheckpointCorruptionTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>A small checkpoint with every section kind (integer arrays only from version 3, strings from 4) and a multi-byte UTF-8 name.</summary>
    private static Checkpoint Sample(bool integers = true, bool strings = true)
    {
        var checkpoint = new Checkpoint(0x0123_4567_89ab_cdefUL);
        var parameters = new float[61];
        for (var i = 0; i < parameters.Length; i++) parameters[i] = MathF.Sin(i) * 3f;
        checkpoint.Arrays["parameters"] = parameters;
        checkpoint.Arrays["adam.m"] = [1f, -2f, 0.5f];
        checkpoint.Arrays["größe"] = [];
        checkpoint.Counters["adam.steps"] = 12345;
        checkpoint.Counters["rng"] = -7;
        if (integers)
        {
            checkpoint.Integers["env.steps"] = [0, long.MaxValue, -3, 42];
            checkpoint.Integers["none"] = [];
        }
        if (strings)
        {
            checkpoint.Strings["layout.names"] = ["q.fc0.weight", "", "größe.bias"];
            checkpoint.Strings["no strings"] = [];
        }
        return checkpoint;
    }

    [Fact]
    public void EverySectionKindReadsBackExactly()
    {
        var path = PathOf("round.ckpt");
        CheckpointFile.Save(path, Sample());
        var loaded = CheckpointFile.Load(path);
        Assert.Equal(Sample().Arrays["parameters"], loaded.Arrays["parameters"]);
        Assert.Equal(12345, loaded.Counter("adam.steps"));
        Assert.Equal(new long[] { 0, long.MaxValue, -3, 42 }, loaded.RequireIntegers("env.steps", 4));
        Assert.Empty(loaded.RequireIntegers("none", 0));
        Assert.Contains("holds 4 integers, expected 5", Assert.Throws<CheckpointException>(() => loaded.RequireIntegers("env.steps", 5)).Message);
        Assert.Contains("has no 'missing' section", Assert.Throws<CheckpointException>(() => loaded.RequireIntegers("missing", 1)).Message);
        Assert.Equal(new[] { "q.fc0.weight", "", "größe.bias" }, loaded.Strings["layout.names"]);
        Assert.Empty(loaded.Strings["no strings"]);
    }

    private byte[] SavedCheckpoint(bool integers = true, bool strings = true)
    {
        var path = PathOf("sample.ckpt");
        CheckpointFile.Save(path, Sample(integers, strings));
        return File.ReadAllBytes(path);
    }

    private static void AssertRefusal(CheckpointException error, string path)
    {
        Assert.Contains(path, error.Message);
        Assert.True(
            error.Message.Contains("truncated", StringComparison.Ordinal) || error.Message.Contains("corrupt", StringComparison.Ordinal)
            || error.Message.Contains("not an Mtrl", StringComparison.Ordinal) || error.Message.Contains("format version", StringComparison.Ordinal),
            error.Message);
    }

    [Fact]
    public void EveryTruncationOfACheckpointIsRefusedAsTruncated()
    {
        var bytes = SavedCheckpoint();
        var path = PathOf("cut.ckpt");
        for (var length = 0; length < bytes.Length; length++)
        {
            File.WriteAllBytes(path, bytes.AsSpan(0, length).ToArray());
            var error = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path));
            Assert.Contains(path, error.Message);
            Assert.Contains("truncated", error.Message);
        }
    }

    [Fact]
    public void EverySingleBitFlipOfACheckpointIsRefused()
    {
        var bytes = SavedCheckpoint();
        Assert.True(bytes.Length * 8 >= 2000, $"the sample is too small for 2,000 flips ({bytes.Length} bytes)");
        var path = PathOf("flip.ckpt");
        for (var bit = 0; bit < bytes.Length * 8; bit++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            File.WriteAllBytes(path, damaged);
            var error = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path));
            AssertRefusal(error, path);
        }
    }

    /// <summary>Rewrites the length field and checksum, as a save would have, so only the structural checks stand between the bytes and a load.</summary>
    private static byte[] Resealed(byte[] bytes)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(28), (ulong)bytes.Length);
        var checksum = new ReplayFileChecksum();
        checksum.Append(bytes.AsSpan(0, bytes.Length - 8));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(bytes.Length - 8), checksum.Value);
        return bytes;
    }

    [Fact]
    public void TheChecksumFunctionIsTheReplayFilesOne()
    {
        // The crafted-file tests below reseal with ReplayFileChecksum: an unchanged file must still load.
        var path = PathOf("resealed.ckpt");
        File.WriteAllBytes(path, Resealed(SavedCheckpoint()));
        Assert.Equal(12345, CheckpointFile.Load(path).Counter("adam.steps"));
    }

    public static IEnumerable<object[]> CraftedDamage()
    {
        // Header offsets: 24 = section count; the first section starts at 36.
        yield return ["sections", (Action<byte[]>)(b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), uint.MaxValue)), "announces"];
        yield return ["one section too many", (Action<byte[]>)(b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(24)) + 1)), "corrupt"];
        yield return ["one section too few", (Action<byte[]>)(b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(24)) - 1)), "unexpected bytes"];
        yield return ["kind", (Action<byte[]>)(b => b[36] = 9), "unknown kind 9"];
        yield return ["name length", (Action<byte[]>)(b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(37), ushort.MaxValue)), "the name of section 0"];
        yield return ["float count", (Action<byte[]>)(b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(36 + 3 + "parameters".Length), ulong.MaxValue)), "announces 18446744073709551615 floats"];
        yield return ["float count past the end", (Action<byte[]>)(b => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(36 + 3 + "parameters".Length), 1_000)), "corrupt"];
        yield return ["invalid UTF-8", (Action<byte[]>)(b => b[36 + 3] = 0xFF), "not valid UTF-8"];
        yield return ["flags", (Action<byte[]>)(b => b[12] = 1), "unknown flags"];
    }

    [Theory]
    [MemberData(nameof(CraftedDamage))]
    public void DamageThatPassesTheChecksumIsStillRefused(string what, Action<byte[]> damage, string expected)
    {
        var bytes = SavedCheckpoint();
        damage(bytes);
        var path = PathOf("crafted.ckpt");
        File.WriteAllBytes(path, Resealed(bytes));
        var error = Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path));
        Assert.Contains(path, error.Message);
        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), $"{what}: {error.Message}");
    }

    [Fact]
    public void DuplicateSectionNamesAreRefused()
    {
        // Two sections with names of equal length, the second renamed to the first.
        var checkpoint = new Checkpoint(1);
        checkpoint.Arrays["ab"] = [1f];
        checkpoint.Counters["cd"] = 2;
        var path = PathOf("duplicate.ckpt");
        CheckpointFile.Save(path, checkpoint);
        var bytes = File.ReadAllBytes(path);
        var second = 36 + 3 + 2 + 8 + 4;
        Assert.Equal((byte)'c', bytes[second + 3]);
        bytes[second + 3] = (byte)'a';
        bytes[second + 4] = (byte)'b';
        File.WriteAllBytes(path, Resealed(bytes));
        Assert.Contains("section 'ab' appears twice", Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path)).Message);
    }

    [Fact]
    public void VersionOneFilesStillLoad()
    {
        // Version 1 had no length field (nor integer arrays): drop it and reseal the way version 1 did.
        var bytes = SavedCheckpoint(integers: false, strings: false);
        var old = new byte[bytes.Length - 8];
        bytes.AsSpan(0, 28).CopyTo(old);
        bytes.AsSpan(36).CopyTo(old.AsSpan(28));
        BinaryPrimitives.WriteUInt32LittleEndian(old.AsSpan(8), 1);
        var checksum = new ReplayFileChecksum();
        checksum.Append(old.AsSpan(0, old.Length - 8));
        BinaryPrimitives.WriteUInt64LittleEndian(old.AsSpan(old.Length - 8), checksum.Value);
        var path = PathOf("v1.ckpt");
        File.WriteAllBytes(path, old);
        var loaded = CheckpointFile.Load(path);
        Assert.Equal(Sample().Arrays["parameters"], loaded.Arrays["parameters"]);
        Assert.Equal(-7, loaded.Counter("rng"));
        Assert.Empty(loaded.Arrays["größe"]);

        // A version 1 file cut short can only fail its checksum, which the message says may be truncation.
        File.WriteAllBytes(path, old.AsSpan(0, old.Length - 5).ToArray());
        Assert.Contains("truncated or corrupt", Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path)).Message);
    }

    [Fact]
    public void VersionThreeFilesStillLoadAndCannotHoldStrings()
    {
        // Version 3 is version 4 without string arrays: the same bytes with the version field set to 3.
        var path = PathOf("v3.ckpt");
        var bytes = SavedCheckpoint(strings: false);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 3);
        File.WriteAllBytes(path, Resealed(bytes));
        var loaded = CheckpointFile.Load(path);
        Assert.Equal(Sample().Arrays["parameters"], loaded.Arrays["parameters"]);
        Assert.Empty(loaded.Strings);
        Assert.Null(loaded.Slices);

        var withStrings = SavedCheckpoint();
        BinaryPrimitives.WriteUInt32LittleEndian(withStrings.AsSpan(8), 3);
        File.WriteAllBytes(path, Resealed(withStrings));
        Assert.Contains("unknown kind 4", Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path)).Message);
    }

    [Fact]
    public void AStringLongerThanTheFileIsRefused()
    {
        var checkpoint = new Checkpoint(1);
        checkpoint.Strings["s"] = ["abc"];
        var path = PathOf("string.ckpt");
        CheckpointFile.Save(path, checkpoint);
        var bytes = File.ReadAllBytes(path);
        // Header (36), kind, name length, "s", the count (8): then the string's length.
        var at = 36 + 3 + 1 + 8;
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), uint.MaxValue);
        File.WriteAllBytes(path, Resealed(bytes));
        Assert.Contains("string 0 of section 's' announces 4294967295 bytes", Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path)).Message);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), 3);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at - 8), 1_000);
        File.WriteAllBytes(path, Resealed(bytes));
        Assert.Contains("announces 1000 strings", Assert.Throws<CheckpointException>(() => CheckpointFile.Load(path)).Message);
    }

    [Fact]
    public void ADirectoryOrAnEmptyPathIsRefusedCleanly()
    {
        Assert.Contains("cannot read", Assert.Throws<CheckpointException>(() => CheckpointFile.Load(_directory)).Message);
        Assert.Throws<ArgumentException>(() => CheckpointFile.Load(""));

        // A device reports no length: nothing is read from it, let alone until memory runs out.
        if (File.Exists("/dev/zero"))
        {
            Assert.Contains("truncated", Assert.Throws<CheckpointException>(() => CheckpointFile.Load("/dev/zero")).Message);
            Assert.Contains("truncated", Assert.Throws<CheckpointException>(() => ReplayBufferFile.Load("/dev/zero")).Message);
        }
    }

    // ---- replay buffer files ----

    private byte[] SavedReplay()
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(24, 2, tasks: 2, prioritized: true));
        new EpisodeScript(buffer, seed: 5, maxLength: 4, taskPerEpisode: true).Run(9);
        string path = PathOf("sample.mtrlreplay");
        buffer.Save(path);
        return File.ReadAllBytes(path);
    }

    [Fact]
    public void EveryTruncationOfAReplayFileIsRefusedAsTruncated()
    {
        byte[] bytes = SavedReplay();
        string path = PathOf("cut.mtrlreplay");
        for (int length = 0; length < bytes.Length; length++)
        {
            File.WriteAllBytes(path, bytes.AsSpan(0, length).ToArray());
            CheckpointException error = Assert.Throws<CheckpointException>(() => ReplayBufferFile.Load(path));
            Assert.Contains(path, error.Message);
            Assert.Contains("truncated", error.Message);
        }
    }

    [Fact]
    public void ThousandsOfSingleBitFlipsOfAReplayFileAreRefused()
    {
        byte[] bytes = SavedReplay();
        string path = PathOf("flip.mtrlreplay");
        int bits = bytes.Length * 8;

        // Every bit of the header and scalars, then a deterministic spread over the rest.
        var chosen = new List<int>();
        for (int bit = 0; bit < Math.Min(bits, 512 * 8); bit++) chosen.Add(bit);
        ulong state = 0x9E37_79B9_7F4A_7C15UL;
        while (chosen.Count < 6000)
        {
            state = (state * 6364136223846793005UL) + 1442695040888963407UL;
            chosen.Add((int)((state >> 33) % (ulong)bits));
        }

        Assert.True(chosen.Distinct().Count() >= 2000, $"{chosen.Distinct().Count()} distinct flips of a {bytes.Length}-byte file");
        foreach (int bit in chosen)
        {
            byte[] damaged = (byte[])bytes.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            File.WriteAllBytes(path, damaged);
            CheckpointException error = Assert.Throws<CheckpointException>(() => ReplayBufferFile.Load(path));
            AssertRefusal(error, path);
        }
    }

    /// <summary>Overwrites the first values of a named replay section (or scalar) and reseals the checksum.</summary>
    private static byte[] WithReplaySection(byte[] bytes, string name, bool scalar, params int[] values)
    {
        byte[] damaged = (byte[])bytes.Clone();
        byte[] needle = [.. System.Text.Encoding.UTF8.GetBytes(name)];
        int at = damaged.AsSpan().IndexOf(needle) + needle.Length;
        Assert.True(at > needle.Length, name);
        if (scalar)
        {
            BinaryPrimitives.WriteInt64LittleEndian(damaged.AsSpan(at), values[0]);
        }
        else
        {
            for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(damaged.AsSpan(at + 8 + (4 * i)), values[i]);
        }

        var checksum = new ReplayFileChecksum();
        checksum.Append(damaged.AsSpan(0, damaged.Length - 8));
        BinaryPrimitives.WriteUInt64LittleEndian(damaged.AsSpan(damaged.Length - 8), checksum.Value);
        return damaged;
    }

    [Theory]
    [InlineData("validStarts", false, new[] { 1_000_000 }, "episode state of env 0")]
    [InlineData("validCounts", false, new[] { 5, 7 }, "inconsistent")]
    [InlineData("currentTasks", false, new[] { 9 }, "episode state of env 0")]
    [InlineData("episodeLengths", false, new[] { 99, 99, 99, 99 }, "env 0 at row 0 is out of range")]
    [InlineData("episodeStarts", false, new[] { -5, 400 }, "env 0 at row 0 is out of range")]
    [InlineData("taskIds", false, new[] { 77, -3 }, "env 0 at row 0 is out of range")]
    [InlineData("capacity", true, new[] { 10 }, "position = 9 is outside [0, 4]")]
    [InlineData("position", true, new[] { 3 }, "disagree")]
    public void ReplayDamageThatPassesTheChecksumIsStillRefused(string section, bool scalar, int[] values, string expected)
    {
        string path = PathOf("crafted.mtrlreplay");
        File.WriteAllBytes(path, WithReplaySection(SavedReplay(), section, scalar, values));
        CheckpointException error = Assert.Throws<CheckpointException>(() => ReplayBufferFile.Load(path));
        Assert.Contains(path, error.Message);
        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), error.Message);
    }

    // ---- temporary files ----

    private string Temporary(string target) => PathOf(target + ".tmp-" + Guid.NewGuid().ToString("N"));

    private static void Age(string path) => File.SetLastWriteTimeUtc(path, DateTime.UtcNow - AtomicFile.StaleAfter - TimeSpan.FromMinutes(1));

    [Fact]
    public void ASaveRemovesTheTemporariesOfEarlierKilledSavesOfTheSameTargetOnly()
    {
        string stale = Temporary("a.ckpt");
        string fresh = Temporary("a.ckpt");
        string otherTarget = Temporary("b.ckpt");
        string notOurs = PathOf("a.ckpt.tmp-notes");
        string upperCase = PathOf("a.ckpt.tmp-" + Guid.NewGuid().ToString("N").ToUpperInvariant());
        string held = Temporary("a.ckpt");
        foreach (string file in new[] { stale, fresh, otherTarget, notOurs, upperCase, held }) File.WriteAllText(file, "partial save");
        foreach (string file in new[] { stale, otherTarget, notOurs, upperCase, held }) Age(file);

        // A save still writing holds its temporary open (and locked) — it must survive.
        using (new FileStream(held, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            CheckpointFile.Save(PathOf("a.ckpt"), Sample());
        }

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh), "a temporary written within the last minute may be about to be renamed");
        Assert.True(File.Exists(otherTarget));
        Assert.True(File.Exists(notOurs));
        Assert.True(File.Exists(upperCase));
        Assert.True(File.Exists(held));
        Assert.Equal(12345, CheckpointFile.Load(PathOf("a.ckpt")).Counter("adam.steps"));

        // Replay files follow the same rule.
        string staleReplay = Temporary("r.mtrlreplay");
        File.WriteAllText(staleReplay, "partial");
        Age(staleReplay);
        ReplayTestBuffers.Create(ReplayTestBuffers.Options(24, 2)).Save(PathOf("r.mtrlreplay"));
        Assert.False(File.Exists(staleReplay));
    }

    [Fact]
    public void AFailedSaveDeletesItsTemporaryAndKeepsTheOldFile()
    {
        string target = PathOf("kept.ckpt");
        CheckpointFile.Save(target, Sample());
        byte[] before = File.ReadAllBytes(target);
        var failure = new InvalidOperationException("disk on fire");
        Assert.Same(failure, Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(target, stream =>
        {
            stream.Write(new byte[100_000]);
            throw failure;
        })));
        Assert.Equal(before, File.ReadAllBytes(target));
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp-*"));

        // The rename fails when the target is a directory: the temporary goes too.
        string directoryTarget = PathOf("dir.ckpt");
        Directory.CreateDirectory(directoryTarget);
        Assert.ThrowsAny<IOException>(() => CheckpointFile.Save(directoryTarget, Sample()));
        Assert.ThrowsAny<IOException>(() => ReplayTestBuffers.Create(ReplayTestBuffers.Options(24, 2)).Save(directoryTarget));
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp-*"));
    }

    [Theory]
    [InlineData("a.ckpt.tmp-0123456789abcdef0123456789abcdef", "a.ckpt", true)]
    [InlineData("a.ckpt.tmp-0123456789abcdef0123456789abcde", "a.ckpt", false)]
    [InlineData("a.ckpt.tmp-0123456789abcdef0123456789abcdef0", "a.ckpt", false)]
    [InlineData("a.ckpt.tmp-0123456789abcdef0123456789abcdeg", "a.ckpt", false)]
    [InlineData("xa.ckpt.tmp-0123456789abcdef0123456789abcdef", "a.ckpt", false)]
    [InlineData("a.ckpt.tmp-0123456789abcdef0123456789abcdef", "a.ckp", false)]
    [InlineData("a.ckpt.TMP-0123456789abcdef0123456789abcdef", "a.ckpt", false)]
    public void OnlyOurOwnTemporaryNamesMatch(string file, string target, bool matches)
        => Assert.Equal(matches, AtomicFile.IsTemporaryOf(file, target));
}
