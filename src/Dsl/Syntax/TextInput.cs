using System;
using System.Collections.Generic;
using Sprache;

namespace Mtrl.Dsl.Syntax;

/// <summary>
/// A position in the spec text for the Sprache combinators. Sprache's own <c>Input</c> creates a
/// memo dictionary at every character it advances over; this one creates it only when a
/// parser asks (<c>Parse.Ref</c>), which makes parsing several times faster on large files.
/// Equality is by text and position, as Sprache's.
/// </summary>
internal sealed class TextInput : IInput
{
    private readonly string _source;
    private IDictionary<object, object>? _memos;

    public TextInput(string source)
        : this(source, 0, 1, 1)
    {
    }

    private TextInput(string source, int position, int line, int column)
    {
        _source = source;
        Position = position;
        Line = line;
        Column = column;
    }

    public string Source => _source;

    public char Current => _source[Position];

    public bool AtEnd => Position >= _source.Length;

    public int Position { get; }

    public int Line { get; }

    public int Column { get; }

    public IDictionary<object, object> Memos => _memos ??= new Dictionary<object, object>();

    public IInput Advance()
    {
        if (AtEnd) throw new InvalidOperationException("The input is already at the end of the source.");
        return _source[Position] == '\n'
            ? new TextInput(_source, Position + 1, Line + 1, 1)
            : new TextInput(_source, Position + 1, Line, Column + 1);
    }

    public bool Equals(IInput? other) => other is not null && ReferenceEquals(_source, other.Source) && Position == other.Position;

    public override bool Equals(object? obj) => obj is IInput other && Equals(other);

    public override int GetHashCode() => Position;

    public override string ToString() => $"Line {Line}, Column {Column}";
}
