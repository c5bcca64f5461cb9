using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Mtrl.Dsl;
using Mtrl.Dsl.Semantics;

namespace Mtrl.Generators;

/// <summary>
/// AdditionalFiles ending in .mtrl → parse and analyse in a cached step → generated agent source
/// and diagnostics as two separate outputs, so an edit that only moves text re-reports
/// diagnostics without regenerating code. Never throws: an internal failure becomes MTRL9000.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class SpecGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var rootNamespace = context.AnalyzerConfigOptionsProvider.Select((options, _) =>
            options.GlobalOptions.TryGetValue("build_property.RootNamespace", out var value) && !string.IsNullOrWhiteSpace(value) ? value : "Mtrl.Agents");

        var files = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(".mtrl", StringComparison.OrdinalIgnoreCase))
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Combine(rootNamespace)
            .Select(static (pair, cancellation) =>
            {
                var ((text, options), fallback) = pair;
                var fileOptions = options.GetOptions(text);
                var ns = fileOptions.TryGetValue("build_metadata.AdditionalFiles.MtrlNamespace", out var value) && !string.IsNullOrWhiteSpace(value)
                    ? value
                    : fallback;
                return new SpecInput(text.Path, text.GetText(cancellation)?.ToString() ?? "", ns);
            })
            .WithTrackingName(TrackingNames.SpecFiles);

        var analyzed = files.Select(static (input, _) => Analyze(input)).WithTrackingName(TrackingNames.Analyzed);

        var sources = analyzed.Select(static (output, _) => (output.HintName, output.Source)).WithTrackingName(TrackingNames.Sources);
        context.RegisterSourceOutput(sources, static (spc, source) =>
        {
            if (source.Source is { } text) spc.AddSource(source.HintName, SourceText.From(text, System.Text.Encoding.UTF8));
        });

        var diagnostics = analyzed.Select(static (output, _) => output.Diagnostics).WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (spc, list) =>
        {
            foreach (var info in list) spc.ReportDiagnostic(RoslynDiagnostics.Create(info));
        });

        // Each spec is checked alone; only the build sees two specs declaring one class (partial
        // classes would merge into one with every member twice).
        var declarations = analyzed.Select(static (output, _) => output.Agents).Collect().WithTrackingName(TrackingNames.Declarations);
        context.RegisterSourceOutput(declarations, static (spc, all) =>
        {
            foreach (var info in DuplicateAgents(all)) spc.ReportDiagnostic(RoslynDiagnostics.Create(info));
        });
    }

    /// <summary>MTRL0111 for every agent class another spec of the build already generates in the same namespace.</summary>
    internal static System.Collections.Generic.IEnumerable<DiagnosticInfo> DuplicateAgents(ImmutableArray<EquatableArray<AgentDeclaration>> all)
    {
        var first = new System.Collections.Generic.Dictionary<(string, string), AgentDeclaration>();
        foreach (var declaration in all.SelectMany(a => a))
        {
            var key = (declaration.Namespace, declaration.Name);
            if (!first.TryGetValue(key, out var earlier))
            {
                first.Add(key, declaration);
                continue;
            }
            var descriptor = Dsl.Diagnostics.DiagnosticCatalog.GeneratedNameConflict;
            yield return new DiagnosticInfo(descriptor.Code, descriptor.Severity,
                $"agent '{declaration.Name}' is also generated from {System.IO.Path.GetFileName(earlier.Path)} (line {earlier.StartLine + 1}) into namespace {declaration.Namespace}; rename one, or give one spec another namespace (MtrlNamespace)",
                declaration.Path, declaration.Start, declaration.Length, declaration.StartLine, declaration.StartColumn, declaration.EndLine, declaration.EndColumn);
        }
    }

    /// <summary>The cached step: front end plus emitter, with every failure caught.</summary>
    internal static SpecOutput Analyze(SpecInput input)
    {
        var hintName = HintNames.For(input.Path);
        try
        {
            var result = SpecCompiler.Compile(input.Path, input.Text);
            var infos = result.Diagnostics.Select(d => new DiagnosticInfo(
                d.Code, d.Severity, d.Message, d.Span.File, d.Span.Start, d.Span.Length,
                d.Span.Line - 1, d.Span.Column - 1, d.Span.EndLine - 1, d.Span.EndColumn - 1)).ToEquatableArray();
            if (!IsNamespace(input.Namespace))
            {
                // The namespace comes from the build (RootNamespace, MtrlNamespace metadata), not the spec, and is written as code.
                var descriptor = Dsl.Diagnostics.DiagnosticCatalog.GeneratedNameConflict;
                var bad = new DiagnosticInfo(descriptor.Code, descriptor.Severity,
                    $"the namespace {CSharpLiterals.Str(input.Namespace)} (RootNamespace or the file's MtrlNamespace metadata) is not a dotted name of C# identifiers; no code is generated for {System.IO.Path.GetFileName(input.Path)}",
                    input.Path, 0, 0, 0, 0, 0, 0);
                return new SpecOutput(hintName, null, infos.Concat(new[] { bad }).ToEquatableArray());
            }
            var source = result.HasErrors ? null : AgentEmitter.Emit(result.Model, input.Namespace);
            if (source is null) return new SpecOutput(hintName, null, infos);
            infos = infos.Concat(TrainerFactoryNotes(result.Model)).ToEquatableArray();
            // Located at the 'agent' keyword only, so an edit inside the agent leaves the declarations unchanged.
            var agents = result.Model.Agents.Select(a => new AgentDeclaration(input.Namespace, a.Name, a.Span.File,
                a.Span.Start, "agent".Length, a.Span.Line - 1, a.Span.Column - 1, a.Span.Line - 1, a.Span.Column - 1 + "agent".Length)).ToEquatableArray();
            return new SpecOutput(hintName, source, infos, agents);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            var info = new DiagnosticInfo("MTRL9000", Dsl.Diagnostics.DiagnosticSeverity.Error,
                $"internal error while generating code for {input.Path}: {exception.GetType().Name}: {exception.Message}. Please report this with the spec.",
                input.Path, 0, 0, 0, 0, 0, 0);
            return new SpecOutput(hintName, null, new EquatableArray<DiagnosticInfo>(new[] { info }));
        }
    }

    /// <summary>True for a dotted sequence of C# identifiers that are not keywords (<c>global::</c> is not allowed).</summary>
    internal static bool IsNamespace(string value) =>
        value.Length > 0 && value.Split('.').All(part =>
            Microsoft.CodeAnalysis.CSharp.SyntaxFacts.IsValidIdentifier(part)
            && Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(part) == Microsoft.CodeAnalysis.CSharp.SyntaxKind.None);

    /// <summary>MTRL0410 for every agent the generator could make no trainer factory for, at its train section.</summary>
    private static System.Collections.Generic.IEnumerable<DiagnosticInfo> TrainerFactoryNotes(Dsl.Model.SpecModel model)
    {
        foreach (var agent in model.Agents)
        {
            if (TrainerSupport.Check(agent) is not { } reason) continue;
            var span = agent.Training.Span;
            var descriptor = Dsl.Diagnostics.DiagnosticCatalog.NoTrainerFactory;
            yield return new DiagnosticInfo(descriptor.Code, descriptor.Severity,
                $"agent '{agent.Name}' gets no CreateTrainer: {reason}; its networks and layout are generated",
                span.File, span.Start, span.Length, span.Line - 1, span.Column - 1, span.EndLine - 1, span.EndColumn - 1);
        }
    }
}

