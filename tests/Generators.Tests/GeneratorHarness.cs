using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Mtrl.Generators.Tests;

/// <summary>An in-memory .mtrl file for the generator driver.</summary>
internal sealed class MtrlText : AdditionalText
{
    private readonly SourceText _text;

    public MtrlText(string path, string text)
    {
        Path = path;
        _text = SourceText.From(text);
    }

    public override string Path { get; }

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}

/// <summary>Per-file and global build options as MSBuild would pass them.</summary>
internal sealed class TestOptions : AnalyzerConfigOptionsProvider
{
    private readonly Options _global;
    private readonly Dictionary<string, Options> _files;

    public TestOptions(string? rootNamespace = null, Dictionary<string, string>? fileNamespaces = null)
    {
        _global = new Options(rootNamespace is null ? new() : new() { ["build_property.RootNamespace"] = rootNamespace });
        _files = (fileNamespaces ?? new()).ToDictionary(p => p.Key, p => new Options(new() { ["build_metadata.AdditionalFiles.MtrlNamespace"] = p.Value }));
    }

    public override AnalyzerConfigOptions GlobalOptions => _global;

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options(new());

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => _files.TryGetValue(textFile.Path, out var options) ? options : new Options(new());

    private sealed class Options : AnalyzerConfigOptions
    {
        private readonly Dictionary<string, string> _values;

        public Options(Dictionary<string, string> values) => _values = values;

        public override bool TryGetValue(string key, out string value) => _values.TryGetValue(key, out value!);
    }
}

internal static class GeneratorHarness
{
    public static string SpecsDirectory => Path.Combine(AppContext.BaseDirectory, "specs");

    public static string[] ExampleFiles => Directory.GetFiles(SpecsDirectory, "*.mtrl").OrderBy(f => f, StringComparer.Ordinal).ToArray();

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var trusted = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return trusted.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(Mtrl.Runtime.Parameters.ParameterLayout).Assembly.Location))
            .Append(MetadataReference.CreateFromFile(typeof(Mtrl.Kernels.Gemm).Assembly.Location))
            .ToImmutableArray();
    });

    public static CSharpCompilation Compilation(params string[] sources) => CSharpCompilation.Create(
        "Consumer",
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest), path: $"Source{i}.cs")),
        References.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver(IEnumerable<AdditionalText> specs, AnalyzerConfigOptionsProvider? options = null) =>
        CSharpGeneratorDriver.Create(
            new[] { new SpecGenerator().AsSourceGenerator() },
            specs,
            new CSharpParseOptions(LanguageVersion.Latest),
            options ?? new TestOptions("Consumer.Agents"),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static (GeneratorDriver Driver, Compilation Output, ImmutableArray<Diagnostic> Diagnostics) Run(
        IEnumerable<AdditionalText> specs, AnalyzerConfigOptionsProvider? options = null, params string[] sources)
    {
        var driver = Driver(specs, options).RunGeneratorsAndUpdateCompilation(Compilation(sources), out var output, out var diagnostics);
        return (driver, output, diagnostics);
    }
}
