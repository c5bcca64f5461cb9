using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Mtrl.Dsl;
using Xunit;

namespace Mtrl.Generators.Tests;

public class GeneratorTests
{
    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var file in GeneratorHarness.ExampleFiles) data.Add(Path.GetFileName(file));
        return data;
    }

    private static MtrlText Example(string name)
    {
        var path = Path.Combine(GeneratorHarness.SpecsDirectory, name);
        return new MtrlText(path, File.ReadAllText(path));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void GeneratedCodeCompilesWithoutWarningsAndItsLayoutMatchesTheModel(string name)
    {
        var spec = Example(name);
        var (_, output, generatorDiagnostics) = GeneratorHarness.Run(new[] { spec });
        // MTRL0410 (no trainer factory for this algorithm yet) is informational: TrainerFactoryTests.
        Assert.Empty(generatorDiagnostics.Where(d => d.Id != "MTRL0410" || d.Severity != DiagnosticSeverity.Info));
        var compileDiagnostics = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(compileDiagnostics.Count == 0, string.Join("\n", compileDiagnostics));

        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var assembly = Assembly.Load(stream.ToArray());
        var model = SpecCompiler.Compile(spec.Path, File.ReadAllText(spec.Path)).Model;
        foreach (var agent in model.Agents)
        {
            var type = assembly.GetType($"Consumer.Agents.{agent.Name}", throwOnError: true)!;
            var layout = (Mtrl.Runtime.Parameters.ParameterLayout)type.GetMethod("CreateLayout")!.Invoke(null, null)!;
            var groups = agent.Networks.SelectMany(n => n.Parameters).GroupBy(p => p.Name).Select(g => g.First()).ToList();
            Assert.Equal(groups.Count, layout.Slices.Count);
            Assert.Equal(groups.Sum(g => g.Count), layout.ParameterCount);
            foreach (var group in groups)
            {
                var slice = layout[group.Name];
                Assert.Equal((group.Rows, group.Columns), (slice.Rows, slice.Columns));
                Assert.Equal((int)group.Owner.Kind, (int)slice.Owner.Kind);
                Assert.Equal((group.Owner.Index, group.Owner.Index2), (slice.Owner.Index, slice.Owner.Index2));
            }
            Assert.Equal(agent.Tasks, (int)type.GetField("Tasks")!.GetRawConstantValue()!);
            var training = type.GetNestedType("Training")!;
            Assert.Equal(agent.Training.Algorithm.ToString().ToLowerInvariant(), training.GetField("Algorithm")!.GetRawConstantValue());
            Assert.Equal(agent.Training.Gamma, (double)training.GetField("Gamma")!.GetRawConstantValue()!);
            // The layout builds a store whose initialisation is deterministic.
            var store = new Mtrl.Runtime.Parameters.ParameterStore(layout);
            store.Initialize(7);
            Assert.Contains(store.Values, v => v != 0f);
            // UseGemm reaches every layer that multiplies matrices, alone or in arrays.
            using var accelerator = new Mtrl.Kernels.CpuAccelerator(1);
            foreach (var networkType in type.GetNestedTypes().Where(t => t.Name.EndsWith("Network", StringComparison.Ordinal)))
            {
                var network = Activator.CreateInstance(networkType, store, 2)!;
                networkType.GetMethod("UseGemm")!.Invoke(network, new object?[] { Mtrl.Kernels.GemmBackend.Managed, accelerator });
                var layers = GemmLayers(network).ToList();
                Assert.NotEmpty(layers);
                foreach (var layer in layers)
                {
                    Assert.Equal(Mtrl.Kernels.GemmBackend.Managed, (Mtrl.Kernels.GemmBackend)layer.GetType().GetProperty("Backend")!.GetValue(layer)!);
                    Assert.Same(accelerator, layer.GetType().GetProperty("Accelerator")!.GetValue(layer));
                }
            }
        }
    }

    /// <summary>Every Linear, TaskLinear and LinearMap a network holds, in fields or (nested) arrays.</summary>
    private static System.Collections.Generic.IEnumerable<object> GemmLayers(object network)
    {
        static System.Collections.Generic.IEnumerable<object> Flatten(object? value) => value switch
        {
            null => Enumerable.Empty<object>(),
            Array array => array.Cast<object?>().SelectMany(Flatten),
            Mtrl.Runtime.Layers.Linear or Mtrl.Runtime.Layers.TaskLinear or Mtrl.Runtime.Layers.LinearMap => new[] { value },
            _ => Enumerable.Empty<object>(),
        };
        return network.GetType().GetFields(BindingFlags.Instance | BindingFlags.NonPublic).SelectMany(f => Flatten(f.GetValue(network)));
    }

    [Fact]
    public void SpecDiagnosticsBecomeCompilerDiagnosticsInTheMtrlFile()
    {
        var text = "agent A {\n  input obs: 4\n  action: discrete(2)\n  network q {\n    out q = q_values(obsv)\n  }\n  train dqn { }\n}\n";
        var (driver, output, diagnostics) = GeneratorHarness.Run(new[] { new MtrlText("/specs/a.mtrl", text) });
        var diagnostic = Assert.Single(diagnostics, d => d.Id == "MTRL0101");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal("/specs/a.mtrl", span.Path);
        Assert.Equal((4, 21), (span.StartLinePosition.Line, span.StartLinePosition.Character));
        Assert.Equal(text.IndexOf("obsv", StringComparison.Ordinal), diagnostic.Location.SourceSpan.Start);
        Assert.Contains("did you mean 'obs'?", diagnostic.GetMessage());
        // No code for a spec with errors.
        Assert.Empty(driver.GetRunResult().GeneratedTrees);
        Assert.Empty(output.SyntaxTrees);
    }

    [Fact]
    public void WarningsAreReportedAndCodeIsStillGenerated()
    {
        var text = "agent A {\n  input obs: 4\n  input unused: 2\n  action: discrete(2)\n  network q {\n    out q = q_values(obs)\n  }\n  train dqn { }\n}\n";
        var (driver, _, diagnostics) = GeneratorHarness.Run(new[] { new MtrlText("/specs/w.mtrl", text) });
        Assert.Equal(DiagnosticSeverity.Warning, Assert.Single(diagnostics).Severity);
        Assert.Single(driver.GetRunResult().GeneratedTrees);
    }

    [Fact]
    public void NamespaceComesFromFileMetadataThenRootNamespace()
    {
        var a = new MtrlText("/specs/a.mtrl", "agent A {\n  input obs: 4\n  action: discrete(2)\n  network q {\n    out q = q_values(obs)\n  }\n  train dqn { }\n}\n");
        var b = new MtrlText("/specs/b.mtrl", "agent B {\n  input obs: 4\n  action: discrete(2)\n  network q {\n    out q = q_values(obs)\n  }\n  train dqn { }\n}\n");
        var options = new TestOptions("My.Root", new() { ["/specs/b.mtrl"] = "Special.Place" });
        var (_, output, _) = GeneratorHarness.Run(new[] { a, b }, options);
        Assert.NotNull(output.GetTypeByMetadataName("My.Root.A"));
        Assert.NotNull(output.GetTypeByMetadataName("Special.Place.B"));
        var (_, fallback, _) = GeneratorHarness.Run(new[] { a }, new TestOptions());
        Assert.NotNull(fallback.GetTypeByMetadataName("Mtrl.Agents.A"));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void EveryNetworkOfEveryExampleGetsAClass(string name)
    {
        var spec = Example(name);
        var (_, output, diagnostics) = GeneratorHarness.Run(new[] { spec });
        Assert.DoesNotContain(diagnostics, d => d.Id == "MTRL0409");
        foreach (var agent in SpecCompiler.Compile(spec.Path, spec.GetText()!.ToString()).Model.Agents)
        {
            var type = output.GetTypeByMetadataName($"Consumer.Agents.{agent.Name}")!;
            foreach (var network in agent.Networks) Assert.Single(type.GetTypeMembers(NetworkEmitter.ClassName(network)));
        }
    }

    [Fact]
    public void GarbageNeverThrowsOutOfTheGenerator()
    {
        var random = new Random(5);
        var bytes = new byte[3000];
        random.NextBytes(bytes);
        var (driver, _, diagnostics) = GeneratorHarness.Run(new[] { new MtrlText("/specs/g.mtrl", System.Text.Encoding.UTF8.GetString(bytes)) });
        Assert.Null(driver.GetRunResult().Results.Single().Exception);
        Assert.All(diagnostics, d => Assert.StartsWith("MTRL", d.Id));
        Assert.NotEmpty(diagnostics);
    }

    [Fact]
    public void AnInternalFailureBecomesMtrl9000()
    {
        var output = SpecGenerator.Analyze(new SpecInput("/specs/x.mtrl", null!, "N"));
        // A null text is treated as empty by the front end: no crash, just "no agent".
        Assert.Equal("MTRL0004", Assert.Single(output.Diagnostics).Code);
        var info = new DiagnosticInfo("MTRL9000", Dsl.Diagnostics.DiagnosticSeverity.Error, "boom", "/specs/x.mtrl", 0, 0, 0, 0, 0, 0);
        var diagnostic = RoslynDiagnostics.Create(info);
        Assert.Equal("MTRL9000", diagnostic.Id);
        Assert.Equal("/specs/x.mtrl", diagnostic.Location.GetLineSpan().Path);
    }

    [Fact]
    public void ModelsPassedThroughThePipelineHoldNoRoslynObjects()
    {
        var seen = new System.Collections.Generic.HashSet<Type>();
        void Walk(Type type)
        {
            if (!seen.Add(type) || type.IsPrimitive || type.IsEnum || type == typeof(string)) return;
            Assert.False(typeof(ISymbol).IsAssignableFrom(type), type.FullName);
            Assert.False(typeof(Compilation).IsAssignableFrom(type), type.FullName);
            Assert.False(typeof(SyntaxNode).IsAssignableFrom(type), type.FullName);
            Assert.NotEqual(typeof(Location), type);
            foreach (var property in type.GetProperties()) Walk(property.PropertyType);
            foreach (var argument in type.GetGenericArguments()) Walk(argument);
        }
        Walk(typeof(SpecInput));
        Walk(typeof(SpecOutput));
        Assert.Contains(typeof(DiagnosticInfo), seen);
    }
}
