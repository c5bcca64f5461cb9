using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Mtrl.Dsl.Text;
using Sprache;

namespace Mtrl.Dsl.Syntax;

/// <summary>
/// Sprache combinators for one item head and for expressions. Section bodies are parsed by
/// <see cref="SpecParser"/>, which loops over items so it can recover after an error and report
/// every error in a file. Parsers are built once; the file path reaches spans through a
/// thread-static set for the duration of one parse.
/// </summary>
internal static class Grammar
{
    /// <summary>
    /// Brackets and calls may nest this deep; deeper input is reported, never a stack overflow.
    /// Each level costs the combinators several kilobytes of stack, so 32 levels still parse on a
    /// 256 KB thread (tests prove it); real specs nest three or four levels.
    /// </summary>
    public const int MaxExpressionDepth = 32;

    /// <summary>The failure message that marks an exceeded depth (turned into MTRL0005).</summary>
    public const string DepthMessage = "nesting too deep";

    [ThreadStatic] private static string? s_file;
    [ThreadStatic] private static int s_depth;

    /// <summary>Sets the path stamped into spans while parsing on this thread.</summary>
    public static IDisposable UseFile(string path)
    {
        s_file = path;
        s_depth = 0;
        return new FileScope();
    }

    private sealed class FileScope : IDisposable
    {
        public void Dispose() => s_file = null;
    }

    private static SourceSpan ToSpan<T>(ITextSpan<T> span) =>
        new(s_file ?? "", span.Start.Pos, span.Length, span.Start.Line, span.Start.Column, span.End.Line, span.End.Column);

    // ---- trivia -------------------------------------------------------------------------

    /// <summary>Skips whitespace, a byte-order mark and <c>#</c> comments.</summary>
    public static IInput SkipTrivia(IInput input)
    {
        while (!input.AtEnd)
        {
            var c = input.Current;
            if (char.IsWhiteSpace(c) || c == '\uFEFF')
            {
                input = input.Advance();
            }
            else if (c == '#')
            {
                while (!input.AtEnd && input.Current != '\n') input = input.Advance();
            }
            else
            {
                break;
            }
        }
        return input;
    }

    private static readonly Parser<object?> Trivia = input => Result.Success<object?>(null, SkipTrivia(input));

    private static Parser<T> Token<T>(Parser<T> parser) => from _ in Trivia from value in parser select value;

    private static Parser<char> Symbol(char c) => Token(Parse.Char(c).Named($"'{c}'"));

    // ---- tokens -------------------------------------------------------------------------

    private static bool IsIdentifierStart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_';

    private static bool IsIdentifierPart(char c) => IsIdentifierStart(c) || c is >= '0' and <= '9';

    private static readonly Parser<string> IdentifierText = input =>
    {
        if (input.AtEnd || !IsIdentifierStart(input.Current))
        {
            return Result.Failure<string>(input, "expected an identifier", new[] { "identifier" });
        }
        var builder = new StringBuilder();
        while (!input.AtEnd && IsIdentifierPart(input.Current))
        {
            builder.Append(input.Current);
            input = input.Advance();
        }
        return Result.Success(builder.ToString(), input);
    };

    /// <summary>An identifier: ASCII letter or '_' then letters, digits, '_'.</summary>
    public static readonly Parser<Identifier> Identifier =
        Token(IdentifierText.Span()).Select(s => new Identifier(s.Value, ToSpan(s))).Named("identifier");

    /// <summary>
    /// Identifiers joined by '.' with nothing between them (<c>q.h</c>, <c>encoder.fc0</c>): the
    /// names of parameter slices, which <c>freeze</c> lists. A '.' not followed by an identifier
    /// is left for the next parser (which reports it).
    /// </summary>
    private static readonly Parser<string> DottedText = input =>
    {
        var first = IdentifierText(input);
        if (!first.WasSuccessful) return first;
        var builder = new StringBuilder(first.Value);
        input = first.Remainder;
        while (!input.AtEnd && input.Current == '.')
        {
            var after = input.Advance();
            if (after.AtEnd || !IsIdentifierStart(after.Current)) break;
            var part = IdentifierText(after);
            builder.Append('.').Append(part.Value);
            input = part.Remainder;
        }
        return Result.Success(builder.ToString(), input);
    };

