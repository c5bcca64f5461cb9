using System;
using System.Linq;
using Mtrl.Kernels;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Runtime.Tests;

/// <summary>Finite differences in float64, random data and comparisons shared by the numeric tests.</summary>
internal static class Numerics
{
    public static float[] Random(int length, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    public static double[] ToDouble(ReadOnlySpan<float> values) => values.ToArray().Select(v => (double)v).ToArray();

    /// <summary>Central differences of a float64 function at <paramref name="x"/> (step 1e-6).</summary>
    public static double[] Gradient(Func<double[], double> f, double[] x, double step = 1e-6)
    {
        var gradient = new double[x.Length];
        var probe = (double[])x.Clone();
        for (var i = 0; i < x.Length; i++)
        {
            probe[i] = x[i] + step;
            var up = f(probe);
            probe[i] = x[i] - step;
            var down = f(probe);
            probe[i] = x[i];
            gradient[i] = (up - down) / (2 * step);
        }
        return gradient;
    }

    /// <summary>max |a − e| / max(max |e|, floor) — a norm-wise relative error that tolerates zeros.</summary>
    public static double RelativeError(ReadOnlySpan<float> actual, double[] expected, double floor = 1e-3)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0, scale = floor;
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.False(float.IsNaN(actual[i]), $"element {i} is NaN (unwritten?)");
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return worst / scale;
    }

    public static void Close(ReadOnlySpan<float> actual, double[] expected, double tolerance, string what)
    {
        var error = RelativeError(actual, expected);
        Assert.True(error < tolerance, $"{what}: relative error {error:E2} exceeds {tolerance:E0}");
    }

    public static float[] Poisoned(int length) => Enumerable.Repeat(float.NaN, length).ToArray();

    /// <summary>A store with the given slices, initialised with fresh random values (not zeros) and zero gradients.</summary>
    public static ParameterStore Store(ParameterLayout layout, int seed)
    {
        var store = new ParameterStore(layout);
        foreach (var slice in layout.Slices) Random(slice.Length, seed + slice.Index, 0.5f).CopyTo(store.ValuesOf(slice));
        return store;
    }

    public static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

    public static GemmBackend[] Backends => OpenBlasAvailable ? new[] { GemmBackend.Managed, GemmBackend.OpenBlas } : new[] { GemmBackend.Managed };

    public static bool OpenBlasAvailable => OpenBlas.IsAvailable;
}
