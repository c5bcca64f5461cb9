using System.Collections.Generic;
using System.Linq;
using Mtrl.Dsl.Diagnostics;
using Mtrl.Dsl.Syntax;
using Mtrl.Dsl.Text;

namespace Mtrl.Dsl.Semantics;

/// <summary>An option value: a bare name (<c>pcgrad</c>) or a name with settings (<c>future(k: 4)</c>).</summary>
internal readonly record struct Option(string Name, Settings Settings, SourceSpan Span);

/// <summary>Reads option values against a fixed set of option names.</summary>
internal static class Options
{
    public static Option? Read(Settings owner, string key, Expression value, IReadOnlyList<string> names, DiagnosticBag diagnostics)
    {
        Identifier name;
        Settings settings;
        switch (value)
        {
            case NameExpression n:
                name = n.Name;
                settings = Settings.Empty(n.Name.Text, n.Span, diagnostics);
                break;
            case CallExpression call:
                name = call.Callee;
                foreach (var positional in call.Arguments.Where(a => a.Name is null))
                {
                    diagnostics.Report(DiagnosticCatalog.MisplacedArgument, positional.Span,
                        $"settings of '{call.Callee.Text}' are written by name, e.g. {call.Callee.Text}(name: value)");
                }
                settings = Settings.FromArguments(call.Callee.Text, call.Span, call.Arguments, diagnostics);
                break;
            default:
                owner.WrongKind(key, value, Settings.Alternatives(names));
                return null;
        }
        if (!names.Contains(name.Text))
        {
            diagnostics.Report(DiagnosticCatalog.UnknownKeyword, name.Span,
                $"unknown {key} '{name.Text}' for {owner.Context}; expected {Settings.Alternatives(names)}{Suggestions.DidYouMean(name.Text, names)}");
            return null;
        }
        return new Option(name.Text, settings, value.Span);
    }
}
