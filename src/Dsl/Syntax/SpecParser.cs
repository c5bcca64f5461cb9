using System.Collections.Generic;
using System.Linq;
using Mtrl.Dsl.Diagnostics;
using Mtrl.Dsl.Text;
using Sprache;

namespace Mtrl.Dsl.Syntax;

/// <summary>
/// Parses a whole file into items. Each item head is parsed with the Sprache grammar; bodies of
/// sections are looped over here so that after a syntax error the parser can skip to the next
/// line (keeping braces balanced) and go on, reporting every error of the file.
/// </summary>
internal sealed class SpecParser
{
    /// <summary>Sections may nest this deep (agent, section, sub-section leaves plenty of room).</summary>
    public const int MaxSectionDepth = 16;

    private readonly SourceText _text;
    private readonly DiagnosticBag _diagnostics;

    private SpecParser(SourceText text, DiagnosticBag diagnostics)
    {
        _text = text;
        _diagnostics = diagnostics;
    }

    /// <summary>Parses <paramref name="text"/>; problems go to <paramref name="diagnostics"/>.</summary>
    public static SyntaxFile Parse(SourceText text, DiagnosticBag diagnostics)
    {
        using (Grammar.UseFile(text.Path))
        {
            var parser = new SpecParser(text, diagnostics);
            IInput input = new TextInput(text.Text);
            var items = parser.ParseItems(ref input, null, 0, out _);
            return new SyntaxFile(text.Path, items.ToEquatableArray());
        }
    }

    private List<Item> ParseItems(ref IInput input, SourceSpan? openedAt, int depth, out bool hadErrors)
    {
        var items = new List<Item>();
        hadErrors = false;
        while (true)
        {
            input = Grammar.SkipTrivia(input);
            if (input.AtEnd)
            {
                if (openedAt is { } open)
                {
                    _diagnostics.Report(DiagnosticCatalog.SyntaxError, _text.Span(input.Position, 0),
                        $"expected '}}' to close the section opened at line {open.Line}, column {open.Column}, found end of file");
                    hadErrors = true;
                }
                return items;
            }
            if (input.Current == '}')
            {
                if (openedAt is not null)
                {
                    input = input.Advance();
                    return items;
                }
                _diagnostics.Report(DiagnosticCatalog.SyntaxError, _text.Span(input.Position, 1), "unexpected '}' with no section open");
                input = input.Advance();
                continue;
            }

            var start = input;
            var result = Grammar.ItemHead(input);
            if (!result.WasSuccessful)
            {
                ReportFailure(result);
                hadErrors = true;
                input = Recover(start, result.Remainder);
                continue;
            }

            var item = result.Value;
            input = result.Remainder;
            if (item.Kind == ItemKind.Section)
            {
                var brace = _text.Span(input.Position - 1, 1);
                if (depth + 1 >= MaxSectionDepth)
                {
                    _diagnostics.Report(DiagnosticCatalog.NestingTooDeep, brace,
                        $"sections nest deeper than {MaxSectionDepth} levels");
                    input = SkipBalanced(input, 1);
                    hadErrors = true;
                    continue;
                }
                var body = ParseItems(ref input, brace, depth + 1, out var bodyErrors);
                var end = _text.Span(input.Position, 0);
                item = item with { Body = body.ToEquatableArray(), Span = item.Span.Cover(end), IsIncomplete = bodyErrors };
                hadErrors |= bodyErrors;
            }
            items.Add(item);
        }
    }

    private void ReportFailure<T>(IResult<T> failure)
    {
        var at = failure.Remainder;
        if (failure.Message == Grammar.DepthMessage)
        {
            _diagnostics.Report(DiagnosticCatalog.NestingTooDeep, _text.Span(at.Position, 1),
                $"brackets and calls nest deeper than {Grammar.MaxExpressionDepth} levels");
            return;
        }
        var found = Describe(at);
        var expected = failure.Expectations.Distinct().ToList();
        string message;
        if (failure.Message.StartsWith("unterminated", System.StringComparison.Ordinal) ||
            failure.Message.StartsWith("unknown escape", System.StringComparison.Ordinal))
        {
            message = failure.Message;
        }
        else if (expected.Count == 0)
        {
            message = $"unexpected {found}";
        }
        else
        {
            message = $"expected {JoinAlternatives(expected)}, found {found}";
        }
        _diagnostics.Report(DiagnosticCatalog.SyntaxError, _text.Span(at.Position, FoundLength(at)), message);
    }

    private static string JoinAlternatives(IReadOnlyList<string> items) => items.Count switch
    {
        1 => items[0],
        2 => $"{items[0]} or {items[1]}",
        _ => string.Join(", ", items.Take(items.Count - 1)) + " or " + items[items.Count - 1],
    };

    /// <summary>Names the token at <paramref name="at"/> for "found …" messages.</summary>
    private string Describe(IInput at)
    {
        if (at.AtEnd) return "end of file";
        var c = at.Current;
        if (c == '\n' || c == '\r') return "end of line";
        var length = FoundLength(at);
        var text = _text.Text.Substring(at.Position, length);
        if (text.Length == 1 && char.IsControl(c)) return $"character U+{(int)c:X4}";
        return $"'{text}'";
    }

    private int FoundLength(IInput at)
    {
        var text = _text.Text;
        var start = at.Position;
        if (start >= text.Length) return 0;
        var end = start;
        bool Word(char ch) => char.IsLetterOrDigit(ch) || ch == '_' || ch == '.';
        if (Word(text[start]))
        {
            while (end < text.Length && Word(text[end]) && end - start < 40) end++;
            return end - start;
        }
        return char.IsHighSurrogate(text[start]) && start + 1 < text.Length ? 2 : 1;
    }

    /// <summary>
    /// Skips from the start of a failed item to the end of the line the failure is on; if the
    /// skipped text opened braces, also skips to where they close. Stops before a '}' that
    /// closes the enclosing section.
    /// </summary>
    private static IInput Recover(IInput itemStart, IInput failure)
    {
        var input = itemStart;
        var balance = 0;
        var failureLineDone = false;
        var mustPass = failure.Position;
        if (mustPass == itemStart.Position && !input.AtEnd && input.Current != '}')
        {
            // Always make progress.
            mustPass = itemStart.Position + 1;
        }
        while (!input.AtEnd)
        {
            var c = input.Current;
            if (c == '#')
            {
                while (!input.AtEnd && input.Current != '\n') input = input.Advance();
                continue;
            }
            if (c == '"')
            {
                input = input.Advance();
                while (!input.AtEnd && input.Current != '"' && input.Current != '\n') input = input.Advance();
                if (!input.AtEnd && input.Current == '"') input = input.Advance();
                continue;
            }
            if (c == '{') balance++;
            if (c == '}')
            {
                if (balance == 0 && input.Position >= mustPass) return input;
                if (balance > 0) balance--;
            }
            if (c == '\n' && input.Position >= mustPass) failureLineDone = true;
            input = input.Advance();
            if (failureLineDone && balance == 0) return input;
        }
        return input;
    }

    private static IInput SkipBalanced(IInput input, int balance)
    {
        while (!input.AtEnd && balance > 0)
        {
            if (input.Current == '{') balance++;
            else if (input.Current == '}') balance--;
            input = input.Advance();
        }
        return input;
    }
}
