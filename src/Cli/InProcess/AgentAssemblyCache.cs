using System;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using Microsoft.CodeAnalysis;
using Mtrl.Dsl;
using Mtrl.Generators;

namespace Mtrl.Cli.InProcess;

/// <summary>The outcome of turning a spec into a loaded agent assembly.</summary>
/// <param name="Assembly">The loaded agents, or null when the spec has errors or the generated code did not compile.</param>
/// <param name="FromCache">True when the assembly came from the cache without running the generator or the compiler.</param>
/// <param name="Diagnostics">The generator's diagnostics (located in the spec) followed by any compiler errors.</param>
/// <param name="CacheNote">Why a cached entry was discarded and rebuilt (it failed verification), for standard error; null otherwise.</param>
internal sealed record AgentAssembly(Assembly? Assembly, bool FromCache, ImmutableArray<Diagnostic> Diagnostics, string? CacheNote = null);

/// <summary>
/// Compiled agent assemblies on disk, keyed by a hash of everything that decides the generated
/// code: the spec's text and file name, the namespace, and the exact builds of the generator,
/// the front end, the runtime and the kernels. Loading a cached assembly runs its code in this
/// process, so an entry is loaded only after its content hash verifies: each entry is one file,
/// a header (magic, image length, SHA-256 over the key and the image) then the image, written to
/// a temporary file and renamed into place. An entry that fails verification (a flipped bit, a
/// truncation, a file copied under another key) is deleted and rebuilt, never loaded.
/// </summary>
/// <remarks>
/// The hash detects damage, not tampering: whoever can write the cache directory can write a
/// matching hash, so the directory must be as trusted as the tool itself (it is the user's own).
/// </remarks>
internal sealed class AgentAssemblyCache
{
    /// <summary>First bytes of every entry; the digit is the entry format version.</summary>
    private static readonly byte[] Magic = "MTRLAGT1"u8.ToArray();

    /// <summary>Magic, image length (int64, little-endian), SHA-256.</summary>
    private const int HeaderSize = 8 + 8 + 32;

    /// <summary>The largest image read back (64 MiB); generated agents are tens of kilobytes.</summary>
    public const long MaxImageBytes = 64L << 20;

    /// <summary>How old a temporary file must be before it counts as left by a killed store.</summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromHours(1);

    /// <summary>The names <see cref="TryStore"/> gives its temporary files: key.agent.guid.tmp.</summary>
    private static readonly System.Text.RegularExpressions.Regex TemporaryName =
        new("^[0-9a-f]{64}\\.agent\\.[0-9a-f]{32}\\.tmp$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>Entries of the first cache format, which had no hash: KEY.dll.</summary>
    private static readonly System.Text.RegularExpressions.Regex UnverifiedEntryName =
        new("^[0-9a-f]{64}\\.dll$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public AgentAssemblyCache(string directory) => Directory = directory;

    /// <summary>Where cached assemblies live.</summary>
    public string Directory { get; }

    /// <summary><c>$MTRL_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/mtrl/agents</c>, else <c>~/.cache/mtrl/agents</c>.</summary>
    public static AgentAssemblyCache Default()
    {
        var explicitDirectory = Environment.GetEnvironmentVariable("MTRL_CACHE_DIR");
        if (!string.IsNullOrWhiteSpace(explicitDirectory)) return new AgentAssemblyCache(explicitDirectory);
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrWhiteSpace(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return new AgentAssemblyCache(Path.Combine(root, "mtrl", "agents"));
    }

    /// <summary>The cache key of a spec: hex SHA-256 over its inputs and the tool builds.</summary>
    public static string KeyOf(string specPath, string text, string rootNamespace)
    {
        var builder = new StringBuilder()
            .Append("mtrl-agent-cache/2\n")
            .Append(Path.GetFileName(specPath)).Append('\n')
            .Append(rootNamespace).Append('\n');
        foreach (var assembly in new[] { typeof(SpecGenerator).Assembly, typeof(SpecCompiler).Assembly, typeof(Runtime.Parameters.ParameterStore).Assembly, typeof(Kernels.Gemm).Assembly })
        {
            builder.Append(assembly.ManifestModule.ModuleVersionId.ToString("N")).Append('\n');
        }
        builder.Append(text);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())));
    }

    /// <summary>The path an entry with <paramref name="key"/> is stored at.</summary>
    public string PathOf(string key) => Path.Combine(Directory, key + ".agent");

    /// <summary>Loads the agents of a spec, from the cache when an intact entry exists, else by generating and compiling them (and caching the result).</summary>
    public AgentAssembly Load(string specPath, string text, string rootNamespace = AgentCompiler.DefaultNamespace)
    {
        var key = KeyOf(specPath, text, rootNamespace);
        var image = ReadVerified(key, out var note);
        if (image is not null)
        {
            var cached = TryLoadImage(key, image);
            if (cached is not null) return new AgentAssembly(cached, FromCache: true, ImmutableArray<Diagnostic>.Empty);
            note = Discard(key, "it verified but is not this agent's assembly");
        }

        var source = AgentCompiler.Generate(specPath, text, rootNamespace);
        if (source.HasErrors) return new AgentAssembly(null, FromCache: false, source.Diagnostics, note);
        var (compiled, errors) = AgentCompiler.Compile(source, AssemblyNameOf(key));
        var diagnostics = source.Diagnostics.AddRange(errors);
        if (compiled is null) return new AgentAssembly(null, FromCache: false, diagnostics, note);
        TryStore(key, compiled);
        return new AgentAssembly(LoadImage(key, compiled), FromCache: false, diagnostics, note);
    }

