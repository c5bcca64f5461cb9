using System;
using System.Linq;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Runtime.Tests;

/// <summary>
/// Checks a layer against an independent float64 reference: the float32 forward must match the
/// reference, and the float32 backward must match central differences of L = Σ R ⊙ ref(x, θ)
/// with respect to the input and every parameter slice. Outputs are poisoned with NaN first.
/// </summary>
internal static class LayerCheck
{
    public delegate double[] Reference(double[] x, double[][] parameters);

    public static void Run(
        string what,
        Reference reference,
        float[] x,
        ParameterStore? store,
        ParameterSlice[] slices,
        int outputLength,
        Action<float[], float[]> forward,
        Action<float[], float[], float[]> backward,
        double forwardTolerance = 1e-5,
        double gradientTolerance = 2e-3,
        int seed = 99)
    {
        var parameters = slices.Select(s => Numerics.ToDouble(store!.ValuesOf(s))).ToArray();
        var x64 = Numerics.ToDouble(x);
        var expected = reference(x64, parameters);
        Assert.Equal(outputLength, expected.Length);

        var y = Numerics.Poisoned(outputLength);
        forward(x, y);
        Numerics.Close(y, expected, forwardTolerance, $"{what} forward");

        var upstream = Numerics.Random(outputLength, seed);
        var upstream64 = Numerics.ToDouble(upstream);
        store?.ZeroGradients();
        var dx = Numerics.Poisoned(x.Length);
        backward(x, upstream, dx);

        double Loss(double[] input, double[][] ps) => Numerics.Dot(upstream64, reference(input, ps));
        var numericInput = Numerics.Gradient(v => Loss(v, parameters), x64);
        Numerics.Close(dx, numericInput, gradientTolerance, $"{what} input gradient");
        for (var s = 0; s < slices.Length; s++)
        {
            var index = s;
            var numeric = Numerics.Gradient(v =>
            {
                var ps = (double[][])parameters.Clone();
                ps[index] = v;
                return Loss(x64, ps);
            }, parameters[s]);
            Numerics.Close(store!.GradientsOf(slices[s]), numeric, gradientTolerance, $"{what} gradient of {slices[s].Name}");
        }
    }
}
