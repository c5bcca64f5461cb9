using System;
using System.Numerics.Tensors;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Networks;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceLayerOpsTests(IlgpuCpuFixture fixture)
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 19)]
    [InlineData(33, 5)]
    [InlineData(0, 4)]
    public void ColumnSumsHaveTheCpuBits(int rows, int columns)
    {
        var ops = new DeviceLayerOps(fixture.Device);
        var random = new System.Random((rows * 100) + columns);
        float[] x = Values(random, rows * columns);
        float[] start = Values(random, columns);
        foreach (bool accumulate in new[] { false, true })
        {
            float[] expected = (float[])start.Clone();
            MatrixOps.ColumnSums(x, rows, columns, expected, accumulate);
            // ILGPU cannot allocate an empty buffer: x lives in one of at least one element.
            using MemoryBuffer1D<float, Stride1D.Dense> dx = Allocate(x.Length == 0 ? [0f] : x);
            using MemoryBuffer1D<float, Stride1D.Dense> sums = Allocate(accumulate ? start : Poison(columns));
            ops.ColumnSums(dx.View.SubView(0, x.Length), rows, columns, sums.View, accumulate);
            AssertBits(expected, sums.GetAsArray1D());
        }
    }

    [Fact]
    public void ReluBackwardHasTheCpuBitsInPlaceOrNot()
    {
        var ops = new DeviceLayerOps(fixture.Device);
        var random = new System.Random(3);
        float[] x = Values(random, 1001);
        x[0] = 0f;
        x[1] = -0f;
        float[] gradOut = Values(random, 1001);
        var expected = new float[1001];
        Activations.ReluBackward(x, gradOut, expected);
        using MemoryBuffer1D<float, Stride1D.Dense> dx = Allocate(x);
        using MemoryBuffer1D<float, Stride1D.Dense> dOut = Allocate(gradOut);
        using MemoryBuffer1D<float, Stride1D.Dense> dIn = Allocate(Poison(1001));
        ops.ReluBackward(dx.View, dOut.View, dIn.View);
        AssertBits(expected, dIn.GetAsArray1D());
        ops.ReluBackward(dx.View, dOut.View, dOut.View);
        AssertBits(expected, dOut.GetAsArray1D());
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(0f)]
    [InlineData(0.005f)]
    [InlineData(0.37f)]
    public void BlendMatchesPolyakLerp(float tau)
    {
        var ops = new DeviceLayerOps(fixture.Device);
        var random = new System.Random(9);
        float[] target = Values(random, 777);
        float[] source = Values(random, 777);
        float[] expected = (float[])target.Clone();

        // Polyak.Update is this call on the stores' value arrays.
        TensorPrimitives.Lerp(expected, source, tau, expected);
        using MemoryBuffer1D<float, Stride1D.Dense> dTarget = Allocate(target);
        using MemoryBuffer1D<float, Stride1D.Dense> dSource = Allocate(source);
        ops.Blend(dTarget.View, dSource.View, tau);
        float[] actual = dTarget.GetAsArray1D();
        for (int i = 0; i < actual.Length; i++)
        {
            // Within one rounding of the blend's magnitude (the CPU may fuse a multiply and an add).
            double tolerance = Math.Pow(2, -23) * ((Math.Abs(target[i]) * (1 - tau)) + (Math.Abs(source[i]) * tau));
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance, $"[{i}] {actual[i]} vs {expected[i]}");
        }

        if (tau is 0f or 1f)
        {
            AssertBits(tau == 0f ? target : source, actual);
        }
    }

    [Theory]
    [InlineData(1, 3, 0)]
    [InlineData(5, 4, 4)]
    [InlineData(9, 2, 7)]
    public void ConcatColumnsPlacesEachRowsGoalAfterItsObservation(int rows, int leftWidth, int rightWidth)
    {
        var ops = new DeviceLayerOps(fixture.Device);
        var random = new System.Random(rows);
        float[] left = Values(random, rows * leftWidth);
        float[] right = Values(random, Math.Max(1, rows * rightWidth));
        int width = leftWidth + rightWidth;
        var expected = new float[rows * width];
        for (int i = 0; i < rows; i++)
        {
            left.AsSpan(i * leftWidth, leftWidth).CopyTo(expected.AsSpan(i * width));
            right.AsSpan(0, rows * rightWidth).Slice(i * rightWidth, rightWidth).CopyTo(expected.AsSpan((i * width) + leftWidth));
        }

        using MemoryBuffer1D<float, Stride1D.Dense> dLeft = Allocate(left);
        using MemoryBuffer1D<float, Stride1D.Dense> dRight = Allocate(right);
        using MemoryBuffer1D<float, Stride1D.Dense> dOutput = Allocate(Poison(expected.Length));
        ops.ConcatColumns(dLeft.View, dRight.View, rows, leftWidth, rightWidth, dOutput.View);
        AssertBits(expected, dOutput.GetAsArray1D());
    }

    [Fact]
    public void MismatchedLengthsAndTauAreRefused()
    {
        var ops = new DeviceLayerOps(fixture.Device);
        using MemoryBuffer1D<float, Stride1D.Dense> a = Allocate(new float[6]);
        using MemoryBuffer1D<float, Stride1D.Dense> b = Allocate(new float[5]);
        Assert.Equal("sums", Assert.Throws<ArgumentException>(() => ops.ColumnSums(a.View, 2, 3, b.View)).ParamName);
        Assert.Contains("rows × columns = 2 × 2 = 4", Assert.Throws<ArgumentException>(() => ops.ColumnSums(a.View, 2, 2, b.View)).Message, StringComparison.Ordinal);
        Assert.Equal("source", Assert.Throws<ArgumentException>(() => ops.Blend(a.View, b.View, 0.5f)).ParamName);
        Assert.Equal("tau", Assert.Throws<ArgumentOutOfRangeException>(() => ops.Blend(a.View, a.View, 1.5f)).ParamName);
    }

    internal static float[] Values(System.Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 4) - 2);
        }

        return values;
    }

    internal static float[] Poison(int length)
    {
        var values = new float[length];
        Array.Fill(values, float.NaN);
        return values;
    }

    internal static void AssertBits(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"[{i}] {actual[i]}, expected {expected[i]}");
        }
    }

    private MemoryBuffer1D<float, Stride1D.Dense> Allocate(float[] values) => fixture.Device.Accelerator.Allocate1D(values);
}
