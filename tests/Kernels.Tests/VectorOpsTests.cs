using System;
using Xunit;

namespace Mtrl.Kernels.Tests;

public sealed class VectorOpsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(1001)]
    public void ElementwiseOperationsMatchFloat64Reference(int length)
    {
        float[] x = TestData.Uniform(length, length), y = TestData.Uniform(length, length + 1);

        float[] axpy = (float[])y.Clone();
        VectorOps.Axpy(-0.75f, x, axpy);
        TestData.AssertClose(Map(i => y[i] + (-0.75 * x[i]), length), axpy, 1e-7, 1e-6, "axpy");

        float[] scaled = TestData.Poisoned(length);
        VectorOps.Scale(x, 3.5f, scaled);
        TestData.AssertClose(Map(i => 3.5 * x[i], length), scaled, 0, 1e-7, "scale");
        float[] inPlace = (float[])x.Clone();
        VectorOps.Scale(inPlace, 3.5f);
        Assert.Equal(scaled, inPlace);

        float[] product = TestData.Poisoned(length);
        VectorOps.Multiply(x, y, product);
        TestData.AssertClose(Map(i => (double)x[i] * y[i], length), product, 0, 1e-7, "product");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(100_001)]
    public void ReductionsMatchFloat64Reference(int length)
    {
        float[] x = TestData.Uniform(length, 2 * length), y = TestData.Uniform(length, (2 * length) + 1);
        double dot = 0, dotMagnitude = 0, squares = 0;
        for (int i = 0; i < length; i++)
        {
            dot += (double)x[i] * y[i];
            dotMagnitude += Math.Abs((double)x[i] * y[i]);
            squares += (double)x[i] * x[i];
        }

        Assert.True(Math.Abs(VectorOps.Dot(x, y) - dot) <= 1e-6 * Math.Max(1, dotMagnitude));
        Assert.True(Math.Abs(VectorOps.SquaredNorm(x) - squares) <= 1e-6 * Math.Max(1, squares));
    }

    [Fact]
    public void MismatchedLengthsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => VectorOps.Axpy(1f, new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => VectorOps.Dot(new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => VectorOps.Multiply(new float[3], new float[3], new float[2]));
        Assert.Throws<ArgumentException>(() => VectorOps.Scale(new float[3], 2f, new float[2]));
    }

    private static double[] Map(Func<int, double> f, int length)
    {
        var values = new double[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = f(i);
        }

        return values;
    }
}
