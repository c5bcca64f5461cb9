using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Optimization;

/// <summary>Target networks: θ′ ← (1 − τ)·θ′ + τ·θ over whole stores or chosen slices.</summary>
public static class Polyak
{
    /// <summary>Blends every value of <paramref name="source"/> into <paramref name="target"/> (same layout).</summary>
    public static void Update(ParameterStore target, ParameterStore source, float tau)
    {
        Check(target, source, tau);
        TensorPrimitives.Lerp(target.Values, source.Values, tau, target.Values);
    }

    /// <summary>Blends only the given slices (e.g. a critic's, not the shared encoder's).</summary>
    public static void Update(ParameterStore target, ParameterStore source, float tau, IEnumerable<ParameterSlice> slices)
    {
        Check(target, source, tau);
        foreach (var slice in slices)
        {
            var destination = target.ValuesOf(slice);
            TensorPrimitives.Lerp(destination, source.ValuesOf(slice), tau, destination);
        }
    }

    private static void Check(ParameterStore target, ParameterStore source, float tau)
    {
        if (target.Layout.Hash != source.Layout.Hash) throw new ArgumentException("target and source stores must share one layout", nameof(source));
        if (!(tau >= 0f && tau <= 1f)) throw new ArgumentOutOfRangeException(nameof(tau), tau, "tau must be in [0, 1]");
    }
}
