using System.Collections.Generic;
using Mtrl.Dsl.Text;

namespace Mtrl.Dsl.Diagnostics;

/// <summary>Collects diagnostics for one file, capping errors so garbage input stays readable.</summary>
internal sealed class DiagnosticBag
{
    /// <summary>Beyond this many errors a file is noise; one MTRL0003 says so and the rest are dropped.</summary>
    public const int MaxErrors = 100;

    private readonly List<Diagnostic> _items = new();
    private int _errors;
    private bool _capped;

    public IReadOnlyList<Diagnostic> Items => _items;

    public bool HasErrors => _errors > 0;

    /// <summary>True once reporting has stopped; costly message parts (suggestions, paths) can be skipped.</summary>
    public bool IsCapped => _capped;

    /// <summary>Errors reported so far; binders compare it before and after a step to know if the step failed.</summary>
    public int ErrorCount => _errors;

    /// <summary>Messages quote user text; a megabyte-long identifier must not make a megabyte-long line.</summary>
    public const int MaxMessageLength = 400;

    private static string Shorten(string message) =>
        message.Length <= MaxMessageLength ? message : message.Substring(0, MaxMessageLength - 1) + "…";

    public void Report(DiagnosticDescriptor descriptor, SourceSpan span, string message) =>
        Report(descriptor, descriptor.Severity, span, message);

    public void Report(DiagnosticDescriptor descriptor, DiagnosticSeverity severity, SourceSpan span, string message)
    {
        if (_capped) return;
        if (severity == DiagnosticSeverity.Error)
        {
            if (_errors == MaxErrors)
            {
                _capped = true;
                _items.Add(new Diagnostic(DiagnosticCatalog.TooManyErrors.Code, DiagnosticSeverity.Error, span,
                    $"more than {MaxErrors} errors; stopped reporting"));
                return;
            }
            _errors++;
        }
        _items.Add(new Diagnostic(descriptor.Code, severity, span, Shorten(message)));
    }
}
