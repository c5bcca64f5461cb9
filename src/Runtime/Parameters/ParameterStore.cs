using System;
using System.Collections.Generic;
using System.Linq;

namespace Mtrl.Runtime.Parameters;

/// <summary>
/// All parameters of an agent in one contiguous float buffer, with gradients in a second buffer
/// of the same layout, per-slice freeze flags and learning-rate scales. Optimizers, target
/// updates, gradient projection and checkpoints all work on these flat buffers.
/// </summary>
public sealed class ParameterStore
{
    private readonly bool[] _frozen;
    private readonly float[] _learningRateScale;
    private int _version;

    /// <summary>Allocates zeroed buffers for <paramref name="layout"/>.</summary>
    public ParameterStore(ParameterLayout layout)
    {
        Layout = layout ?? throw new ArgumentNullException(nameof(layout));
        Values = GC.AllocateArray<float>(layout.Length, pinned: true);
        Gradients = GC.AllocateArray<float>(layout.Length, pinned: true);
        _frozen = new bool[layout.Slices.Count];
        _learningRateScale = new float[layout.Slices.Count];
        Array.Fill(_learningRateScale, 1f);
    }

    /// <summary>The arrangement of slices.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>All parameter values (padding between slices stays zero).</summary>
    public float[] Values { get; }

    /// <summary>All gradients, same layout as <see cref="Values"/>.</summary>
    public float[] Gradients { get; }

    /// <summary>Changes whenever freeze flags or learning-rate scales change, so optimizers can rebuild cached runs.</summary>
    public int Version => _version;

    /// <summary>The values of one slice.</summary>
    public Span<float> ValuesOf(ParameterSlice slice) => Values.AsSpan(slice.Offset, slice.Length);

    /// <summary>The gradient of one slice.</summary>
    public Span<float> GradientsOf(ParameterSlice slice) => Gradients.AsSpan(slice.Offset, slice.Length);

    /// <summary>Initialises every slice from its initializer; the result depends only on <paramref name="seed"/> and the names.</summary>
    public void Initialize(ulong seed)
    {
        foreach (var slice in Layout.Slices) ParameterInitialization.Fill(slice, ValuesOf(slice), seed);
    }

    /// <summary>Re-initialises the given slices only (PathNet resets the modules outside the frozen path).</summary>
    public void Reinitialize(IEnumerable<ParameterSlice> slices, ulong seed)
    {
        foreach (var slice in slices) ParameterInitialization.Fill(slice, ValuesOf(slice), seed);
    }

    /// <summary>
    /// False makes every layer's backward pass over this store compute input gradients only: an
    /// actor's loss back-propagated through a critic needs ∂Q/∂a, not the critic's weight
    /// gradients, which would cost one more matrix product per layer and be thrown away.
    /// </summary>
    public bool AccumulatesGradients { get; set; } = true;

    /// <summary>Sets every gradient to zero.</summary>
    public void ZeroGradients() => Array.Clear(Gradients);

    /// <summary>True if the optimizer must leave the slice untouched.</summary>
    public bool IsFrozen(ParameterSlice slice) => _frozen[slice.Index];

    /// <summary>Freezes or unfreezes a slice.</summary>
    public void SetFrozen(ParameterSlice slice, bool frozen)
    {
        if (_frozen[slice.Index] == frozen) return;
        _frozen[slice.Index] = frozen;
        _version++;
    }

    /// <summary>Freezes every slice matching <paramref name="predicate"/> (e.g. a progressive column).</summary>
    public void Freeze(Func<ParameterSlice, bool> predicate)
    {
        foreach (var slice in Layout.Slices)
        {
            if (predicate(slice)) SetFrozen(slice, true);
        }
    }

    /// <summary>
    /// Freezes every slice one of <paramref name="prefixes"/> covers (<see cref="ParameterLayout.SlicesCoveredBy"/>):
    /// fine-tuning's frozen parameters. Every prefix is checked before anything is frozen.
    /// </summary>
    /// <returns>The slices frozen, in buffer order.</returns>
    /// <exception cref="ArgumentException">A prefix is empty or covers no slice; the message names it and some of the layout's names.</exception>
    public IReadOnlyList<ParameterSlice> FreezeCovered(IEnumerable<string> prefixes)
    {
        ArgumentNullException.ThrowIfNull(prefixes);
        var covered = new SortedDictionary<int, ParameterSlice>();
        foreach (var prefix in prefixes)
        {
            var slices = string.IsNullOrEmpty(prefix) ? Array.Empty<ParameterSlice>() : Layout.SlicesCoveredBy(prefix);
            if (slices.Count == 0)
            {
                var top = Layout.TopNames();
                var shown = string.Join(", ", top.Take(8).Select(n => $"'{n}'")) + (top.Count > 8 ? $" and {top.Count - 8} more" : "");
                throw new ArgumentException($"'{prefix}' names no parameter slice of the layout, whose names start with {shown}", nameof(prefixes));
            }
            foreach (var slice in slices) covered[slice.Index] = slice;
        }
        foreach (var slice in covered.Values) SetFrozen(slice, true);
        return covered.Values.ToArray();
    }

    /// <summary>Multiplier on the learning rate of a slice (1 by default).</summary>
    public float LearningRateScale(ParameterSlice slice) => _learningRateScale[slice.Index];

    /// <summary>True when an optimizer step changes <paramref name="slice"/>: not frozen and a non-zero learning-rate scale.</summary>
    public bool IsTrainable(ParameterSlice slice) => !_frozen[slice.Index] && _learningRateScale[slice.Index] != 0f;

    /// <summary>Sets the learning-rate multiplier of a slice.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative or non-finite scale.</exception>
    public void SetLearningRateScale(ParameterSlice slice, float scale)
    {
        if (!(scale >= 0f) || float.IsInfinity(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "a learning-rate scale must be finite and at least 0");
        }
        _learningRateScale[slice.Index] = scale;
        _version++;
    }

    /// <summary>Copies all values from another store of the same layout (target networks start as copies).</summary>
    public void CopyValuesFrom(ParameterStore source)
    {
        if (source.Layout.Hash != Layout.Hash) throw new ArgumentException("stores have different layouts", nameof(source));
        Array.Copy(source.Values, Values, Values.Length);
    }
}
