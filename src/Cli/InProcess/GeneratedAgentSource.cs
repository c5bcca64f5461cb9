using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Mtrl.Cli.InProcess;

/// <summary>One file the generator produced for a spec.</summary>
internal sealed record GeneratedFile(string HintName, string Text);

/// <summary>What the generator made of one spec: its source files and its diagnostics.</summary>
internal sealed record GeneratedAgentSource(string SpecPath, string Namespace, ImmutableArray<GeneratedFile> Files, ImmutableArray<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
}
