using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Learning;
using Mtrl.Runtime.Heads;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>
/// The device tanh-Gaussian head against the CPU <see cref="TanhGaussian"/> (within float rounding:
/// the device's tanh is its own float64 evaluation, within an ulp of <see cref="MathF.Tanh"/>;
/// outputs poisoned first, row counts that fill no whole group), its backward pass against
/// float64 central differences of the log-probability and the squashed action, and its tanh
/// against float64 tanh.
/// </summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceTanhGaussianTests(IlgpuCpuFixture fixture)
{
    [Theory]
    [InlineData(1, 1, -20f, 2f)]
    [InlineData(17, 3, -5f, 1f)]
    [InlineData(37, 4, -20f, 2f)]
    public void SampleAndBackwardMatchTheCpuHead(int rows, int d, float lo, float hi)
    {
        var random = new System.Random((rows * 10) + d);
        float[] readout = Values(random, rows * 2 * d, 3f);
        float[] noise = Values(random, rows * d, 2f);
        float[] actionGradient = Values(random, rows * d, 1f);
        float[] logpGradient = Values(random, rows, 1f);
        // Large |u| takes softplus's linear branch (−2u > 20) on both sides.
        readout[0] = 15f;
        noise[0] = 0f;

        var cpu = new TanhGaussian(d, lo, hi);
        var actions = new float[rows * d];
        var logp = new float[rows];
        var gradient = new float[rows * 2 * d];
        cpu.Sample(readout, noise, actions, logp, rows);
        cpu.Backward(readout, noise, actionGradient, logpGradient, gradient, rows);

        var head = new DeviceTanhGaussian(fixture.Device, d, lo, hi);
        using MemoryBuffer1D<float, Stride1D.Dense> dReadout = Allocate(readout);
        using MemoryBuffer1D<float, Stride1D.Dense> dNoise = Allocate(noise);
        using MemoryBuffer1D<float, Stride1D.Dense> dActions = Allocate(Poison(rows * d));
        using MemoryBuffer1D<float, Stride1D.Dense> dLogp = Allocate(Poison(rows));
        using MemoryBuffer1D<float, Stride1D.Dense> dActionGradient = Allocate(actionGradient);
        using MemoryBuffer1D<float, Stride1D.Dense> dLogpGradient = Allocate(logpGradient);
        using MemoryBuffer1D<float, Stride1D.Dense> dGradient = Allocate(Poison(rows * 2 * d));
        head.Sample(rows, dReadout.View, dNoise.View, dActions.View, dLogp.View);
        head.Backward(rows, dReadout.View, dNoise.View, dActionGradient.View, dLogpGradient.View, dGradient.View);
        // An ulp of tanh moves the log-std by up to ½(hi − lo) ulps; 10⁻⁵ relative covers that with room, and catches any wrong formula.
        AssertClose(actions, dActions.GetAsArray1D(), 1e-5);
        AssertClose(logp, dLogp.GetAsArray1D(), 1e-5);
        AssertClose(gradient, dGradient.GetAsArray1D(), 1e-5);
    }

    [Fact]
    public void BackwardMatchesFloat64FiniteDifferences()
    {
        const int rows = 5, d = 3;
        const float lo = -5f, hi = 1f;
        var random = new System.Random(21);
        float[] readout = Values(random, rows * 2 * d, 1.5f);
        float[] noise = Values(random, rows * d, 1.5f);
        float[] actionWeights = Values(random, rows * d, 1f);
        float[] logpWeights = Values(random, rows, 1f);

        var head = new DeviceTanhGaussian(fixture.Device, d, lo, hi);
        using MemoryBuffer1D<float, Stride1D.Dense> dReadout = Allocate(readout);
        using MemoryBuffer1D<float, Stride1D.Dense> dNoise = Allocate(noise);
        using MemoryBuffer1D<float, Stride1D.Dense> dActionGradient = Allocate(actionWeights);
        using MemoryBuffer1D<float, Stride1D.Dense> dLogpGradient = Allocate(logpWeights);
        using MemoryBuffer1D<float, Stride1D.Dense> dGradient = Allocate(Poison(rows * 2 * d));
        head.Backward(rows, dReadout.View, dNoise.View, dActionGradient.View, dLogpGradient.View, dGradient.View);
        float[] gradient = dGradient.GetAsArray1D();

        // L = Σ c_a·a + Σ c_l·log π in float64; ∂L/∂readout by central differences.
        double Loss(double[] x)
        {
            double total = 0;
            for (int b = 0; b < rows; b++)
            {
                double logp = 0;
                for (int i = 0; i < d; i++)
                {
                    double logStd = lo + (0.5 * (hi - lo) * (Math.Tanh(x[(b * 2 * d) + d + i]) + 1));
                    double e = noise[(b * d) + i];
                    double u = x[(b * 2 * d) + i] + (Math.Exp(logStd) * e);
                    double a = Math.Tanh(u);
                    total += actionWeights[(b * d) + i] * a;
                    logp += (-0.5 * e * e) - logStd - (0.5 * Math.Log(2 * Math.PI)) - Math.Log(1 - (a * a));
                }

                total += logpWeights[b] * logp;
            }

            return total;
        }

        double[] point = Array.ConvertAll(readout, v => (double)v);
        for (int k = 0; k < point.Length; k++)
        {
            const double h = 1e-6;
            double keep = point[k];
            point[k] = keep + h;
            double up = Loss(point);
            point[k] = keep - h;
            double down = Loss(point);
            point[k] = keep;
            double numeric = (up - down) / (2 * h);
            Assert.True(Math.Abs(gradient[k] - numeric) <= 1e-4 * (1 + Math.Abs(numeric)), $"∂L/∂readout[{k}]: device {gradient[k]}, finite differences {numeric}");
        }
    }

    [Fact]
    public void TanhIsWithinAnUlpOfFloat64Tanh()
    {
        var random = new System.Random(5);
        var inputs = new List<float> { 0f, -0f, 1e-30f, -1e-5f, 1e-4f, 9.99e-5f, 0.3f, -0.55f, 1f, 5f, -9f, 20f, 100f, float.MaxValue, float.PositiveInfinity, float.NegativeInfinity };
        for (int i = 0; i < 20_000; i++)
        {
            inputs.Add((float)(Math.Pow(10, (random.NextDouble() * 8) - 6) * (random.Next(2) == 0 ? -1 : 1)));
        }

        foreach (float x in inputs)
        {
            float device = DeviceMath.Tanh(x);
            double exact = Math.Tanh(x);
            Assert.True(Math.Abs(device - exact) <= Math.Max(Math.Abs(exact), 1e-38) * Math.Pow(2, -23), $"tanh({x:R}) = {device:R}, float64 {exact:R}");
            Assert.Equal(float.IsNegative(x), float.IsNegative(device));
        }

        Assert.True(float.IsNaN(DeviceMath.Tanh(float.NaN)));
    }

    [Fact]
    public void BadArgumentsAreRefusedNamingThem()
    {
        Assert.Equal("logStdMax", Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceTanhGaussian(fixture.Device, 2, 1f, 1f)).ParamName);
        Assert.Equal("actions", Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceTanhGaussian(fixture.Device, 0)).ParamName);
        var head = new DeviceTanhGaussian(fixture.Device, 2);
        using MemoryBuffer1D<float, Stride1D.Dense> small = Allocate(new float[7]);
        ArgumentException error = Assert.Throws<ArgumentException>(() => head.Sample(2, small.View, small.View, small.View, small.View));
        Assert.Equal("readout", error.ParamName);
        Assert.Contains("readout has 7 values; 8 needed", error.Message, StringComparison.Ordinal);
    }

    private MemoryBuffer1D<float, Stride1D.Dense> Allocate(float[] values) => fixture.Device.Accelerator.Allocate1D(values);

    private static float[] Values(System.Random random, int length, float scale)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(((random.NextDouble() * 2) - 1) * scale);
        }

        return values;
    }

    private static float[] Poison(int length)
    {
        var values = new float[length];
        Array.Fill(values, float.NaN);
        return values;
    }

    private static void AssertClose(float[] expected, float[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * (1 + Math.Abs(expected[i])), $"[{i}] device {actual[i]:R}, CPU {expected[i]:R}");
        }
    }
}
