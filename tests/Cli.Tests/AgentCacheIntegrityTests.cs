using System;
using System.IO;
using System.Linq;
using Mtrl.Cli.InProcess;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary>
/// The compiled-agent cache runs what it loads, so a damaged entry must be detected before
/// loading: every single-bit flip, truncation and misplaced entry is refused, deleted and rebuilt.
/// </summary>
public sealed class AgentCacheIntegrityTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "mtrl-cache-integrity-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
    }

    private static string Spec(string name) => Path.Combine(AppContext.BaseDirectory, "specs", name);

    /// <summary>Compiles her_bitflip into a fresh cache; the cache, the entry's key and path, and its intact bytes.</summary>
    private (AgentAssemblyCache Cache, string Key, string Entry, byte[] Intact) Cached(string name = "her_bitflip.mtrl")
    {
        var text = File.ReadAllText(Spec(name));
        var cache = new AgentAssemblyCache(_cache);
        var first = cache.Load(Spec(name), text);
        Assert.False(first.FromCache);
        Assert.NotNull(first.Assembly);
        var key = AgentAssemblyCache.KeyOf(Spec(name), text, AgentCompiler.DefaultNamespace);
        var entry = cache.PathOf(key);
        return (cache, key, entry, File.ReadAllBytes(entry));
    }

    [Fact]
    public void AnIntactEntryVerifiesAndLoadsFromTheCache()
    {
        var (cache, key, _, intact) = Cached();

        Assert.NotNull(cache.ReadVerified(key, out var note));
        Assert.Null(note);
        var second = cache.Load(Spec("her_bitflip.mtrl"), File.ReadAllText(Spec("her_bitflip.mtrl")));
        Assert.True(second.FromCache);
        Assert.Null(second.CacheNote);
        Assert.True(intact.Length > 1_000);
    }

    [Fact]
    public void ASingleBitFlipAtPositionsAcrossTheWholeEntryIsDetectedAndTheEntryDeleted()
    {
        var (cache, key, entry, intact) = Cached();
        var damaged = (byte[])intact.Clone();
        // Every byte of the header, then every third byte to the end (a third of the file keeps
        // the test to a few seconds; 3 and 8 are coprime, so every bit position is hit throughout).
        var positions = Enumerable.Range(0, 64).Concat(Enumerable.Range(0, (intact.Length + 2) / 3).Select(i => 3 * i)).Where(p => p < intact.Length).Distinct().ToList();
        Assert.Contains(intact.Length - 1 - (intact.Length - 1) % 3, positions);
        foreach (var position in positions)
        {
            // One bit per byte, cycling through all eight bit positions along the file.
            damaged[position] ^= (byte)(1 << (position % 8));
            File.WriteAllBytes(entry, damaged);

            var image = cache.ReadVerified(key, out var note);

            Assert.True(image is null, $"a flip of bit {position % 8} of byte {position} of {intact.Length} verified");
            Assert.NotNull(note);
            Assert.Contains("failed verification", note, StringComparison.Ordinal);
            Assert.False(File.Exists(entry), $"the damaged entry (byte {position}) was not deleted");
            damaged[position] = intact[position];
        }
    }

    [Fact]
    public void EveryTruncationAndAnAppendedByteAreDetected()
    {
        var (cache, key, entry, intact) = Cached();
        // Every length of the header and the first kilobyte, then a spread of lengths across the file.
        var lengths = Enumerable.Range(0, 1_024).Concat(Enumerable.Range(0, 500).Select(i => (int)((long)i * intact.Length / 500))).Distinct();
        foreach (var length in lengths)
        {
            File.WriteAllBytes(entry, intact.AsSpan(0, length).ToArray());
            Assert.True(cache.ReadVerified(key, out var note) is null, $"a truncation to {length} bytes verified");
            Assert.NotNull(note);
        }
        File.WriteAllBytes(entry, intact.Append((byte)0).ToArray());
        Assert.Null(cache.ReadVerified(key, out var appended));
        Assert.NotNull(appended);
    }

    [Fact]
    public void AnEntryThatIsNotARegularFileIsRefusedWithoutOpeningIt()
    {
        if (!OperatingSystem.IsLinux()) return;
        var (cache, key, entry, _) = Cached();
        File.Delete(entry);
        // A named pipe would block a reader forever; it must be refused before it is opened.
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", entry)) mkfifo.WaitForExit();

        Assert.Null(cache.ReadVerified(key, out var note));
        Assert.Contains("is a named pipe, not a regular file", note, StringComparison.Ordinal);
        Assert.False(File.Exists(entry));
    }

    [Fact]
    public void AnIntactEntryCopiedUnderAnotherKeyIsRefused()
    {
        var (cache, _, entry, _) = Cached();
        var otherKey = AgentAssemblyCache.KeyOf(Spec("her_bitflip.mtrl"), File.ReadAllText(Spec("her_bitflip.mtrl")) + "\n", AgentCompiler.DefaultNamespace);
        File.Copy(entry, cache.PathOf(otherKey));

        Assert.Null(cache.ReadVerified(otherKey, out var note));
        Assert.Contains("content hash does not match", note, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadRebuildsADamagedEntryWithANoteAndNeverUsesIt()
    {
        var (cache, _, entry, intact) = Cached();
        var text = File.ReadAllText(Spec("her_bitflip.mtrl"));
        // Deterministic positions in the header, the hash and throughout the image.
        foreach (var position in new[] { 0, 20, intact.Length / 2, intact.Length - 1 })
        {
            var damaged = (byte[])intact.Clone();
            damaged[position] ^= 0x10;
            File.WriteAllBytes(entry, damaged);

            var reloaded = cache.Load(Spec("her_bitflip.mtrl"), text);

            Assert.False(reloaded.FromCache, $"byte {position}: the damaged entry was used");
            Assert.NotNull(reloaded.Assembly);
            Assert.Contains($"the cached agent '{entry}' failed verification", reloaded.CacheNote, StringComparison.Ordinal);
            // Rebuilt (the compile is deterministic) and stored intact again.
            Assert.Equal(intact, File.ReadAllBytes(entry));
        }
    }

    [Fact]
    public void StaleTemporariesAndUnverifiedOldEntriesAreRemovedAndNothingElse()
    {
        Directory.CreateDirectory(_cache);
        var key = new string('a', 64);
        var stale = Path.Combine(_cache, $"{key}.agent.{new string('b', 32)}.tmp");
        var fresh = Path.Combine(_cache, $"{key}.agent.{new string('c', 32)}.tmp");
        var foreign = Path.Combine(_cache, "notes.agent.mine.tmp");
        var unverified = Path.Combine(_cache, $"{key}.dll");
        var userDll = Path.Combine(_cache, "mine.dll");
        foreach (var path in new[] { stale, fresh, foreign, unverified, userDll }) File.WriteAllText(path, "x");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));
        File.SetLastWriteTimeUtc(foreign, DateTime.UtcNow.AddHours(-2));

        Cached();

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh), "a temporary another process may still be writing was deleted");
        Assert.True(File.Exists(foreign), "a file not named like our temporaries was deleted");
        Assert.False(File.Exists(unverified), "an entry of the unverified first format was kept");
        Assert.True(File.Exists(userDll), "a file not named like our entries was deleted");
    }
}
