using System;
using System.Collections.Generic;

namespace Mtrl.Dsl.Text;

/// <summary>
/// The text of one spec file with a line map, so offsets become (line, column) positions.
/// Only '\n' ends a line; a '\r' before it belongs to the line (CRLF files keep correct columns).
/// A leading UTF-8 byte-order mark is treated as whitespace.
/// </summary>
public sealed class SourceText
{
    private readonly int[] _lineStarts;

    /// <summary>Creates the line map for <paramref name="text"/>.</summary>
    public SourceText(string path, string text)
    {
        Path = path;
        Text = text;
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n') starts.Add(i + 1);
        }
        _lineStarts = starts.ToArray();
    }

    /// <summary>The file path used in diagnostics.</summary>
    public string Path { get; }

    /// <summary>The full text.</summary>
    public string Text { get; }

    /// <summary>Number of lines (a trailing newline starts an empty last line).</summary>
    public int LineCount => _lineStarts.Length;

    /// <summary>1-based line and column of <paramref name="offset"/> (clamped into the file).</summary>
    public (int Line, int Column) Position(int offset)
    {
        offset = Math.Max(0, Math.Min(offset, Text.Length));
        var index = Array.BinarySearch(_lineStarts, offset);
        if (index < 0) index = ~index - 1;
        return (index + 1, offset - _lineStarts[index] + 1);
    }

    /// <summary>The span [start, start + length) clamped into the file.</summary>
    public SourceSpan Span(int start, int length)
    {
        start = Math.Max(0, Math.Min(start, Text.Length));
        length = Math.Max(0, Math.Min(length, Text.Length - start));
        var (line, column) = Position(start);
        var (endLine, endColumn) = Position(start + length);
        return new SourceSpan(Path, start, length, line, column, endLine, endColumn);
    }
}
