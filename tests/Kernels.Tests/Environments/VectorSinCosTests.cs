using System;
using System.Runtime.Intrinsics;
using Mtrl.Kernels.Environments;
using Xunit;

namespace Mtrl.Kernels.Tests.Environments;

public sealed class VectorSinCosTests
{
    [Theory]
    [InlineData(0.25)]
    [InlineData(4.0)]
    [InlineData(100.0)]
    [InlineData(8000.0)]
    public void AgreesWithFloat64SinAndCosAcrossOctants(double range)
    {
        var random = new Random(3);
        double worst = 0;
        var lanes = new float[8];
        for (int trial = 0; trial < 20_000; trial++)
        {
            for (int k = 0; k < 8; k++)
            {
                lanes[k] = (float)((random.NextDouble() * 2 - 1) * range);
            }

            VectorSinCos.Compute(Vector256.Create(lanes), out Vector256<float> sin, out Vector256<float> cos);
            for (int k = 0; k < 8; k++)
            {
                worst = Math.Max(worst, Math.Abs(sin[k] - Math.Sin(lanes[k])));
                worst = Math.Max(worst, Math.Abs(cos[k] - Math.Cos(lanes[k])));
            }
        }

        Assert.True(worst < (range > 1000 ? 1e-6 : 2e-7), $"worst absolute error {worst:E3}");
    }

    [Fact]
    public void ExactValuesAtZeroAndSignsAreRight()
    {
        float[] x = [0f, -0f, 1f, -1f, 2f, -2f, 4f, -4f];
        VectorSinCos.Compute(Vector256.Create(x), out Vector256<float> sin, out Vector256<float> cos);
        Assert.Equal(0f, sin[0]);
        Assert.Equal(1f, cos[0]);
        for (int k = 2; k < 8; k++)
        {
            Assert.Equal(Math.Sign(Math.Sin(x[k])), Math.Sign(sin[k]));
            Assert.Equal(Math.Sign(Math.Cos(x[k])), Math.Sign(cos[k]));
        }
    }
}