    /// <summary>A name as a value: an identifier, or a dotted path of them (see <see cref="DottedText"/>).</summary>
    private static readonly Parser<Identifier> DottedName =
        Token(DottedText.Span()).Select(s => new Identifier(s.Value, ToSpan(s))).Named("identifier");

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    // Scans the widest number-looking token, then validates it, so "1__0" is one bad number
    // (MTRL0002) rather than a confusing syntax error.
    private static readonly Parser<(string Text, bool IsInteger, bool IsValid, double Value)> NumberText = input =>
    {
        var start = input;
        var text = new StringBuilder();
        if (!input.AtEnd && input.Current == '-')
        {
            text.Append('-');
            input = input.Advance();
        }
        if (input.AtEnd || !IsDigit(input.Current))
        {
            return Result.Failure<(string, bool, bool, double)>(start, "expected a number", new[] { "number" });
        }
        var isInteger = true;
        void Digits(ref IInput i)
        {
            while (!i.AtEnd && (IsDigit(i.Current) || i.Current == '_'))
            {
                text.Append(i.Current);
                i = i.Advance();
            }
        }
        Digits(ref input);
        if (!input.AtEnd && input.Current == '.')
        {
            isInteger = false;
            text.Append('.');
            input = input.Advance();
            Digits(ref input);
        }
        if (!input.AtEnd && (input.Current == 'e' || input.Current == 'E'))
        {
            isInteger = false;
            text.Append(input.Current);
            input = input.Advance();
            if (!input.AtEnd && (input.Current == '+' || input.Current == '-'))
            {
                text.Append(input.Current);
                input = input.Advance();
            }
            Digits(ref input);
        }
        // A letter glued to a number ("400x") is part of the bad token.
        while (!input.AtEnd && IsIdentifierPart(input.Current))
        {
            text.Append(input.Current);
            input = input.Advance();
        }
        var raw = text.ToString();
        var valid = NumberSyntax.TryParse(raw, out var value);
        return Result.Success((raw, isInteger, valid, value), input);
    };

    private static readonly Parser<Expression> Number =
        Token(NumberText.Span()).Select(s => (Expression)new NumberLiteral(
            s.Value.Value, s.Value.Text, s.Value.IsInteger, s.Value.IsValid, ToSpan(s))).Named("number");

