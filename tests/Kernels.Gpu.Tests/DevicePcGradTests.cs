using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Projection;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class DevicePcGradTests(IlgpuCpuFixture fixture)
{
    [Theory]
    [InlineData(1, 7, 0UL)]
    [InlineData(2, 1, 5UL)]
    [InlineData(3, 1000, 0xffff_fffeUL)]
    [InlineData(7, 4099, 123UL)]
    [InlineData(10, 257, 9UL)]
    public void EqualsCpuPcGradWithTheSameDrawnOrders(int taskCount, int parameterCount, ulong counter)
    {
        float[] gradients = Gradients(taskCount, parameterCount, seed: taskCount * 100 + parameterCount);
        using var pcGrad = new DevicePcGrad(fixture.Device, taskCount, parameterCount);
        using MemoryBuffer1D<float, Stride1D.Dense> deviceGradients = fixture.Device.Accelerator.Allocate1D(gradients);
        foreach (GradientReduction reduction in new[] { GradientReduction.Sum, GradientReduction.Mean })
        {
            using MemoryBuffer1D<float, Stride1D.Dense> output = Poisoned(parameterCount);
            pcGrad.Project(deviceGradients.View, seed: 3, stream: 11, counter, reduction, output.View);

            // Orders: identical integers.
            int[] orders = new int[taskCount * (taskCount - 1)];
            PcGradOrders.Draw(orders, taskCount, 3, 11, counter);
            Assert.Equal(orders, pcGrad.Orders.GetAsArray1D()[..orders.Length]);

            // Gram: exact products summed in float64, against a float64 reference.
            double[] gram = pcGrad.Gram.GetAsArray1D();
            for (int i = 0; i < taskCount; i++)
            {
                for (int j = 0; j < taskCount; j++)
                {
                    (double dot, double magnitude) = Dot(gradients, parameterCount, i, j);
                    Assert.True(Math.Abs(gram[(i * taskCount) + j] - dot) <= 1e-12 * magnitude, $"G[{i}, {j}] = {gram[(i * taskCount) + j]}, expected {dot}");
                }
            }

            // Weights: the CPU derivation on the device's Gram, bit for bit (same float64 steps).
            var weights = new double[taskCount];
            int projections = PcGradWeights.Compute(gram, taskCount, orders, reduction, new double[taskCount * taskCount], weights);
            Assert.Equal(weights, pcGrad.Weights.GetAsArray1D());
            Assert.Equal(projections, pcGrad.ReadProjectionCount());

            // Output: within float32 rounding of the CPU kernel's.
            var workspace = new ProjectionWorkspace(taskCount, parameterCount);
            var expected = new float[parameterCount];
            PcGrad.Project(gradients, taskCount, parameterCount, 3, 11, counter, reduction, expected, workspace);
            Assert.Equal(workspace.ProjectionCount, projections);
            float[] actual = output.GetAsArray1D();
            for (int p = 0; p < parameterCount; p++)
            {
                double scale = 0;
                for (int k = 0; k < taskCount; k++)
                {
                    scale += Math.Abs(weights[k] * gradients[(k * parameterCount) + p]);
                }

                Assert.True(Math.Abs(actual[p] - expected[p]) <= (1e-5 * scale) + 1e-30, $"output[{p}] = {actual[p]}, CPU {expected[p]} (scale {scale})");
            }
        }
    }

    [Fact]
    public void ExplicitOrdersAreUsedAndValidated()
    {
        const int taskCount = 4;
        const int parameterCount = 300;
        float[] gradients = Gradients(taskCount, parameterCount, seed: 8);
        using var pcGrad = new DevicePcGrad(fixture.Device, taskCount, parameterCount);
        using MemoryBuffer1D<float, Stride1D.Dense> deviceGradients = fixture.Device.Accelerator.Allocate1D(gradients);
        using MemoryBuffer1D<float, Stride1D.Dense> drawn = Poisoned(parameterCount);
        using MemoryBuffer1D<float, Stride1D.Dense> explicitOutput = Poisoned(parameterCount);
        pcGrad.Project(deviceGradients.View, 1, 2, 3, GradientReduction.Mean, drawn.View);
        int[] orders = pcGrad.Orders.GetAsArray1D();
        pcGrad.Project(deviceGradients.View, orders, GradientReduction.Mean, explicitOutput.View);
        Assert.Equal(drawn.GetAsArray1D(), explicitOutput.GetAsArray1D());

        int[] reversed = (int[])orders.Clone();
        Array.Reverse(reversed, 0, 3);
        var expected = new float[parameterCount];
        PcGrad.Project(gradients, taskCount, parameterCount, reversed, GradientReduction.Mean, expected);
        pcGrad.Project(deviceGradients.View, reversed, GradientReduction.Mean, explicitOutput.View);
        Assert.Equal(reversed, pcGrad.Orders.GetAsArray1D());
        float[] actual = explicitOutput.GetAsArray1D();
        for (int p = 0; p < parameterCount; p++)
        {
            Assert.True(Math.Abs(actual[p] - expected[p]) <= 1e-5 * (Math.Abs(expected[p]) + 1), $"output[{p}]");
        }

        int[] invalid = (int[])orders.Clone();
        invalid[0] = 0;
        var error = Assert.Throws<ArgumentException>(() => pcGrad.Project(deviceGradients.View, invalid, GradientReduction.Mean, explicitOutput.View));
        Assert.Contains("orders row 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AlignedGradientsAreNotProjectedAndOpposedOnesAre()
    {
        const int parameterCount = 50;
        using var pcGrad = new DevicePcGrad(fixture.Device, 2, parameterCount);
        float[] aligned = new float[2 * parameterCount];
        float[] opposed = new float[2 * parameterCount];
        for (int p = 0; p < parameterCount; p++)
        {
            aligned[p] = 1f + p;
            aligned[parameterCount + p] = 2f;
            opposed[p] = 1f + p;
            opposed[parameterCount + p] = -1f;
        }

        using MemoryBuffer1D<float, Stride1D.Dense> output = Poisoned(parameterCount);
        using (MemoryBuffer1D<float, Stride1D.Dense> g = fixture.Device.Accelerator.Allocate1D(aligned))
        {
            pcGrad.Project(g.View, 0, 0, 0, GradientReduction.Sum, output.View);
        }

        Assert.Equal(0, pcGrad.ReadProjectionCount());
        float[] sum = output.GetAsArray1D();
        Assert.Equal(3f + 49f, sum[49]);
        using (MemoryBuffer1D<float, Stride1D.Dense> g = fixture.Device.Accelerator.Allocate1D(opposed))
        {
            pcGrad.Project(g.View, 0, 0, 0, GradientReduction.Sum, output.View);
        }

        Assert.Equal(2, pcGrad.ReadProjectionCount());
    }

    [Theory]
    [InlineData(1, 1024)]
    [InlineData(128, 1024)]
    [InlineData(129, 512)]
    [InlineData(724, 32)]
    [InlineData(1024, 32)]
    public void GramLanesShrinkOnlyForManyTasks(int taskCount, int lanes)
        => Assert.Equal(lanes, DevicePcGradKernels.GramLanes(taskCount));

    [Fact]
    public void WrongSizesNameTheArgumentAndTheExpectedLength()
    {
        using var pcGrad = new DevicePcGrad(fixture.Device, 3, 10);
        using MemoryBuffer1D<float, Stride1D.Dense> gradients = fixture.Device.Accelerator.Allocate1D<float>(29);
        using MemoryBuffer1D<float, Stride1D.Dense> output = fixture.Device.Accelerator.Allocate1D<float>(10);
        var error = Assert.Throws<ArgumentException>(() => pcGrad.Project(gradients.View, 0, 0, 0, GradientReduction.Sum, output.View));
        Assert.Contains("taskGradients has 29 floats; it needs taskCount × parameterCount = 3 × 10 = 30", error.Message, StringComparison.Ordinal);
        using MemoryBuffer1D<float, Stride1D.Dense> right = fixture.Device.Accelerator.Allocate1D<float>(30);
        using MemoryBuffer1D<float, Stride1D.Dense> shortOutput = fixture.Device.Accelerator.Allocate1D<float>(9);
        error = Assert.Throws<ArgumentException>(() => pcGrad.Project(right.View, 0, 0, 0, GradientReduction.Sum, shortOutput.View));
        Assert.Contains("output has 9 floats; it needs parameterCount = 10", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => pcGrad.Project(right.View, 0, 0, 0, (GradientReduction)5, output.View));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DevicePcGrad(fixture.Device, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DevicePcGrad(fixture.Device, 2, 0));
    }

    private static float[] Gradients(int taskCount, int parameterCount, int seed)
    {
        var random = new System.Random(seed);
        var values = new float[taskCount * parameterCount];
        for (int i = 0; i < values.Length; i++)
        {
            // A shared direction per parameter plus noise: some task pairs conflict, some do not.
            values[i] = (float)((random.NextDouble() * 2) - 1 + (0.3 * Math.Sin(i % parameterCount)));
        }

        return values;
    }

    private static (double Dot, double Magnitude) Dot(float[] gradients, int parameterCount, int i, int j)
    {
        double dot = 0;
        double magnitude = 0;
        for (int p = 0; p < parameterCount; p++)
        {
            double product = (double)gradients[(i * parameterCount) + p] * gradients[(j * parameterCount) + p];
            dot += product;
            magnitude += Math.Abs(product);
        }

        return (dot, magnitude);
    }

    private MemoryBuffer1D<float, Stride1D.Dense> Poisoned(int length)
    {
        var values = new float[length];
        Array.Fill(values, float.NaN);
        return fixture.Device.Accelerator.Allocate1D(values);
    }
}
