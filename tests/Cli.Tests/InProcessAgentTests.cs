using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Mtrl.Cli.InProcess;
using Mtrl.Dsl;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary>The in-process path: the generator run by the CLI, compiled, cached and loaded.</summary>
public sealed class InProcessAgentTests : IDisposable
{
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "mtrl-cache-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
    }

    private static string Spec(string name) => Path.Combine(AppContext.BaseDirectory, "specs", name);

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "specs"), "*.mtrl").OrderBy(f => f, StringComparer.Ordinal)) data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void EveryExampleCompilesLoadsAndBuildsItsNetworks(string name)
    {
        var text = File.ReadAllText(Spec(name));
        var model = SpecCompiler.Compile(name, text).Model;
        var cache = new AgentAssemblyCache(_cache);

        var loaded = cache.Load(Spec(name), text);

        Assert.False(loaded.FromCache);
        Assert.NotNull(loaded.Assembly);
        foreach (var agent in model.Agents)
        {
            var type = loaded.Assembly!.GetType($"{AgentCompiler.DefaultNamespace}.{agent.Name}", throwOnError: true)!;
            var layout = (ParameterLayout)type.GetMethod("CreateLayout", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, null)!;
            var expected = agent.Networks.SelectMany(n => n.Parameters).GroupBy(p => p.Name).Sum(g => g.First().Count);
            Assert.Equal(expected, layout.ParameterCount);

            var store = new ParameterStore(layout);
            store.Initialize(seed: 7);
            var networks = type.GetNestedTypes().Where(t => t.Name.EndsWith("Network", StringComparison.Ordinal)).ToList();
            foreach (var network in networks)
            {
                var instance = Activator.CreateInstance(network, store, 4)!;
                Assert.Equal(4, (int)network.GetProperty("MaxBatch")!.GetValue(instance)!);
            }
        }
    }

    [Fact]
    public void ASecondLoadComesFromTheCacheAndGivesTheSameAgent()
    {
        var text = File.ReadAllText(Spec("her_bitflip.mtrl"));
        var first = new AgentAssemblyCache(_cache).Load(Spec("her_bitflip.mtrl"), text);
        var second = new AgentAssemblyCache(_cache).Load(Spec("her_bitflip.mtrl"), text);

        Assert.False(first.FromCache);
        Assert.True(second.FromCache);
        Assert.Single(Directory.GetFiles(_cache, "*.agent"));
        Assert.Empty(Directory.GetFiles(_cache, "*.tmp"));
        Assert.Equal(LayoutHash(first.Assembly!), LayoutHash(second.Assembly!));
    }

    [Fact]
    public void ADamagedCacheEntryIsRebuiltNotUsed()
    {
        var path = Spec("her_bitflip.mtrl");
        var text = File.ReadAllText(path);
        var cache = new AgentAssemblyCache(_cache);
        cache.Load(path, text);
        var entry = cache.PathOf(AgentAssemblyCache.KeyOf(path, text, AgentCompiler.DefaultNamespace));
        var bytes = File.ReadAllBytes(entry);
        File.WriteAllBytes(entry, bytes.AsSpan(0, bytes.Length / 3).ToArray());

        var reloaded = cache.Load(path, text);

        Assert.False(reloaded.FromCache);
        Assert.NotNull(reloaded.Assembly);
        Assert.Equal(bytes.Length, new FileInfo(entry).Length);
    }

    [Fact]
    public void TheKeyFollowsTextFileNameAndNamespaceOnly()
    {
        var key = AgentAssemblyCache.KeyOf("/a/x.mtrl", "agent A {}", "N");
        Assert.Equal(key, AgentAssemblyCache.KeyOf("/elsewhere/x.mtrl", "agent A {}", "N"));
        Assert.NotEqual(key, AgentAssemblyCache.KeyOf("/a/y.mtrl", "agent A {}", "N"));
        Assert.NotEqual(key, AgentAssemblyCache.KeyOf("/a/x.mtrl", "agent A { }", "N"));
        Assert.NotEqual(key, AgentAssemblyCache.KeyOf("/a/x.mtrl", "agent A {}", "M"));
        Assert.Matches("^[0-9a-f]{64}$", key);
    }

    [Fact]
    public void ASpecWithErrorsLoadsNothingAndSaysWhere()
    {
        var path = Path.Combine(_cache, "broken.mtrl");
        var loaded = new AgentAssemblyCache(_cache).Load(path, "agent A {\n  tasks: 0\n}\n");

        Assert.Null(loaded.Assembly);
        var error = Assert.Single(loaded.Diagnostics, d => d.Id == "MTRL0300");
        Assert.Equal(path, error.Location.GetLineSpan().Path);
        Assert.Equal(1, error.Location.GetLineSpan().StartLinePosition.Line);
        Assert.False(Directory.Exists(_cache) && Directory.GetFiles(_cache, "*.agent").Length > 0);
    }

    [Fact]
    public void AnUnwritableCacheStillLoadsTheAgent()
    {
        File.WriteAllText(_cache, "a file where the cache directory should be");
        try
        {
            var loaded = new AgentAssemblyCache(Path.Combine(_cache, "agents")).Load(Spec("her_bitflip.mtrl"), File.ReadAllText(Spec("her_bitflip.mtrl")));
            Assert.NotNull(loaded.Assembly);
        }
        finally
        {
            File.Delete(_cache);
        }
    }

    private static ulong LayoutHash(Assembly assembly)
    {
        var type = assembly.GetTypes().Single(t => t.GetMethod("CreateLayout", BindingFlags.Public | BindingFlags.Static) is not null);
        return ((ParameterLayout)type.GetMethod("CreateLayout")!.Invoke(null, null)!).Hash;
    }
}
