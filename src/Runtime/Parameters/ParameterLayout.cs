using System;
using System.Collections.Generic;
using Mtrl.Contracts;

namespace Mtrl.Runtime.Parameters;

/// <summary>
/// The fixed arrangement of an agent's parameters in one flat buffer. Built once; the
/// <see cref="Hash"/> identifies it in checkpoints so a file can only load into the same layout.
/// </summary>
public sealed class ParameterLayout
{
    /// <summary>Slices start on multiples of this many floats (32 bytes) so SIMD loads stay aligned.</summary>
    public const int Alignment = 8;

    private readonly Dictionary<string, ParameterSlice> _byName;

    internal ParameterLayout(IReadOnlyList<ParameterSlice> slices, int length)
    {
        Slices = slices;
        Length = length;
        _byName = new Dictionary<string, ParameterSlice>(StringComparer.Ordinal);
        foreach (var slice in slices) _byName.Add(slice.Name, slice);
        Hash = ComputeHash(slices, length);
    }

    /// <summary>Slices in buffer order.</summary>
    public IReadOnlyList<ParameterSlice> Slices { get; }

    /// <summary>Length of the flat buffer in floats (including alignment padding).</summary>
    public int Length { get; }

    /// <summary>Number of real parameters (without padding).</summary>
    public long ParameterCount
    {
        get
        {
            long total = 0;
            foreach (var slice in Slices) total += slice.Length;
            return total;
        }
    }

    /// <summary>A 64-bit FNV-1a hash of names, owners and shapes.</summary>
    public ulong Hash { get; }

    /// <summary>The slice called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such slice; the message lists near names.</exception>
    public ParameterSlice this[string name] =>
        _byName.TryGetValue(name, out var slice)
            ? slice
            : throw new KeyNotFoundException($"no parameter slice named '{name}' (layout has {Slices.Count} slices)");

    /// <summary>Looks a slice up by name.</summary>
    public bool TryGet(string name, out ParameterSlice slice) => _byName.TryGetValue(name, out slice!);

    /// <summary>
    /// The slices of the given nodes or blocks, in buffer order: every slice named
    /// <c>prefix.…</c> for one of <paramref name="prefixes"/> (generated networks name the
    /// parameters their backward pass trains this way).
    /// </summary>
    public IReadOnlyList<ParameterSlice> SlicesUnder(params string[] prefixes)
    {
        ArgumentNullException.ThrowIfNull(prefixes);
        var selected = new List<ParameterSlice>();
        foreach (var slice in Slices)
        {
            foreach (var prefix in prefixes)
            {
                if (slice.Name.Length > prefix.Length && slice.Name[prefix.Length] == '.' && slice.Name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    selected.Add(slice);
                    break;
                }
            }
        }
        return selected;
    }

    /// <summary>
    /// The slices a name prefix covers, in buffer order: the slice called <paramref name="prefix"/>
    /// and every slice named <c>prefix.…</c> (so <c>q</c> covers <c>q.h.fc0.weight</c>, not
    /// <c>qq.weight</c>). This is what <c>freeze</c> names mean.
    /// </summary>
    public IReadOnlyList<ParameterSlice> SlicesCoveredBy(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var selected = new List<ParameterSlice>();
        foreach (var slice in Slices)
        {
            if (Covers(prefix, slice.Name)) selected.Add(slice);
        }
        return selected;
    }

    /// <summary>True when <paramref name="prefix"/> covers the slice name <paramref name="name"/> (equal, or followed by a '.').</summary>
    public static bool Covers(string prefix, string name) =>
        name.Length == prefix.Length
            ? string.Equals(name, prefix, StringComparison.Ordinal)
            : name.Length > prefix.Length && name[prefix.Length] == '.' && name.StartsWith(prefix, StringComparison.Ordinal);

    /// <summary>
    /// The first one or two parts of the slice names (<c>encoder</c>, <c>q.h</c>, …), each once, in
    /// buffer order: the names worth showing someone who named a slice that does not exist.
    /// </summary>
    public IReadOnlyList<string> TopNames()
    {
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var slice in Slices)
        {
            var dot = slice.Name.IndexOf('.');
            var second = dot < 0 ? -1 : slice.Name.IndexOf('.', dot + 1);
            var top = second < 0 ? slice.Name : slice.Name.Substring(0, second);
            if (seen.Add(top)) names.Add(top);
        }
        return names;
    }

    private static ulong ComputeHash(IReadOnlyList<ParameterSlice> slices, int length)
    {
        var hash = Fnv1a.Mix(Fnv1a.Offset, length);
        foreach (var slice in slices)
        {
            hash = Fnv1a.Mix(hash, slice.Name);
            hash = Fnv1a.Mix(hash, (int)slice.Owner.Kind);
            hash = Fnv1a.Mix(hash, slice.Owner.Index);
            hash = Fnv1a.Mix(hash, slice.Owner.Index2);
            hash = Fnv1a.Mix(hash, slice.Offset);
            hash = Fnv1a.Mix(hash, slice.Rows);
            hash = Fnv1a.Mix(hash, slice.Columns);
        }
        return hash;
    }
}

/// <summary>Collects slices in order and assigns aligned offsets.</summary>
public sealed class ParameterLayoutBuilder
{
    private readonly List<ParameterSlice> _slices = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _length;

    /// <summary>Adds a rows × columns slice.</summary>
    /// <exception cref="ArgumentException">Duplicate name or non-positive size.</exception>
    public ParameterSlice Add(string name, ParameterOwner owner, int rows, int columns, Initializer initializer)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("a parameter slice needs a name", nameof(name));
        if (rows < 1) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"rows of '{name}' must be at least 1");
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, $"columns of '{name}' must be at least 1");
        if (!_names.Add(name)) throw new ArgumentException($"parameter slice '{name}' is already in the layout", nameof(name));
        var slice = new ParameterSlice(_slices.Count, name, owner, _length, rows, columns, initializer);
        _slices.Add(slice);
        checked
        {
            _length += (rows * columns + ParameterLayout.Alignment - 1) / ParameterLayout.Alignment * ParameterLayout.Alignment;
        }
        return slice;
    }

    /// <summary>Adds an affine layer's weight ([in, out], <paramref name="weight"/> init) and bias (zeros unless given).</summary>
    public (ParameterSlice Weight, ParameterSlice Bias) AddAffine(string name, ParameterOwner owner, int inputs, int outputs, Initializer weight, Initializer? bias = null)
        => (Add(ParameterNames.Weight(name), owner, inputs, outputs, weight), Add(ParameterNames.Bias(name), owner, 1, outputs, bias ?? Initializer.Zeros));

    /// <summary>Freezes the arrangement.</summary>
    public ParameterLayout Build() => new(_slices.ToArray(), _length);
}