    private static readonly Parser<string> StringText = input =>
    {
        var start = input;
        if (input.AtEnd || input.Current != '"')
        {
            return Result.Failure<string>(input, "expected a string", new[] { "string" });
        }
        input = input.Advance();
        var builder = new StringBuilder();
        while (true)
        {
            if (input.AtEnd || input.Current == '\n')
            {
                return Result.Failure<string>(input, "unterminated string", new[] { "closing '\"'" });
            }
            var c = input.Current;
            input = input.Advance();
            if (c == '"') return Result.Success(builder.ToString(), input);
            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }
            if (input.AtEnd)
            {
                return Result.Failure<string>(input, "unterminated string", new[] { "closing '\"'" });
            }
            var escaped = input.Current;
            switch (escaped)
            {
                case '"': builder.Append('"'); break;
                case '\\': builder.Append('\\'); break;
                case 'n': builder.Append('\n'); break;
                case 't': builder.Append('\t'); break;
                default:
                    return Result.Failure<string>(input, $"unknown escape '\\{escaped}'", new[] { "one of \\\" \\\\ \\n \\t" });
            }
            input = input.Advance();
        }
    };

    private static readonly Parser<Expression> String =
        Token(StringText.Span()).Select(s => (Expression)new StringLiteral(s.Value, ToSpan(s))).Named("string");

    // ---- expressions ----------------------------------------------------------------------

    private static Parser<T> DepthGuarded<T>(Parser<T> parser) => input =>
    {
        if (s_depth >= MaxExpressionDepth)
        {
            return Result.Failure<T>(input, DepthMessage, new[] { $"at most {MaxExpressionDepth} levels of brackets" });
        }
        s_depth++;
        try
        {
            return parser(input);
        }
        finally
        {
            s_depth--;
        }
    };

    private static readonly Parser<Expression> ExpressionRef = DepthGuarded(Parse.Ref(() => Expression!));

    /// <summary>
    /// Items separated by commas up to <paramref name="close"/> (a trailing comma is fine). Once
    /// the opening bracket has been read the list is committed: a failure inside it is reported
    /// where it happens, with "expected ',' or ']'" after an item.
    /// </summary>
    private static Parser<List<T>> CommaList<T>(Parser<T> item, char close)
    {
        var closing = Symbol(close);
        var separator = Symbol(',').Return(false).Or(closing.Return(true));
        return input =>
        {
            var list = new List<T>();
            var empty = closing(input);
            if (empty.WasSuccessful) return Result.Success(list, empty.Remainder);
            while (true)
            {
                var next = item(input);
                if (!next.WasSuccessful) return Result.Failure<List<T>>(next.Remainder, next.Message, next.Expectations);
                list.Add(next.Value);
                input = next.Remainder;
                var end = separator(input);
                if (!end.WasSuccessful)
                {
                    return Result.Failure<List<T>>(end.Remainder, end.Message, new[] { "','", $"'{close}'" });
                }
                input = end.Remainder;
                if (end.Value) return Result.Success(list, input);
                var trailing = closing(input);
                if (trailing.WasSuccessful) return Result.Success(list, trailing.Remainder);
            }
        };
    }

    // Spans start after leading trivia: Trivia first, then the spanned parser.
    private static Parser<ITextSpan<T>> TokenSpan<T>(Parser<T> parser) => from _ in Trivia from span in parser.Span() select span;

    private static readonly Parser<Expression> List =
        TokenSpan(from open in Symbol('[')
         from items in CommaList(ExpressionRef, ']')
         select items).Select(s => (Expression)new ListExpression(s.Value.ToEquatableArray(), ToSpan(s)));

    // "name:" backtracks as a unit; once it matched, the value is committed so errors inside it
    // are reported where they are instead of at the colon.
    private static readonly Parser<Identifier> ArgumentName =
        from name in Identifier
        from colon in Symbol(':')
        select name;

    private static readonly Parser<Argument> Argument =
        TokenSpan(from name in ArgumentName.Optional()
         from value in ExpressionRef
         select (name, value)).Select(s => new Argument(s.Value.name.GetOrDefault(), s.Value.value, ToSpan(s)));

    private static readonly Parser<Expression> NameOrCall =
        TokenSpan(from name in DottedName
         from open in Symbol('(').Optional()
         from args in open.IsDefined
            ? CommaList(Argument, ')').Select(items => (List<Argument>?)items)
            : Parse.Return<List<Argument>?>(null)
         select (name, args)).Select(s => s.Value.args is { } args
            ? (Expression)new CallExpression(s.Value.name, args.ToEquatableArray(), ToSpan(s))
            : new NameExpression(s.Value.name));

    /// <summary>Any value.</summary>
    public static readonly Parser<Expression> Expression =
        Number.Or(String).Or(List).Or(NameOrCall).Named("value");

    // ---- items --------------------------------------------------------------------------

    /// <summary>What follows an item's words.</summary>
    internal enum HeadTail
    {
        Colon,
        Equals,
        OpenBrace,
    }

    private static readonly Parser<HeadTail> Tail =
        Symbol(':').Return(HeadTail.Colon)
            .Or(Symbol('=').Return(HeadTail.Equals))
            .Or(Symbol('{').Return(HeadTail.OpenBrace));

    /// <summary>
    /// An item up to its value, or up to and including '{' for a section (whose body the
    /// caller parses).
    /// </summary>
    public static readonly Parser<Item> ItemHead =
        (from head in Identifier
         from name in Identifier.Optional()
         from tail in Tail
         from value in tail == HeadTail.OpenBrace
            ? Parse.Return<Expression?>(null)
            : ExpressionRef.Select(e => (Expression?)e)
         select (head, name: name.GetOrDefault(), tail, value)).Span().Select(s =>
        {
            var (head, name, tail, value) = s.Value;
            var kind = tail switch
            {
                HeadTail.Colon => ItemKind.Setting,
                HeadTail.Equals => ItemKind.Binding,
                _ => ItemKind.Section,
            };
            var span = ToSpan(s);
            // The span starts at the head word, not at leading trivia.
            span = head.Span.Cover(new SourceSpan(span.File, span.End, 0, span.EndLine, span.EndColumn, span.EndLine, span.EndColumn));
            return new Item(head, name, kind, value, EquatableArray<Item>.Empty, span);
        });
}

/// <summary>Number literal rules shared by the parser and tests.</summary>
internal static class NumberSyntax
{
    /// <summary>
    /// Parses a literal such as <c>1_000_000</c>, <c>3e-4</c>, <c>-0.5</c>. Underscores may only
    /// separate digits; the value must be finite.
    /// </summary>
    public static bool TryParse(string text, out double value)
    {
        value = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '_') continue;
            var before = i > 0 && text[i - 1] is >= '0' and <= '9';
            var after = i + 1 < text.Length && text[i + 1] is >= '0' and <= '9';
            if (!before || !after) return false;
        }
        var cleaned = text.Replace("_", "");
        foreach (var c in cleaned)
        {
            if (!(c is (>= '0' and <= '9') or '-' or '+' or '.' or 'e' or 'E')) return false;
        }
        if (cleaned.EndsWith(".", StringComparison.Ordinal) || cleaned.Contains(".e") || cleaned.Contains(".E")) return false;
        return double.TryParse(cleaned, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                   CultureInfo.InvariantCulture, out value)
               && !double.IsInfinity(value) && !double.IsNaN(value);
    }
}
