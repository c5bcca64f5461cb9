using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Learning;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>SAC's input rows (observation ⊕ goal ⊕ one-hot task ⊕ action) against a plain loop, outputs poisoned first.</summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceSacInputPackerTests(IlgpuCpuFixture fixture)
{
    [Theory]
    [InlineData(1, 3, 0, 0, 0)]
    [InlineData(13, 4, 2, 3, 2)]
    [InlineData(29, 5, 0, 10, 4)]
    [InlineData(7, 2, 3, 0, 1)]
    public void RowsEqualASimpleLoop(int rows, int observation, int goal, int tasks, int actions)
    {
        var random = new System.Random(rows + (10 * observation));
        float[] observations = Values(random, rows * observation);
        float[] goals = Values(random, Math.Max(1, rows * goal));
        float[] actionValues = Values(random, Math.Max(1, rows * actions));
        var taskIds = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            taskIds[i] = tasks == 0 ? 0 : random.Next(tasks);
        }

        int width = observation + goal + tasks + actions;
        var expected = new float[rows * width];
        for (int i = 0; i < rows; i++)
        {
            int c = i * width;
            for (int k = 0; k < observation; k++) expected[c++] = observations[(i * observation) + k];
            for (int k = 0; k < goal; k++) expected[c++] = goals[(i * goal) + k];
            for (int k = 0; k < tasks; k++) expected[c++] = taskIds[i] == k ? 1f : 0f;
            for (int k = 0; k < actions; k++) expected[c++] = actionValues[(i * actions) + k];
        }

        ILGPU.Runtime.Accelerator accelerator = fixture.Device.Accelerator;
        using MemoryBuffer1D<float, Stride1D.Dense> dObservations = accelerator.Allocate1D(observations);
        using MemoryBuffer1D<float, Stride1D.Dense> dGoals = accelerator.Allocate1D(goals);
        using MemoryBuffer1D<float, Stride1D.Dense> dActions = accelerator.Allocate1D(actionValues);
        using MemoryBuffer1D<int, Stride1D.Dense> dTasks = accelerator.Allocate1D(taskIds);
        float[] poison = new float[(rows * width) + 3];
        Array.Fill(poison, float.NaN);
        using MemoryBuffer1D<float, Stride1D.Dense> output = accelerator.Allocate1D(poison);
        ArrayView<float> used = new DeviceSacInputPacker(fixture.Device).Pack(
            rows, dObservations.View, dGoals.View, dTasks.View, dActions.View, observation, goal, tasks, actions, output.View);
        Assert.Equal(rows * width, used.Length);
        float[] actual = output.GetAsArray1D();
        Assert.Equal(expected, actual[..(rows * width)]);
        Assert.All(actual[(rows * width)..], v => Assert.True(float.IsNaN(v), "beyond the rows nothing is written"));
    }

    [Fact]
    public void ATaskOutsideTheOneHotMakesThatRowsTaskPartNaN()
    {
        ILGPU.Runtime.Accelerator accelerator = fixture.Device.Accelerator;
        using MemoryBuffer1D<float, Stride1D.Dense> observations = accelerator.Allocate1D(new[] { 1f, 2f });
        using MemoryBuffer1D<int, Stride1D.Dense> tasks = accelerator.Allocate1D(new[] { 1, 3 });
        using MemoryBuffer1D<float, Stride1D.Dense> output = accelerator.Allocate1D<float>(6);
        new DeviceSacInputPacker(fixture.Device).Pack(2, observations.View, default, tasks.View, default, 1, 0, 2, 0, output.View);
        float[] rows = output.GetAsArray1D();
        Assert.Equal(new[] { 1f, 0f, 1f, 2f }, rows[..4]);
        Assert.True(float.IsNaN(rows[4]) && float.IsNaN(rows[5]));
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => new DeviceSacInputPacker(fixture.Device).Pack(
            2, observations.View, default, tasks.View, default, 1, 0, 3, 0, output.View)).ParamName);
    }

    private static float[] Values(System.Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}
