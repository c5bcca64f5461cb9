using System;
using System.Linq;
using Mtrl.Dsl.Diagnostics;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Semantics;
using Mtrl.Dsl.Syntax;
using Mtrl.Dsl.Text;

namespace Mtrl.Dsl;

/// <summary>The result of reading one spec: the model (usable only when there are no errors) and every diagnostic.</summary>
public sealed record SpecResult(SpecModel Model, EquatableArray<Diagnostic> Diagnostics)
{
    /// <summary>True if any diagnostic is an error.</summary>
    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// The front end's one entry point: text in, model and diagnostics out. It never throws; an
/// internal failure becomes one MTRL9000 diagnostic naming the file.
/// </summary>
public static class SpecCompiler
{
    /// <summary>
    /// Test seam: runs between parsing and binding. Tests use it to prove an internal failure
    /// becomes MTRL9000 instead of an exception. Async-local so parallel tests do not interfere.
    /// </summary>
    internal static readonly System.Threading.AsyncLocal<Action<SyntaxFile>?> AfterParse = new();

    /// <summary>Parses and analyses <paramref name="text"/>, reported as <paramref name="path"/>.</summary>
    public static SpecResult Compile(string path, string text)
    {
        var source = new SourceText(path, StripByteOrderMark(text));
        var diagnostics = new DiagnosticBag();
        SpecModel model;
        try
        {
            var syntax = SpecParser.Parse(source, diagnostics);
            ReportInvalidNumbers(syntax, diagnostics);
            AfterParse.Value?.Invoke(syntax);
            model = new AgentBinder(diagnostics).Bind(syntax, source);
            GeneratedNames.Check(syntax, model, diagnostics);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            diagnostics.Report(DiagnosticCatalog.InternalError, source.Span(0, 0),
                $"internal error while reading {path}: {exception.GetType().Name}: {exception.Message}. Please report this with the spec.");
            model = new SpecModel(path, EquatableArray<AgentModel>.Empty);
        }
        var ordered = diagnostics.Items
            .Select((d, i) => (d, i))
            .OrderBy(p => p.d.Span.Start)
            .ThenBy(p => p.i)
            .Select(p => p.d)
            .ToEquatableArray();
        return new SpecResult(model, ordered);
    }

    /// <summary>Parses only, for tools that need the syntax tree (formatters, editors).</summary>
    public static SyntaxFile ParseSyntax(string path, string text, out EquatableArray<Diagnostic> diagnostics)
    {
        var bag = new DiagnosticBag();
        var syntax = SpecParser.Parse(new SourceText(path, StripByteOrderMark(text)), bag);
        ReportInvalidNumbers(syntax, bag);
        diagnostics = bag.Items.ToEquatableArray();
        return syntax;
    }

    /// <summary>
    /// A leading byte-order mark is not part of the text (editors show column 1 after it), so it
    /// is dropped before positions are computed; File.ReadAllText and Roslyn do the same.
    /// </summary>
    private static string StripByteOrderMark(string? text) =>
        text is { Length: > 0 } && text[0] == '\uFEFF' ? text.Substring(1) : text ?? "";

    private static void ReportInvalidNumbers(SyntaxFile syntax, DiagnosticBag diagnostics)
    {
        foreach (var item in syntax.Items) Walk(item, diagnostics);
    }

    private static void Walk(Item item, DiagnosticBag diagnostics)
    {
        if (item.Value is not null) Walk(item.Value, diagnostics);
        foreach (var child in item.Body) Walk(child, diagnostics);
    }

    private static void Walk(Expression expression, DiagnosticBag diagnostics)
    {
        switch (expression)
        {
            case NumberLiteral { IsValid: false } number:
                diagnostics.Report(DiagnosticCatalog.InvalidNumber, number.Span,
                    $"'{number.Text}' is not a valid number; write digits with optional '_' between them, a fraction and an exponent, e.g. 1_000_000 or 3e-4");
                break;
            case ListExpression list:
                foreach (var entry in list.Items) Walk(entry, diagnostics);
                break;
            case CallExpression call:
                foreach (var argument in call.Arguments) Walk(argument.Value, diagnostics);
                break;
        }
    }
}
