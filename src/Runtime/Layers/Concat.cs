using System;

namespace Mtrl.Runtime.Layers;

/// <summary>
/// Places inputs side by side: y = [x₀ | x₁ | …]. Forward writes one part at a time; backward
/// reads a part's gradient back out, which is also what a split layer does.
/// </summary>
public sealed class Concat
{
    private readonly int[] _offsets;

    /// <summary>A concatenation of parts with the given widths.</summary>
    public Concat(params int[] widths)
    {
        if (widths.Length == 0) throw new ArgumentException("concat needs at least one part", nameof(widths));
        Widths = (int[])widths.Clone();
        _offsets = new int[widths.Length];
        for (var i = 0; i < widths.Length; i++)
        {
            if (widths[i] < 1) throw new ArgumentOutOfRangeException(nameof(widths), widths[i], "every part needs a width of at least 1");
            _offsets[i] = Width;
            Width += widths[i];
        }
    }

    /// <summary>Widths of the parts.</summary>
    public int[] Widths { get; }

    /// <summary>Sum of the widths.</summary>
    public int Width { get; }

    /// <summary>Copies part <paramref name="part"/> into its columns of y.</summary>
    public void Forward(int part, ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        int width = Widths[part], offset = _offsets[part];
        for (var b = 0; b < batch; b++) x.Slice(b * width, width).CopyTo(y.Slice(b * Width + offset, width));
    }

    /// <summary>Copies part <paramref name="part"/>'s columns of dy into dx (no-op for an empty dx).</summary>
    public void Backward(int part, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        if (dx.IsEmpty) return;
        int width = Widths[part], offset = _offsets[part];
        for (var b = 0; b < batch; b++) dy.Slice(b * Width + offset, width).CopyTo(dx.Slice(b * width, width));
    }
}

/// <summary>Detach: passes values forward and stops gradients (the actor reading a critic-trained encoder).</summary>
public static class StopGradient
{
    /// <summary>y = x.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int length) => x.Slice(0, length).CopyTo(y);

    /// <summary>dx = 0: nothing flows back.</summary>
    public static void Backward(Span<float> dx, int length)
    {
        if (!dx.IsEmpty) dx.Slice(0, length).Clear();
    }
}

/// <summary>
/// Takes a row apart into column blocks, y = [x₀ | x₁ | …] → x₀, x₁, … (a Gaussian head's mean and
/// log-std, or a value read in pieces): the inverse of <see cref="Concat"/>, so it reuses it.
/// </summary>
public sealed class Split
{
    private readonly Concat _parts;

    /// <summary>A split into parts with the given widths.</summary>
    public Split(params int[] widths) => _parts = new Concat(widths);

    /// <summary>Width of the input row.</summary>
    public int Width => _parts.Width;

    /// <summary>Copies part <paramref name="part"/>'s columns of x into y.</summary>
    public void Forward(int part, ReadOnlySpan<float> x, Span<float> y, int batch) => _parts.Backward(part, x, y, batch);

    /// <summary>Writes part <paramref name="part"/>'s gradient into its columns of dx (every part must be written).</summary>
    public void Backward(int part, ReadOnlySpan<float> dPart, Span<float> dx, int batch)
    {
        if (!dx.IsEmpty) _parts.Forward(part, dPart, dx, batch);
    }
}
