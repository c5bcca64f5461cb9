namespace Mtrl.Dsl.Diagnostics;

/// <summary>A diagnostic code with its default severity and a one-line title (for docs and Roslyn).</summary>
public sealed record DiagnosticDescriptor(string Code, DiagnosticSeverity Severity, string Title);