    private static string AssemblyNameOf(string key) => "Mtrl.Agents." + key[..16];

    /// <summary>
    /// The image of the entry for <paramref name="key"/> if it is present and intact; null if it
    /// is absent or unreadable, or — with <paramref name="note"/> saying why, after deleting it —
    /// if it fails verification. Nothing of the file is executed or parsed as an assembly here.
    /// </summary>
    internal byte[]? ReadVerified(string key, out string? note)
    {
        note = null;
        byte[] entry;
        try
        {
            var path = PathOf(key);
            if (!File.Exists(path)) return null;
            if (FileType.Of(path) is { } type && type != FileType.Regular)
            {
                note = Discard(key, $"it is {FileType.Describe(type)}, not a regular file");
                return null;
            }
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > HeaderSize + MaxImageBytes)
            {
                note = Discard(key, $"it is larger than {MaxImageBytes >> 20} MiB");
                return null;
            }
            entry = new byte[stream.Length];
            stream.ReadExactly(entry);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var problem = Verify(key, entry);
        if (problem is not null)
        {
            note = Discard(key, problem);
            return null;
        }
        return entry.AsSpan(HeaderSize).ToArray();
    }

    /// <summary>Null when <paramref name="entry"/> is an intact entry for <paramref name="key"/>, else what is wrong.</summary>
    private static string? Verify(string key, byte[] entry)
    {
        if (entry.Length < HeaderSize || !entry.AsSpan(0, Magic.Length).SequenceEqual(Magic)) return "its header is damaged or from another version";
        var length = BinaryPrimitives.ReadInt64LittleEndian(entry.AsSpan(Magic.Length));
        if (length != entry.Length - HeaderSize) return "it is truncated or has extra bytes";
        var expected = entry.AsSpan(Magic.Length + 8, 32);
        var actual = Hash(key, entry.AsSpan(HeaderSize));
        return CryptographicOperations.FixedTimeEquals(expected, actual) ? null : "its content hash does not match";
    }

    /// <summary>SHA-256 over the key and the image, so an intact entry stored under another key fails too.</summary>
    private static byte[] Hash(string key, ReadOnlySpan<byte> image)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.ASCII.GetBytes(key));
        hash.AppendData(image);
        return hash.GetHashAndReset();
    }

    /// <summary>Deletes the entry (best effort) and says so.</summary>
    private string Discard(string key, string reason)
    {
        var path = PathOf(key);
        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return $"the cached agent '{path}' failed verification ({reason}) and could not be deleted ({exception.Message}); rebuilding it";
        }
        return $"the cached agent '{path}' failed verification ({reason}); deleted it and rebuilding";
    }

    /// <summary>The entry file for an image: header, then the image.</summary>
    internal static byte[] EntryOf(string key, byte[] image)
    {
        var entry = new byte[HeaderSize + image.Length];
        Magic.CopyTo(entry, 0);
        BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(Magic.Length), image.Length);
        Hash(key, image).CopyTo(entry, Magic.Length + 8);
        image.CopyTo(entry, HeaderSize);
        return entry;
    }

    private void TryStore(string key, byte[] image)
    {
        // A cache that cannot be written (read-only home, full disk) only costs the next run a compile.
        var temporary = PathOf(key) + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(EntryOf(key, image));
                stream.Flush(flushToDisk: true);
            }
            // The rename is atomic: a reader sees the old entry, no entry, or the whole new one.
            File.Move(temporary, PathOf(key), overwrite: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temporary); } catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { }
            return;
        }
        RemoveStaleTemporaries();
    }

    /// <summary>
    /// Deletes temporaries of stores killed mid-write — only files named as <see cref="TryStore"/>
    /// names them and untouched for an hour, so a store running in another process is never hit —
    /// and entries of the first, unverified format (<c>KEY.dll</c>), which are never loaded again.
    /// </summary>
    internal void RemoveStaleTemporaries()
    {
        try
        {
            foreach (var path in System.IO.Directory.EnumerateFiles(Directory))
            {
                var name = Path.GetFileName(path);
                var stale = (TemporaryName.IsMatch(name) && DateTime.UtcNow - File.GetLastWriteTimeUtc(path) >= StaleAfter)
                    || UnverifiedEntryName.IsMatch(name);
                if (stale) File.Delete(path);
            }
        }
        catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
        {
            // Cleaning up is a courtesy; another process may have removed the file first.
        }
    }

    /// <summary>A verified image loaded, or null if it is not the assembly this key compiles to.</summary>
    private static Assembly? TryLoadImage(string key, byte[] image)
    {
        try
        {
            var assembly = LoadImage(key, image);
            return assembly.GetName().Name == AssemblyNameOf(key) ? assembly : null;
        }
        catch (BadImageFormatException)
        {
            return null;
        }
    }

    private static Assembly LoadImage(string key, byte[] image)
    {
        // Its own collectible context per agent; the runtime and kernels resolve from the default
        // context, so the agent's types and the host's are the same types.
        var context = new AssemblyLoadContext("mtrl agent " + key[..16], isCollectible: true);
        using var stream = new MemoryStream(image, writable: false);
        return context.LoadFromStream(stream);
    }
}
