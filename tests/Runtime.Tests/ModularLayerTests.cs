using System;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Runtime.Layers;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Runtime.Tests;

/// <summary>The layers added for generated modular networks, against float64 references.</summary>
public class ModularLayerTests
{
    [Theory]
    [InlineData(1, 3, 5)]
    [InlineData(7, 4, 2)]
    public void LinearMapIsAnAffineMapWithoutBias(int batch, int inputs, int outputs)
    {
        var builder = new ParameterLayoutBuilder();
        var weight = builder.Add("u", ParameterOwner.Column(1), inputs, outputs, Initializer.Zeros);
        var store = Numerics.Store(builder.Build(), 4);
        var layer = new LinearMap(store, weight);
        LayerCheck.Run("linear map", (x, p) =>
            {
                var y = new double[batch * outputs];
                for (var r = 0; r < batch; r++)
                    for (var o = 0; o < outputs; o++)
                        for (var i = 0; i < inputs; i++) y[r * outputs + o] += x[r * inputs + i] * p[0][i * outputs + o];
                return y;
            },
            Numerics.Random(batch * inputs, 2), store, new[] { weight }, batch * outputs,
            (x, y) => layer.Forward(x, y, batch), (x, dy, dx) => layer.Backward(x, dy, dx, batch));
    }

    [Fact]
    public void ScaleMultipliesByItsLearnedScalar()
    {
        var builder = new ParameterLayoutBuilder();
        var alpha = builder.Add("alpha", ParameterOwner.Column(2), 1, 1, Initializer.Constant(0.01f));
        var store = Numerics.Store(builder.Build(), 5);
        var layer = new Scale(store, alpha);
        LayerCheck.Run("scale", (x, p) => x.Select(v => v * p[0][0]).ToArray(),
            Numerics.Random(12, 3), store, new[] { alpha }, 12,
            (x, y) => layer.Forward(x, y, 12), (x, dy, dx) => layer.Backward(x, dy, dx, 12));
        Assert.Throws<ArgumentException>(() => new Scale(store, builder.Build().Slices[0] with { Rows = 2 }));
    }

    [Fact]
    public void TopKSoftmaxKeepsTheKLargestAndRenormalises()
    {
        float[] scores = { 0.5f, 2f, -1f, 2f, 1f, /* row 2 */ 3f, 0f, 0f, 0f, -3f };
        var y = new float[10];
        RowTopKSoftmax.Forward(scores, y, 2, 5, 2);
        // Row 1: the tie at 2 keeps both; row 2: 3 and the first 0 (ties go to the lower index).
        Assert.Equal(new[] { 0f, 0.5f, 0f, 0.5f, 0f }, y.Take(5));
        var e = Math.Exp(-3);
        Assert.Equal(1 / (1 + e), y[5], 6);
        Assert.Equal(e / (1 + e), y[6], 6);
        Assert.Equal(new[] { 0f, 0f, 0f }, y.Skip(7));

        // k = columns is the plain softmax, and backward is its Jacobian, zero on dropped entries.
        var all = new float[10];
        var softmax = new float[10];
        RowTopKSoftmax.Forward(scores, all, 2, 5, 5);
        RowSoftmax.Forward(scores, softmax, 2, 5);
        for (var i = 0; i < 10; i++) Assert.True(Math.Abs(softmax[i] - all[i]) <= 1e-6f, $"entry {i}: {all[i]} vs softmax {softmax[i]}");
        var dy = Numerics.Random(10, 7);
        var dx = new float[10];
        RowTopKSoftmax.Backward(y, dy, dx, 2, 5);
        Assert.Equal(0f, dx[0]);
        Assert.Equal(0f, dx[9]);
        Assert.Throws<ArgumentOutOfRangeException>(() => RowTopKSoftmax.Forward(scores, y, 2, 5, 6));
    }

    [Fact]
    public void TaskRowsGatherAndScatterAreInverse()
    {
        int[] tasks = { 2, 0, 1, 2, 0 };
        var groups = new TaskBatch(3, 5);
        groups.Assign(tasks, 5);
        var rows = Numerics.Random(15, 1);
        var grouped = new float[15];
        TaskRows.Gather(rows, groups, grouped, 3);
        // Task order: samples 1, 4 (task 0), 2 (task 1), 0, 3 (task 2).
        Assert.Equal(rows.Skip(3).Take(3).Concat(rows.Skip(12).Take(3)).Concat(rows.Skip(6).Take(3)), grouped.Take(9));
        var back = new float[15];
        TaskRows.Scatter(grouped, groups, back, 3);
        Assert.Equal(rows, back);
    }

    [Fact]
    public void TopKSoftmaxTakesRowsWiderThanTheStackBuffer()
    {
        const int Columns = 1500;
        var scores = new float[Columns];
        for (var j = 0; j < Columns; j++) scores[j] = j % 7;
        scores[1400] = 10f;
        scores[1401] = 10f;
        var y = new float[Columns];
        RowTopKSoftmax.Forward(scores, y, 1, Columns, 2);
        Assert.Equal(0.5f, y[1400]);
        Assert.Equal(0.5f, y[1401]);
        Assert.Equal(1f, y.Sum(), 5);
    }
}
