using System;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Projection;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceCaGradTests(IlgpuCpuFixture fixture)
{
    /// <summary>
    /// End to end against the CPU <see cref="CaGrad.Combine"/>: the two Gram matrices differ in
    /// rounding (float64 sums of exact products here, float32 sub-dots there) and the solve amplifies
    /// that by the problem's conditioning, so weights are compared relative to the largest weight.
    /// Observed here: up to about 5e-8; all cases pass at 1e-6; the bound keeps a margin of 10.
    /// </summary>
    private const double CpuWeightTolerance = 1e-5;

    [Theory]
    [InlineData(2, 1, 0.5, 0.0)]
    [InlineData(2, 37, 0.5, 0.3)]
    [InlineData(3, 1000, 0.2, 0.3)]
    [InlineData(4, 257, 0.8, -0.2)]
    [InlineData(5, 4099, 0.5, 0.0)]
    [InlineData(7, 333, 2.0, 0.1)]
    [InlineData(10, 1025, 0.5, 0.3)]
    [InlineData(10, 77, 0.0, 0.3)]
    public void EqualsCpuCaGrad(int taskCount, int parameterCount, double c, double shared)
    {
        float[] gradients = Gradients(taskCount, parameterCount, shared, seed: taskCount * 1000 + parameterCount);
        using var caGrad = new DeviceCaGrad(fixture.Device, taskCount, parameterCount);
        using MemoryBuffer1D<float, Stride1D.Dense> deviceGradients = fixture.Device.Accelerator.Allocate1D(gradients);
        foreach ((GradientReduction reduction, CaGradRescale rescale) in new[]
        {
            (GradientReduction.Mean, CaGradRescale.OnePlusCSquared), (GradientReduction.Sum, CaGradRescale.None), (GradientReduction.Mean, CaGradRescale.OnePlusC),
        })
        {
            using MemoryBuffer1D<float, Stride1D.Dense> output = Poisoned(parameterCount);
            caGrad.Combine(deviceGradients.View, c, reduction, output.View, rescale);

            // Gram: exact products summed in float64, against a float64 reference.
            double[] gram = caGrad.Gram.GetAsArray1D();
            for (int i = 0; i < taskCount; i++)
            {
                for (int j = 0; j < taskCount; j++)
                {
                    (double dot, double magnitude) = Dot(gradients, parameterCount, i, j);
                    Assert.True(Math.Abs(gram[(i * taskCount) + j] - dot) <= 1e-12 * magnitude, $"G[{i}, {j}] = {gram[(i * taskCount) + j]}, expected {dot}");
                }
            }

            // Solver: the CPU's on the device's Gram, bit for bit, iterations included.
            var weights = new double[taskCount];
            var simplex = new double[taskCount];
            int iterations = CaGradWeights.Compute(gram, taskCount, c, reduction, rescale, weights, simplex, new double[8 * taskCount]);
            Assert.Equal(weights, caGrad.Weights.GetAsArray1D());
            Assert.Equal(simplex, caGrad.SimplexWeights.GetAsArray1D());
            (int deviceIterations, double gap) = caGrad.ReadSolverStatistics();
            Assert.Equal(iterations, deviceIterations);
            double meanSquaredNorm = Enumerable.Range(0, taskCount).Average(k => gram[(k * taskCount) + k]);
            // The gap bounds F(x) − F(x*) ≥ 0; the solver also stops, as the CPU's, when a plain step no longer decreases F.
            Assert.True(gap >= -1e-12 * meanSquaredNorm && gap <= 1e-7 * meanSquaredNorm, $"gap {gap} after {iterations} iterations");

            // Output: the weighted sum within float32 rounding of Σ_k |w_k g_k[p]|.
            float[] actual = output.GetAsArray1D();
            for (int p = 0; p < parameterCount; p++)
            {
                double expected = 0, scale = 0;
                for (int k = 0; k < taskCount; k++)
                {
                    double term = (float)weights[k] * gradients[(k * parameterCount) + p];
                    expected += term;
                    scale += Math.Abs(term);
                }

                Assert.True(Math.Abs(actual[p] - expected) <= (1e-5 * scale) + 1e-30, $"output[{p}] = {actual[p]}, expected {expected} (scale {scale})");
            }

            // End to end against the CPU CAGrad.
            var workspace = new ProjectionWorkspace(taskCount, parameterCount);
            var cpu = new float[parameterCount];
            CaGrad.Combine(gradients, taskCount, parameterCount, c, reduction, cpu, rescale, workspace);
            double largest = workspace.Weights.ToArray().Max(Math.Abs);
            for (int k = 0; k < taskCount; k++)
            {
                Assert.True(
                    Math.Abs(weights[k] - workspace.Weights[k]) <= CpuWeightTolerance * largest,
                    $"w[{k}] = {weights[k]}, CPU {workspace.Weights[k]} (largest {largest})");
            }

            for (int p = 0; p < parameterCount; p++)
            {
                double scale = 0;
                for (int k = 0; k < taskCount; k++)
                {
                    scale += Math.Abs(gradients[(k * parameterCount) + p]);
                }

                Assert.True(Math.Abs(actual[p] - cpu[p]) <= (CpuWeightTolerance * largest * scale) + (1e-5 * Math.Abs(cpu[p])), $"output[{p}] = {actual[p]}, CPU {cpu[p]}");
            }
        }
    }

    [Fact]
    public void SpecialCasesMatchTheCpu()
    {
        const int parameterCount = 40;
        float[] opposed = new float[2 * parameterCount];
        float[] zero = new float[3 * parameterCount];
        float[] single = new float[parameterCount];
        float[] nonFinite = Gradients(3, parameterCount, 0.2, seed: 5);
        nonFinite[parameterCount + 7] = float.PositiveInfinity;
        for (int p = 0; p < parameterCount; p++)
        {
            opposed[p] = 1f + (p % 3);
            opposed[parameterCount + p] = -opposed[p];
            single[p] = p - 20f;
        }

        // Opposed tasks and c ≥ 1: the ball holds 0, the update is 0. c < 1: the mean (also 0 here).
        foreach (double c in new[] { 1.5, 0.5 })
        {
            double[] w = Run(opposed, 2, parameterCount, c, out float[] output);
            Assert.All(output, value => Assert.Equal(0f, value));
            Assert.Equal(CpuWeights(opposed, 2, parameterCount, c), w);
        }

        // Every gradient zero: mean weights, zero update.
        double[] zeroWeights = Run(zero, 3, parameterCount, 0.5, out float[] zeroOutput);
        Assert.Equal(CpuWeights(zero, 3, parameterCount, 0.5), zeroWeights);
        Assert.All(zeroOutput, value => Assert.Equal(0f, value));

        // One task: d = g0 + λ·g with λ = c, times the rescale: (1 + c)/(1 + c²)·g.
        double[] singleWeights = Run(single, 1, parameterCount, 0.5, out float[] singleOutput);
        Assert.Equal(CpuWeights(single, 1, parameterCount, 0.5), singleWeights);
        Assert.Equal(1.5 / 1.25, singleWeights[0], 15);
        Assert.Equal(single.Select(g => (float)singleWeights[0] * g).ToArray(), singleOutput);

        // A non-finite gradient: NaN weights, NaN update, as the CPU.
        double[] nanWeights = Run(nonFinite, 3, parameterCount, 0.5, out float[] nanOutput);
        Assert.All(nanWeights, value => Assert.True(double.IsNaN(value)));
        Assert.All(nanOutput, value => Assert.True(float.IsNaN(value)));
        Assert.All(CpuWeights(nonFinite, 3, parameterCount, 0.5), value => Assert.True(double.IsNaN(value)));
    }

    [Fact]
    public void WrongArgumentsNameTheArgumentAndTheRange()
    {
        using var caGrad = new DeviceCaGrad(fixture.Device, 3, 10);
        using MemoryBuffer1D<float, Stride1D.Dense> gradients = fixture.Device.Accelerator.Allocate1D<float>(29);
        using MemoryBuffer1D<float, Stride1D.Dense> output = fixture.Device.Accelerator.Allocate1D<float>(10);
        var error = Assert.Throws<ArgumentException>(() => caGrad.Combine(gradients.View, 0.5, GradientReduction.Mean, output.View));
        Assert.Contains("taskGradients has 29 floats; it needs taskCount × parameterCount = 3 × 10 = 30", error.Message, StringComparison.Ordinal);
        using MemoryBuffer1D<float, Stride1D.Dense> right = fixture.Device.Accelerator.Allocate1D<float>(30);
        using MemoryBuffer1D<float, Stride1D.Dense> shortOutput = fixture.Device.Accelerator.Allocate1D<float>(9);
        error = Assert.Throws<ArgumentException>(() => caGrad.Combine(right.View, 0.5, GradientReduction.Mean, shortOutput.View));
        Assert.Contains("output has 9 floats; it needs parameterCount = 10", error.Message, StringComparison.Ordinal);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => caGrad.Combine(right.View, -0.1, GradientReduction.Mean, output.View));
        Assert.Contains("c must be finite and at least 0", range.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => caGrad.Combine(right.View, double.NaN, GradientReduction.Mean, output.View));
        Assert.Throws<ArgumentOutOfRangeException>(() => caGrad.Combine(right.View, 0.5, (GradientReduction)5, output.View));
        Assert.Throws<ArgumentOutOfRangeException>(() => caGrad.Combine(right.View, 0.5, GradientReduction.Mean, output.View, (CaGradRescale)7));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceCaGrad(fixture.Device, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceCaGrad(fixture.Device, ProjectionWorkspace.MaximumTaskCount + 1, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceCaGrad(fixture.Device, 2, 0));
    }

    private double[] Run(float[] gradients, int taskCount, int parameterCount, double c, out float[] output)
    {
        using var caGrad = new DeviceCaGrad(fixture.Device, taskCount, parameterCount);
        using MemoryBuffer1D<float, Stride1D.Dense> deviceGradients = fixture.Device.Accelerator.Allocate1D(gradients);
        using MemoryBuffer1D<float, Stride1D.Dense> result = Poisoned(parameterCount);
        caGrad.Combine(deviceGradients.View, c, GradientReduction.Mean, result.View);
        output = result.GetAsArray1D();
        return caGrad.Weights.GetAsArray1D();
    }

    private static double[] CpuWeights(float[] gradients, int taskCount, int parameterCount, double c)
    {
        var workspace = new ProjectionWorkspace(taskCount, parameterCount);
        CaGrad.Combine(gradients, taskCount, parameterCount, c, GradientReduction.Mean, new float[parameterCount], CaGradRescale.OnePlusCSquared, workspace);
        return workspace.Weights.ToArray();
    }

    /// <summary>A shared direction of weight <paramref name="shared"/> plus noise: some task pairs conflict, some do not.</summary>
    private static float[] Gradients(int taskCount, int parameterCount, double shared, int seed)
    {
        var random = new System.Random(seed);
        var values = new float[taskCount * parameterCount];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1 + (shared * Math.Sin(i % parameterCount)) + (0.1 * (i / parameterCount)));
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
