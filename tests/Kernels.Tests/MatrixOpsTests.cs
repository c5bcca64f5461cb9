using System;
using Xunit;

namespace Mtrl.Kernels.Tests;

public sealed class MatrixOpsTests
{
    public static TheoryData<int, int> Shapes() => new() { { 1, 1 }, { 1, 9 }, { 7, 1 }, { 5, 33 }, { 37, 101 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AddRowVectorBroadcastsOverRows(int rows, int cols)
    {
        float[] x = TestData.Uniform(rows * cols, 1), bias = TestData.Uniform(cols, 2);
        float[] y = TestData.Poisoned(rows * cols);
        MatrixOps.AddRowVector(x, bias, y, rows, cols);
        var expected = new double[rows * cols];
        for (int e = 0; e < expected.Length; e++)
        {
            expected[e] = (double)x[e] + bias[e % cols];
        }

        TestData.AssertClose(expected, y, 0, 1e-7, "bias add");
        MatrixOps.AddRowVector(x, bias, x, rows, cols);
        Assert.Equal(y, x);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ColumnSumsOverwriteOrAccumulate(int rows, int cols)
    {
        float[] x = TestData.Uniform(rows * cols, 3);
        float[] sums = TestData.Poisoned(cols);
        MatrixOps.ColumnSums(x, rows, cols, sums);
        var expected = new double[cols];
        var magnitude = new double[cols];
        for (int e = 0; e < x.Length; e++)
        {
            expected[e % cols] += x[e];
            magnitude[e % cols] += Math.Abs(x[e]);
        }

        AssertWithinSumBound(expected, magnitude, sums, "column sums");

        float[] start = TestData.Uniform(cols, 4);
        float[] accumulated = (float[])start.Clone();
        MatrixOps.ColumnSums(x, rows, cols, accumulated, accumulate: true);
        for (int j = 0; j < cols; j++)
        {
            expected[j] += start[j];
            magnitude[j] += Math.Abs(start[j]);
        }

        AssertWithinSumBound(expected, magnitude, accumulated, "accumulated column sums");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void RowSumsReduceEachRow(int rows, int cols)
    {
        float[] x = TestData.Uniform(rows * cols, 5);
        float[] sums = TestData.Poisoned(rows);
        MatrixOps.RowSums(x, rows, cols, sums);
        var expected = new double[rows];
        var magnitude = new double[rows];
        for (int e = 0; e < x.Length; e++)
        {
            expected[e / cols] += x[e];
            magnitude[e / cols] += Math.Abs(x[e]);
        }

        AssertWithinSumBound(expected, magnitude, sums, "row sums");
    }

    [Fact]
    public void ShapeMismatchIsRejected()
    {
        Assert.Throws<ArgumentException>(() => MatrixOps.AddRowVector(new float[6], new float[2], new float[6], 2, 3));
        Assert.Throws<ArgumentException>(() => MatrixOps.ColumnSums(new float[6], 2, 3, new float[2]));
        Assert.Throws<ArgumentException>(() => MatrixOps.RowSums(new float[7], 2, 3, new float[2]));
    }

    /// <summary>Float summation error is bounded relative to Σ|x|, not to the (possibly cancelling) sum.</summary>
    private static void AssertWithinSumBound(double[] expected, double[] magnitude, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= 1e-6 * Math.Max(1, magnitude[i]), $"{what}[{i}] = {actual[i]}, expected {expected[i]}");
        }
    }
}
