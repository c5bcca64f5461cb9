using System;

namespace Mtrl.Dsl.Text;

/// <summary>
/// A range of a source file. Lines and columns are 1-based (as editors and MSBuild show them);
/// <see cref="Start"/> and <see cref="Length"/> are character offsets so a Roslyn
/// <c>TextSpan</c> can be built without re-reading the file. The end is exclusive.
/// </summary>
public readonly record struct SourceSpan(
    string File, int Start, int Length, int Line, int Column, int EndLine, int EndColumn)
{
    /// <summary>Offset just past the span.</summary>
    public int End => Start + Length;

    /// <summary>The smallest span covering both.</summary>
    public SourceSpan Cover(SourceSpan other)
    {
        var first = other.Start < Start ? other : this;
        var last = other.End > End ? other : this;
        return new SourceSpan(File, first.Start, Math.Max(End, other.End) - first.Start,
            first.Line, first.Column, last.EndLine, last.EndColumn);
    }

    /// <inheritdoc />
    public override string ToString() => $"{File}({Line},{Column},{EndLine},{EndColumn})";
}
