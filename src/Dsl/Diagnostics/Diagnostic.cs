using Mtrl.Dsl.Text;

namespace Mtrl.Dsl.Diagnostics;

/// <summary>How bad a finding is: errors stop a build, warnings do not.</summary>
public enum DiagnosticSeverity
{
    /// <summary>Worth knowing; never fails anything.</summary>
    Info,
    /// <summary>Probably a mistake, but the spec still means something.</summary>
    Warning,
    /// <summary>The spec cannot be used.</summary>
    Error,
}

/// <summary>
/// One finding about a spec, as plain data so the CLI, the source generator and tests all
/// consume the same thing.
/// </summary>
public sealed record Diagnostic(string Code, DiagnosticSeverity Severity, SourceSpan Span, string Message)
{
    /// <summary>True for errors.</summary>
    public bool IsError => Severity == DiagnosticSeverity.Error;

    /// <summary>MSBuild's format: <c>path(line,col): error MTRL0001: message</c>.</summary>
    public string ToMsBuildString()
    {
        var severity = Severity switch
        {
            DiagnosticSeverity.Error => "error",
            DiagnosticSeverity.Warning => "warning",
            _ => "info",
        };
        return $"{Span.File}({Span.Line},{Span.Column}): {severity} {Code}: {Message}";
    }

    /// <inheritdoc />
    public override string ToString() => ToMsBuildString();
}