/// <summary>Roslyn descriptors for the front end's codes, and conversion of plain diagnostic data into located diagnostics.</summary>
internal static class RoslynDiagnostics
{
    private static readonly ImmutableDictionary<string, DiagnosticDescriptor> Descriptors =
        Dsl.Diagnostics.DiagnosticCatalog.All.ToImmutableDictionary(
            d => d.Code,
            d => new DiagnosticDescriptor(d.Code, d.Title, "{0}", "Mtrl.Spec", ToRoslyn(d.Severity), isEnabledByDefault: true,
                helpLinkUri: "docs/diagnostics.md#" + d.Code.ToLowerInvariant()));

    public static Diagnostic Create(DiagnosticInfo info)
    {
        var descriptor = Descriptors.TryGetValue(info.Code, out var known) ? known : Descriptors["MTRL9000"];
        var location = Location.Create(info.Path, new TextSpan(info.Start, info.Length),
            new LinePositionSpan(new LinePosition(info.StartLine, info.StartColumn), new LinePosition(info.EndLine, info.EndColumn)));
        return Diagnostic.Create(descriptor, location, ToRoslyn(info.Severity), additionalLocations: null, properties: null, info.Message);
    }

    private static DiagnosticSeverity ToRoslyn(Dsl.Diagnostics.DiagnosticSeverity severity) => severity switch
    {
        Dsl.Diagnostics.DiagnosticSeverity.Error => DiagnosticSeverity.Error,
        Dsl.Diagnostics.DiagnosticSeverity.Warning => DiagnosticSeverity.Warning,
        _ => DiagnosticSeverity.Info,
    };
}
