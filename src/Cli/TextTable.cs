using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Mtrl.Cli;

/// <summary>Left-aligned text columns; numeric columns can be right-aligned.</summary>
internal sealed class TextTable
{
    private readonly string[] _headers;
    private readonly bool[] _rightAligned;
    private readonly List<string[]> _rows = new();

    public TextTable(params string[] headers)
    {
        _headers = headers;
        _rightAligned = new bool[headers.Length];
    }

    public TextTable AlignRight(params int[] columns)
    {
        foreach (var column in columns) _rightAligned[column] = true;
        return this;
    }

    public void Add(params string[] cells) => _rows.Add(cells);

    public void Write(TextWriter output, string indent)
    {
        var widths = _headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        WriteRow(output, indent, _headers, widths);
        foreach (var row in _rows) WriteRow(output, indent, row, widths);
    }

    private void WriteRow(TextWriter output, string indent, string[] cells, int[] widths)
    {
        var parts = cells.Select((cell, i) => _rightAligned[i] ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]));
        output.WriteLine((indent + string.Join("  ", parts)).TrimEnd());
    }
}
