using System;
using Xunit;

namespace Mtrl.Kernels.Tests;

public sealed class ActivationTests
{
    private const double GeluC = 0.7978845608028654; // √(2/π)

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in new[] { "relu", "leaky", "elu", "tanh", "gelu" })
        {
            foreach (int length in new[] { 1, 7, 8, 33, 1001 })
            {
                data.Add(name, length);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesFloat64Reference(string name, int length)
    {
        float[] x = Inputs(length, seed: length);
        float[] y = TestData.Poisoned(length);
        Forward(name, x, y);
        var expected = new double[length];
        for (int i = 0; i < length; i++)
        {
            expected[i] = Reference(name, x[i]);
        }

        TestData.AssertClose(expected, y, 1e-12, 2e-6, name);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardMatchesFiniteDifferencesOfTheReference(string name, int length)
    {
        float[] x = Inputs(length, seed: 100 + length);
        float[] gradOut = TestData.Uniform(length, 200 + length);
        float[] y = new float[length];
        Forward(name, x, y);
        float[] gradIn = TestData.Poisoned(length);
        Backward(name, x, y, gradOut, gradIn);
        var expected = new double[length];
        for (int i = 0; i < length; i++)
        {
            const double h = 1e-6;
            double slope = (Reference(name, x[i] + h) - Reference(name, x[i] - h)) / (2 * h);
            expected[i] = gradOut[i] * slope;
        }

        TestData.AssertClose(expected, gradIn, 1e-5, 1e-5, name + " backward");
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("leaky")]
    [InlineData("elu")]
    [InlineData("tanh")]
    [InlineData("gelu")]
    public void InPlaceCallsGiveTheSameResult(string name)
    {
        float[] x = Inputs(37, seed: 5);
        float[] gradOut = TestData.Uniform(37, 6);
        float[] y = new float[37], gradIn = new float[37];
        Forward(name, x, y);
        Backward(name, x, y, gradOut, gradIn);

        float[] inPlace = (float[])x.Clone();
        Forward(name, inPlace, inPlace);
        Assert.Equal(y, inPlace);
        float[] gradInPlace = (float[])gradOut.Clone();
        Backward(name, x, y, gradInPlace, gradInPlace);
        Assert.Equal(gradIn, gradInPlace);
    }

    [Fact]
    public void ScalarOperatorFormsMatchTheReference()
    {
        // The scalar forms run only on machines without 256-bit SIMD; check them directly.
        foreach (float x in Inputs(501, seed: 9))
        {
            Assert.Equal(Reference("relu", x), new ReluOperator().Invoke(x), 6);
            Assert.Equal(Reference("leaky", x), new LeakyReluOperator(0.05f).Invoke(x), 6);
            Assert.Equal(Reference("elu", x), new EluOperator(1.3f).Invoke(x), 1e-6 + (1e-6 * Math.Abs(Reference("elu", x))));
            Assert.Equal(Reference("gelu", x), new GeluOperator().Invoke(x), 1e-6 + (1e-6 * Math.Abs(Reference("gelu", x))));
            Assert.Equal(Reference("tanh", x), new TanhOperator().Invoke(x), 1e-6 * Math.Abs(Reference("tanh", x)));
            foreach ((string name, float grad) in new[]
            {
                ("relu", new ReluGradientOperator().Invoke(x, 1f)),
                ("leaky", new LeakyReluGradientOperator(0.05f).Invoke(x, 1f)),
                ("elu", new EluGradientOperator(1.3f).Invoke(x, 1f)),
                ("tanh", new TanhGradientOperator().Invoke(MathF.Tanh(x), 1f)),
                ("gelu", new GeluGradientOperator().Invoke(x, 1f)),
            })
            {
                double slope = (Reference(name, x + 1e-6) - Reference(name, x - 1e-6)) / 2e-6;
                Assert.True(Math.Abs(grad - slope) <= 1e-5 + (1e-5 * Math.Abs(slope)), $"{name}'({x}) = {grad}, expected {slope}");
            }
        }
    }

    [Fact]
    public void MismatchedLengthsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => Activations.Relu(new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => Activations.GeluBackward(new float[3], new float[2], new float[3]));
        Assert.Throws<ArgumentException>(() => Activations.Tanh(new float[3], new float[2]));
    }

    /// <summary>Random inputs plus the awkward ones: tiny, large and far negative values, kept off the ReLU kink.</summary>
    private static float[] Inputs(int length, int seed)
    {
        float[] x = TestData.Uniform(length, seed, -4f, 4f);
        float[] special = [1e-5f, -1e-5f, -0.3f, 0.4f, -20f, 12f, -12f, 3e-3f];
        for (int i = 0; i < length; i++)
        {
            if (i % 5 == 3)
            {
                x[i] = special[(i / 5) % special.Length];
            }

            if (MathF.Abs(x[i]) < 2e-6f)
            {
                x[i] = 1e-3f;
            }
        }

        return x;
    }

    private static double Reference(string name, double x) => name switch
    {
        "relu" => Math.Max(x, 0),
        "leaky" => x > 0 ? x : 0.05 * x,
        "elu" => x > 0 ? x : 1.3 * ExpM1(x),
        "tanh" => Math.Tanh(x),
        "gelu" => 0.5 * x * (1 + Math.Tanh(GeluC * (x + (0.044715 * x * x * x)))),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static double ExpM1(double x) => Math.Abs(x) < 1e-5 ? x + (x * x / 2) + (x * x * x / 6) : Math.Exp(x) - 1;

    private static void Forward(string name, float[] x, float[] y)
    {
        switch (name)
        {
            case "relu": Activations.Relu(x, y); break;
            case "leaky": Activations.LeakyRelu(x, y, 0.05f); break;
            case "elu": Activations.Elu(x, y, 1.3f); break;
            case "tanh": Activations.Tanh(x, y); break;
            case "gelu": Activations.Gelu(x, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(name));
        }
    }

    private static void Backward(string name, float[] x, float[] y, float[] gradOut, float[] gradIn)
    {
        switch (name)
        {
            case "relu": Activations.ReluBackward(x, gradOut, gradIn); break;
            case "leaky": Activations.LeakyReluBackward(x, gradOut, gradIn, 0.05f); break;
            case "elu": Activations.EluBackward(x, gradOut, gradIn, 1.3f); break;
            case "tanh": Activations.TanhBackward(y, gradOut, gradIn); break;
            case "gelu": Activations.GeluBackward(x, gradOut, gradIn); break;
            default: throw new ArgumentOutOfRangeException(nameof(name));
        }
    }
}
