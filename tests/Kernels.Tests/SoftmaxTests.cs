using System;
using Xunit;

namespace Mtrl.Kernels.Tests;

public sealed class SoftmaxTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(5, 33)]
    [InlineData(17, 101)]
    public void RowsMatchFloat64Reference(int rows, int cols)
    {
        float[] x = TestData.Uniform(rows * cols, rows + cols, -5f, 5f);
        float[] y = TestData.Poisoned(rows * cols);
        Softmax.Rows(x, y, rows, cols);
        TestData.AssertClose(Reference(x, rows, cols), y, 1e-7, 1e-5, "softmax");
    }

    [Fact]
    public void LargeScoresDoNotOverflow()
    {
        float[] x = [1000f, 999f, -1000f, 88f, 89f, 90f];
        float[] y = TestData.Poisoned(6);
        Softmax.Rows(x, y, 2, 3);
        TestData.AssertClose(Reference(x, 2, 3), y, 1e-7, 1e-5, "softmax of large scores");
    }

    [Fact]
    public void InPlaceGivesTheSameResult()
    {
        float[] x = TestData.Uniform(4 * 9, 3, -3f, 3f);
        float[] y = new float[x.Length];
        Softmax.Rows(x, y, 4, 9);
        Softmax.Rows(x, x, 4, 9);
        Assert.Equal(y, x);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(6, 33)]
    public void BackwardMatchesFiniteDifferencesOfTheReference(int rows, int cols)
    {
        float[] x = TestData.Uniform(rows * cols, 10 + cols, -3f, 3f);
        float[] gradOut = TestData.Uniform(rows * cols, 20 + cols);
        float[] y = new float[rows * cols];
        Softmax.Rows(x, y, rows, cols);
        float[] gradIn = TestData.Poisoned(rows * cols);
        Softmax.RowsBackward(y, gradOut, gradIn, rows, cols);

        // d/dx of L = Σ gradOut ⊙ softmax(x), by central differences in float64.
        var expected = new double[rows * cols];
        double[] shifted = Array.ConvertAll(x, v => (double)v);
        const double h = 1e-6;
        for (int e = 0; e < shifted.Length; e++)
        {
            double saved = shifted[e];
            shifted[e] = saved + h;
            double up = Loss(shifted, gradOut, rows, cols);
            shifted[e] = saved - h;
            double down = Loss(shifted, gradOut, rows, cols);
            shifted[e] = saved;
            expected[e] = (up - down) / (2 * h);
        }

        TestData.AssertClose(expected, gradIn, 1e-6, 1e-5, "softmax backward");

        float[] inPlace = (float[])gradOut.Clone();
        Softmax.RowsBackward(y, inPlace, inPlace, rows, cols);
        Assert.Equal(gradIn, inPlace);
    }

    [Fact]
    public void ShapeMismatchIsRejected()
    {
        Assert.Throws<ArgumentException>(() => Softmax.Rows(new float[6], new float[6], 2, 4));
        Assert.Throws<ArgumentException>(() => Softmax.RowsBackward(new float[6], new float[5], new float[6], 2, 3));
    }

    private static double[] Reference(ReadOnlySpan<float> x, int rows, int cols)
        => Reference(Array.ConvertAll(x.ToArray(), v => (double)v), rows, cols);

    private static double[] Reference(double[] x, int rows, int cols)
    {
        var y = new double[rows * cols];
        for (int i = 0; i < rows; i++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < cols; j++)
            {
                max = Math.Max(max, x[(i * cols) + j]);
            }

            double sum = 0;
            for (int j = 0; j < cols; j++)
            {
                sum += y[(i * cols) + j] = Math.Exp(x[(i * cols) + j] - max);
            }

            for (int j = 0; j < cols; j++)
            {
                y[(i * cols) + j] /= sum;
            }
        }

        return y;
    }

    private static double Loss(double[] x, float[] gradOut, int rows, int cols)
    {
        double[] y = Reference(x, rows, cols);
        double loss = 0;
        for (int e = 0; e < y.Length; e++)
        {
            loss += gradOut[e] * y[e];
        }

        return loss;
    }
}
