using System;
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
internal sealed record AgentAssembly(Assembly? Assembly, bool FromCache, ImmutableArray<Diagnostic> Diagnostics);

/// <summary>
/// Compiled agent assemblies on disk, keyed by a hash of everything that decides the generated
/// code: the spec's text and file name, the namespace, and the exact builds of the generator,
/// the front end, the runtime and the kernels. A stale or damaged entry is rebuilt, never used.
/// </summary>
internal sealed class AgentAssemblyCache
{
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
            .Append("mtrl-agent-cache/1\n")
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
    public string PathOf(string key) => Path.Combine(Directory, key + ".dll");

    /// <summary>Loads the agents of a spec, from the cache when an intact entry exists, else by generating and compiling them (and caching the result).</summary>
    public AgentAssembly Load(string specPath, string text, string rootNamespace = AgentCompiler.DefaultNamespace)
    {
        var key = KeyOf(specPath, text, rootNamespace);
        var cached = TryLoadCached(key);
        if (cached is not null) return new AgentAssembly(cached, FromCache: true, ImmutableArray<Diagnostic>.Empty);

        var source = AgentCompiler.Generate(specPath, text, rootNamespace);
        if (source.HasErrors) return new AgentAssembly(null, FromCache: false, source.Diagnostics);
        var (image, errors) = AgentCompiler.Compile(source, AssemblyNameOf(key));
        var diagnostics = source.Diagnostics.AddRange(errors);
        if (image is null) return new AgentAssembly(null, FromCache: false, diagnostics);
        TryStore(key, image);
        return new AgentAssembly(LoadImage(key, image), FromCache: false, diagnostics);
    }

    private static string AssemblyNameOf(string key) => "Mtrl.Agents." + key[..16];

    private Assembly? TryLoadCached(string key)
    {
        byte[] image;
        try
        {
            var path = PathOf(key);
            if (!File.Exists(path)) return null;
            image = File.ReadAllBytes(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        try
        {
            var assembly = LoadImage(key, image);
            // A damaged file can load and still fail here; either way it is rebuilt.
            return assembly.GetName().Name == AssemblyNameOf(key) ? assembly : null;
        }
        catch (BadImageFormatException)
        {
            return null;
        }
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
                stream.Write(image);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, PathOf(key), overwrite: true);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temporary); } catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { }
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
