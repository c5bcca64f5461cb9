using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Optimization;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>
/// <see cref="DeviceAdam.Restore"/>: an optimizer restored from another's moments and counters
/// continues exactly as the original does (the β powers are the running products it would hold).
/// </summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceAdamRestoreTests(IlgpuCpuFixture fixture)
{
    [Fact]
    public void ARestoredOptimizerContinuesBitForBit()
    {
        const int count = 37;
        var options = new DeviceAdamOptions(1e-2f, 0.9f, 0.999f, 1e-8f, 0f, 1f);
        ILGPU.Runtime.Accelerator accelerator = fixture.Device.Accelerator;
        using var original = new DeviceAdam(fixture.Device, count, options);
        using var restored = new DeviceAdam(fixture.Device, count, options);
        var random = new System.Random(3);
        float[] start = new float[count];
        for (int i = 0; i < count; i++)
        {
            start[i] = (float)random.NextDouble();
        }

        using MemoryBuffer1D<float, Stride1D.Dense> values = accelerator.Allocate1D(start);
        using MemoryBuffer1D<float, Stride1D.Dense> gradients = accelerator.Allocate1D<float>(count);
        float[][] steps = new float[6][];
        for (int step = 0; step < steps.Length; step++)
        {
            steps[step] = new float[count];
            for (int i = 0; i < count; i++)
            {
                steps[step][i] = (float)((random.NextDouble() * 2) - 1);
            }
        }

        // Four steps, the third skipped (a non-finite gradient), on the original.
        for (int step = 0; step < 4; step++)
        {
            gradients.CopyFromCPU(steps[step]);
            if (step == 2)
            {
                gradients.View.SubView(5, 1).CopyFromCPU(new[] { float.NaN });
            }

            original.Step(values.View, gradients.View);
        }

        Assert.Equal((3L, 1L), (original.ReadSteps(), original.ReadSkippedSteps()));
        float[] after = values.GetAsArray1D();
        restored.Restore(original.FirstMoment.GetAsArray1D(), original.SecondMoment.GetAsArray1D(), original.ReadSteps(), original.ReadSkippedSteps());
        using MemoryBuffer1D<float, Stride1D.Dense> copy = accelerator.Allocate1D(after);
        for (int step = 4; step < steps.Length; step++)
        {
            gradients.CopyFromCPU(steps[step]);
            original.Step(values.View, gradients.View);
            restored.Step(copy.View, gradients.View);
        }

        Assert.Equal(values.GetAsArray1D(), copy.GetAsArray1D());
        Assert.Equal(original.FirstMoment.GetAsArray1D(), restored.FirstMoment.GetAsArray1D());
        Assert.Equal(original.SecondMoment.GetAsArray1D(), restored.SecondMoment.GetAsArray1D());
        Assert.Equal((5L, 1L), (restored.ReadSteps(), restored.ReadSkippedSteps()));
        Assert.NotEqual(after, copy.GetAsArray1D());

        var mismatch = Assert.Throws<ArgumentException>(() => restored.Restore(new float[3], new float[count], 1, 0));
        Assert.Contains("the optimizer has 37 parameters", mismatch.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => restored.Restore(new float[count], new float[count], -1, 0));
    }
}
