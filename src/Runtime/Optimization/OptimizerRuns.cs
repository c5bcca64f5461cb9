using System;
using System.Collections.Generic;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Optimization;

/// <summary>
/// A contiguous range of the flat buffers that one optimizer pass updates with one learning-rate
/// scale: adjacent unfrozen slices with equal scales merge into one run.
/// </summary>
internal readonly record struct ParameterRun(int Offset, int Length, float LearningRateScale);

/// <summary>
/// The runs of a store, rebuilt only when its freeze flags or learning-rate scales change, plus
/// the gradient norm every optimizer checks before it touches anything.
/// </summary>
internal sealed class RunCache
{
    private readonly ParameterStore _store;
    private readonly bool[]? _included;
    private ParameterRun[] _runs = [];
    private int _version = -1;

    /// <summary>Runs over every slice of <paramref name="store"/>, or only over <paramref name="slices"/> when given.</summary>
    public RunCache(ParameterStore store, IEnumerable<ParameterSlice>? slices = null)
    {
        _store = store;
        if (slices is null) return;
        _included = new bool[store.Layout.Slices.Count];
        foreach (var slice in slices)
        {
            if ((uint)slice.Index >= (uint)_included.Length || store.Layout.Slices[slice.Index] != slice)
            {
                throw new ArgumentException($"slice '{slice.Name}' does not belong to the store's layout", nameof(slices));
            }
            _included[slice.Index] = true;
        }
    }

    /// <summary>Current runs.</summary>
    public ParameterRun[] Runs
    {
        get
        {
            if (_version != _store.Version)
            {
                _runs = OptimizerRuns.Build(_store, _included);
                _version = _store.Version;
            }
            return _runs;
        }
    }

    /// <summary>‖g‖ over the trainable runs (NaN or ∞ when the gradient is not finite).</summary>
    public double GradientNorm() => Math.Sqrt(OptimizerRuns.SquaredNorm(_store.Gradients, Runs));
}

/// <summary>Run building and deterministic reductions shared by the optimizers.</summary>
internal static class OptimizerRuns
{
    /// <summary>
    /// Unfrozen, non-zero-scale slices (of those <paramref name="included"/> marks, when given)
    /// merged into maximal runs (padding between slices rides along; it stays zero).
    /// </summary>
    public static ParameterRun[] Build(ParameterStore store, bool[]? included = null)
    {
        var runs = new List<ParameterRun>();
        foreach (var slice in store.Layout.Slices)
        {
            if (!store.IsTrainable(slice) || included is not null && !included[slice.Index]) continue;
            var scale = store.LearningRateScale(slice);
            var end = slice.Offset + (slice.Length + ParameterLayout.Alignment - 1) / ParameterLayout.Alignment * ParameterLayout.Alignment;
            if (runs.Count > 0)
            {
                var last = runs[^1];
                if (last.Offset + last.Length == slice.Offset && last.LearningRateScale == scale)
                {
                    runs[^1] = last with { Length = end - last.Offset };
                    continue;
                }
            }
            runs.Add(new ParameterRun(slice.Offset, end - slice.Offset, scale));
        }
        return runs.ToArray();
    }

    /// <summary>Block size of the deterministic norm: partial sums never depend on thread count.</summary>
    public const int NormBlock = 4096;

    /// <summary>
    /// ‖g‖² over the runs, summed in float64 over fixed blocks in a fixed order, so the result is
    /// bit-identical whatever the thread count. NaN or ∞ propagate (that is how they are detected).
    /// </summary>
    public static double SquaredNorm(float[] gradients, ParameterRun[] runs)
    {
        double total = 0;
        foreach (var run in runs)
        {
            var span = gradients.AsSpan(run.Offset, run.Length);
            for (var start = 0; start < span.Length; start += NormBlock)
            {
                var block = span.Slice(start, Math.Min(NormBlock, span.Length - start));
                total += System.Numerics.Tensors.TensorPrimitives.SumOfSquares(block);
            }
        }
        return total;
    }
}
