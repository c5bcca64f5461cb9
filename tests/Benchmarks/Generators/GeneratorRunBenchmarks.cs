using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Mtrl.Generators;

namespace Mtrl.Benchmarks.Generators;

/// <summary>
/// One full generator run over every example spec, as a build does it: a fresh driver (nothing
/// cached from an earlier run), warm JIT. Target: &lt; 200 ms. In-process: the child process
/// BenchmarkDotNet builds does not resolve the generator's Dsl dependency, and an in-process
/// run measures the same thing for a workload this long.
/// </summary>
[MemoryDiagnoser]
[BenchmarkDotNet.Attributes.InProcess]
public class GeneratorRunBenchmarks
{
    private ImmutableArray<AdditionalText> _specs;
    private CSharpCompilation _compilation = null!;

    [GlobalSetup]
    public void Setup()
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "specs");
        _specs = Directory.GetFiles(directory, "*.mtrl").OrderBy(f => f, StringComparer.Ordinal)
            .Select(path => (AdditionalText)new SpecFile(path, File.ReadAllText(path)))
            .ToImmutableArray();
        _compilation = CSharpCompilation.Create("Consumer", references: new[] { MetadataReference.CreateFromFile(typeof(object).Assembly.Location) });
        var run = AllExamples();
        if (run.GeneratedTrees.Length != _specs.Length || run.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error || d.Id.StartsWith("CS", StringComparison.Ordinal))) throw new InvalidOperationException($"expected one generated file per example spec ({_specs.Length}) and no errors, got {run.GeneratedTrees.Length} files and {string.Join("; ", run.Diagnostics)}");
    }

    [Benchmark]
    public GeneratorDriverRunResult AllExamples() =>
        CSharpGeneratorDriver.Create(new[] { new SpecGenerator().AsSourceGenerator() }, _specs)
            .RunGenerators(_compilation)
            .GetRunResult();

    private sealed class SpecFile(string path, string text) : AdditionalText
    {
        private readonly SourceText _text = SourceText.From(text);

        public override string Path { get; } = path;

        public override SourceText GetText(System.Threading.CancellationToken cancellationToken = default) => _text;
    }
}
