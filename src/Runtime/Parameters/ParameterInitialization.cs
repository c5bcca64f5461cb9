using System;
using Mtrl.Kernels;

namespace Mtrl.Runtime.Parameters;

/// <summary>
/// Fills slices from their initializers with the counter-based RNG. Each slice draws from its own
/// stream, keyed by a hash of its name, so a slice's initial values depend only on the seed and
/// its name: adding a layer does not change the others, and thread count never matters.
/// </summary>
public static class ParameterInitialization
{
    /// <summary>The RNG stream of a slice: FNV-1a of its name.</summary>
    public static ulong StreamOf(string name) => Fnv1a.Mix(Fnv1a.Offset, name);

    /// <summary>Overwrites <paramref name="values"/> (the slice's span) according to its initializer.</summary>
    public static void Fill(ParameterSlice slice, Span<float> values, ulong seed)
    {
        var stream = StreamOf(slice.Name);
        var init = slice.Initializer;
        float fanIn = slice.Rows, fanOut = slice.Columns;
        switch (init.Kind)
        {
            case InitializerKind.Zeros:
                values.Clear();
                break;
            case InitializerKind.Constant:
                values.Fill(init.Scale);
                break;
            case InitializerKind.KaimingUniform:
                FillUniform(values, seed, stream, init.Scale * MathF.Sqrt(3f / fanIn));
                break;
            case InitializerKind.XavierUniform:
                FillUniform(values, seed, stream, init.Scale * MathF.Sqrt(6f / (fanIn + fanOut)));
                break;
            case InitializerKind.Uniform:
                FillUniform(values, seed, stream, init.Scale);
                break;
            case InitializerKind.Normal:
                PhiloxFill.Normal(values, seed, stream, 0, 0f, init.Scale, CpuAccelerator.Sequential);
                break;
            case InitializerKind.Orthogonal:
                FillOrthogonal(values, slice.Rows, slice.Columns, seed, stream, init.Scale);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(slice), init.Kind, "unknown initializer");
        }
    }

    private static void FillUniform(Span<float> values, ulong seed, ulong stream, float bound)
    {
        PhiloxFill.Uniform(values, seed, stream, 0, CpuAccelerator.Sequential);
        for (var i = 0; i < values.Length; i++) values[i] = (2f * values[i] - 1f) * bound;
    }

    /// <summary>
    /// Gram–Schmidt (twice, in float64) over the smaller dimension of a Gaussian matrix, giving
    /// orthonormal rows or columns.
    /// </summary>
    private static void FillOrthogonal(Span<float> values, int rows, int columns, ulong seed, ulong stream, float gain)
    {
        var gaussian = new float[rows * columns];
        PhiloxFill.Normal(gaussian, seed, stream, 0, 0f, 1f, CpuAccelerator.Sequential);
        // Work on vectors of length `length`, `count` of them, count <= length.
        var byColumns = rows >= columns;
        int count = byColumns ? columns : rows, length = byColumns ? rows : columns;
        var q = new double[count, length];
        for (var v = 0; v < count; v++)
        {
            for (var i = 0; i < length; i++)
            {
                q[v, i] = byColumns ? gaussian[i * columns + v] : gaussian[v * columns + i];
            }
        }
        for (var v = 0; v < count; v++)
        {
            for (var pass = 0; pass < 2; pass++)
            {
                for (var u = 0; u < v; u++)
                {
                    double dot = 0;
                    for (var i = 0; i < length; i++) dot += q[v, i] * q[u, i];
                    for (var i = 0; i < length; i++) q[v, i] -= dot * q[u, i];
                }
            }
            double norm = 0;
            for (var i = 0; i < length; i++) norm += q[v, i] * q[v, i];
            norm = Math.Sqrt(norm);
            if (norm < 1e-12) norm = 1; // degenerate draw; astronomically unlikely
            for (var i = 0; i < length; i++) q[v, i] /= norm;
        }
        for (var v = 0; v < count; v++)
        {
            for (var i = 0; i < length; i++)
            {
                var index = byColumns ? i * columns + v : v * columns + i;
                values[index] = (float)(q[v, i] * gain);
            }
        }
    }
}
