using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Mtrl.Generators;

namespace Mtrl.Cli.InProcess;

/// <summary>
/// Runs the source generator on a spec in-process and compiles what it emits against the
/// runtime — the same generator a project build runs, so an ad-hoc agent is the agent a
/// project would get.
/// </summary>
internal static class AgentCompiler
{
    /// <summary>The namespace the generator uses when a project names none.</summary>
    public const string DefaultNamespace = "Mtrl.Agents";

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        // The running application's own assemblies: the framework, the runtime and the kernels.
        var trusted = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return trusted
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    });

    /// <summary>The generator's output for <paramref name="text"/>, read as the file <paramref name="path"/>.</summary>
    public static GeneratedAgentSource Generate(string path, string text, string rootNamespace = DefaultNamespace)
    {
        var driver = CSharpGeneratorDriver.Create(
            new[] { new SpecGenerator().AsSourceGenerator() },
            new AdditionalText[] { new SpecAdditionalText(path, text) },
            ParseOptions,
            new SpecBuildOptions(rootNamespace));
        var result = driver.RunGenerators(EmptyCompilation("Mtrl.Agents.Probe")).GetRunResult();
        var files = result.GeneratedTrees
            .Select(tree => new GeneratedFile(Path.GetFileName(tree.FilePath), tree.GetText().ToString()))
            .ToImmutableArray();
        return new GeneratedAgentSource(path, rootNamespace, files, result.Diagnostics);
    }

    /// <summary>
    /// Compiles generated sources into an assembly image named <paramref name="assemblyName"/>.
    /// Generated code that does not compile is a generator bug; its errors come back, not an exception.
    /// </summary>
    public static (byte[]? Image, ImmutableArray<Diagnostic> Errors) Compile(GeneratedAgentSource source, string assemblyName)
    {
        var trees = source.Files.Select(file => CSharpSyntaxTree.ParseText(file.Text, ParseOptions, path: file.HintName));
        var compilation = EmptyCompilation(assemblyName).AddSyntaxTrees(trees);
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        return emitted.Success ? (image.ToArray(), errors) : (null, errors);
    }

    private static CSharpCompilation EmptyCompilation(string assemblyName) => CSharpCompilation.Create(
        assemblyName,
        syntaxTrees: null,
        References.Value,
        new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            optimizationLevel: OptimizationLevel.Release,
            nullableContextOptions: NullableContextOptions.Enable,
            deterministic: true));
}
