using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Optimization;
using Mtrl.Runtime.Optimization;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>
/// The device Adam against the CPU Adam over several steps with the same gradients. The update
/// is the same float sequence; the inputs to its constants differ by float64 rounding (the norm's
/// summation order, β^t as a running product instead of Math.Pow), so after five steps values and
/// moments agree within 10⁻⁶ relative, norms within 10⁻⁶ relative (plus 10⁻⁷ absolute for values, about an ulp of the
/// initial weights; 10⁻⁸ for first moments (sums of terms up to 0.1 of both signs) and 10⁻¹² for second moments, for elements that end near 0), and the step
/// and skip counts are equal.
/// </summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceAdamTests(IlgpuCpuFixture fixture)
{
    [Theory]
    [InlineData(1, 0f, 0f)]
    [InlineData(1003, 0f, 0f)]
    [InlineData(1003, 0.01f, 0f)]
    [InlineData(517, 0f, 2f)]
    public void MatchesCpuAdamStepForStep(int length, float weightDecay, float maxNorm)
    {
        var builder = new ParameterLayoutBuilder();
        builder.Add("p", ParameterOwner.Shared, 1, length, Initializer.Uniform(1f));
        var store = new ParameterStore(builder.Build());
        store.Initialize(7);
        int count = store.Layout.Length;
        var options = new AdamOptions(LearningRate: 1e-2f, WeightDecay: weightDecay, MaxGradientNorm: maxNorm);
        var cpu = new Adam(store, options);
        using var adam = new DeviceAdam(fixture.Device, count, new DeviceAdamOptions(1e-2f, 0.9f, 0.999f, 1e-8f, weightDecay, maxNorm));
        ILGPU.Runtime.Accelerator accelerator = fixture.Device.Accelerator;
        using MemoryBuffer1D<float, Stride1D.Dense> values = accelerator.Allocate1D(store.Values);
        using MemoryBuffer1D<float, Stride1D.Dense> gradients = accelerator.Allocate1D<float>(count);
        var random = new System.Random(length);
        for (int step = 0; step < 5; step++)
        {
            for (int i = 0; i < length; i++)
            {
                // Some exact zeros keep moments decaying towards the subnormal flush.
                store.Gradients[i] = i % 7 == 0 ? 0f : (float)((random.NextDouble() * 2) - 1);
            }

            gradients.CopyFromCPU(store.Gradients);
            Assert.True(cpu.Step());
            adam.Step(values.View, gradients.View);
            
            // The CPU sums float32 squares per block of 4,096, the device exact squares in float64.
            Assert.Equal(cpu.LastGradientNorm, adam.ReadLastGradientNorm(), 1e-6 * cpu.LastGradientNorm);
        }

        Assert.Equal(5, adam.ReadSteps());
        Assert.Equal(0, adam.ReadSkippedSteps());
        AssertClose(store.Values, values.GetAsArray1D(), 1e-6, 1e-7);
        AssertClose(cpu.FirstMoment, adam.FirstMoment.GetAsArray1D(), 1e-6, 1e-8);
        AssertClose(cpu.SecondMoment, adam.SecondMoment.GetAsArray1D(), 1e-6, 1e-12);
        if (maxNorm > 0f)
        {
            Assert.True(cpu.LastGradientNorm > maxNorm, "the test gradients must be clipped");
        }
    }

    [Fact]
    public void NonFiniteGradientOrLossSkipsAndCountsWithoutTouchingAnything()
    {
        const int count = 40;
        using var adam = new DeviceAdam(fixture.Device, count, new DeviceAdamOptions(LearningRate: 0.1f));
        ILGPU.Runtime.Accelerator accelerator = fixture.Device.Accelerator;
        float[] start = new float[count];
        float[] grad = new float[count];
        for (int i = 0; i < count; i++)
        {
            start[i] = i;
            grad[i] = 1f;
        }

        using MemoryBuffer1D<float, Stride1D.Dense> values = accelerator.Allocate1D(start);
        using MemoryBuffer1D<float, Stride1D.Dense> gradients = accelerator.Allocate1D(grad);
        using MemoryBuffer1D<double, Stride1D.Dense> loss = accelerator.Allocate1D(new[] { double.PositiveInfinity });
        adam.Step(values.View, gradients.View, loss.View);
        grad[3] = float.NaN;
        gradients.CopyFromCPU(grad);
        adam.Step(values.View, gradients.View);
        Assert.Equal(0, adam.ReadSteps());
        Assert.Equal(2, adam.ReadSkippedSteps());
        Assert.Equal(start, values.GetAsArray1D());
        Assert.All(adam.FirstMoment.GetAsArray1D(), m => Assert.Equal(0f, m));

        // A finite step then applies as the first one (bias correction of step 1: w moves by lr).
        grad[3] = 1f;
        gradients.CopyFromCPU(grad);
        loss.CopyFromCPU(new[] { 0.5 });
        adam.Step(values.View, gradients.View, loss.View);
        Assert.Equal(1, adam.ReadSteps());
        float[] after = values.GetAsArray1D();
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(i - 0.1f, after[i], 1e-5f);
        }
    }

    [Fact]
    public void BadArgumentsNameTheParameterAndRange()
    {
        Assert.Equal("Beta1", Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceAdam(fixture.Device, 4, new DeviceAdamOptions(Beta1: 1f))).ParamName);
        using var adam = new DeviceAdam(fixture.Device, 4, new DeviceAdamOptions());
        using MemoryBuffer1D<float, Stride1D.Dense> three = fixture.Device.Accelerator.Allocate1D<float>(3);
        using MemoryBuffer1D<float, Stride1D.Dense> four = fixture.Device.Accelerator.Allocate1D<float>(4);
        var error = Assert.Throws<ArgumentException>(() => adam.Step(three.View, four.View));
        Assert.Equal("parameters", error.ParamName);
        Assert.Contains("parameterCount = 4", error.Message, StringComparison.Ordinal);
    }

    private static void AssertClose(float[] expected, float[] actual, double relative, double absolute)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= (relative * Math.Abs(expected[i])) + absolute, $"[{i}] device {actual[i]}, CPU {expected[i]}");
        }
    }
}
