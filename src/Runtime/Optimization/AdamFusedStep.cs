using System;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Optimization;

/// <summary>
/// One open fused Adam step (from <see cref="Adam.BeginFusedStep"/>): the step number whose bias
/// correction every slice uses, and a record of which slices were updated, so that
/// <see cref="Adam.EndFusedStep"/> can prove the step covered every trainable slice exactly once.
/// Reused from step to step (no allocation).
/// </summary>
public sealed class AdamFusedStep
{
    private readonly Adam _adam;
    private readonly ParameterStore _store;
    private readonly bool[] _updated;
    private bool _open;

    internal AdamFusedStep(Adam adam, ParameterStore store)
    {
        _adam = adam;
        _store = store;
        _updated = new bool[store.Layout.Slices.Count];
    }

    /// <summary>The step number (1-based) whose bias correction this step applies.</summary>
    public long Number { get; private set; }

    /// <summary>The store whose slices this step updates.</summary>
    public ParameterStore Store => _store;

    /// <summary>First moments (the optimizer's).</summary>
    internal float[] FirstMoment => _adam.FirstMoment;

    /// <summary>Second moments (the optimizer's).</summary>
    internal float[] SecondMoment => _adam.SecondMoment;

    internal void Begin(long number)
    {
        Number = number;
        Array.Clear(_updated);
        _open = true;
    }

    /// <summary>
    /// Claims <paramref name="slice"/> for this step: false (nothing to update) when it is frozen or
    /// has learning-rate scale 0, otherwise the constants of its update.
    /// </summary>
    /// <exception cref="InvalidOperationException">No step is open, or the slice was already updated in this step.</exception>
    internal bool TryClaim(ParameterSlice slice, out AdamConstants constants)
    {
        if (!_open) throw new InvalidOperationException("no fused Adam step is open: call Adam.BeginFusedStep() first");
        constants = default;
        if (!_store.IsTrainable(slice)) return false;
        var scale = _store.LearningRateScale(slice);
        if (_updated[slice.Index]) throw new InvalidOperationException($"'{slice.Name}' was already updated in this fused Adam step");
        _updated[slice.Index] = true;
        constants = new AdamConstants(_adam.Options, Number, scale, 1f);
        return true;
    }

    /// <summary>
    /// Updates <paramref name="slice"/> from its gradient in the store's gradient buffer: the path for
    /// layers (or shapes) without a fused kernel. Frozen and zero-scale slices are left alone.
    /// </summary>
    public void UpdateFromGradients(ParameterSlice slice) => Update(slice, _store.GradientsOf(slice));

    /// <summary>Updates <paramref name="slice"/> from <paramref name="gradient"/> (its length); frozen and zero-scale slices are left alone.</summary>
    internal void Update(ParameterSlice slice, ReadOnlySpan<float> gradient)
    {
        if (!TryClaim(slice, out var constants)) return;
        AdamMath.Update(_store.ValuesOf(slice), _adam.FirstMoment.AsSpan(slice.Offset, slice.Length),
            _adam.SecondMoment.AsSpan(slice.Offset, slice.Length), gradient, constants);
    }

    internal void End()
    {
        if (!_open) throw new InvalidOperationException("no fused Adam step is open: call Adam.BeginFusedStep() first");
        _open = false;
        var slices = _store.Layout.Slices;
        for (var i = 0; i < slices.Count; i++) // indexed: foreach over the interface would allocate an enumerator every step
        {
            var slice = slices[i];
            if (_updated[slice.Index] || !_store.IsTrainable(slice)) continue;
            throw new InvalidOperationException(
                $"the fused Adam step {Number} did not update trainable slice '{slice.Name}'; every trainable slice must be updated once per step (or use Backward + Adam.Step())");
        }
    }
}
