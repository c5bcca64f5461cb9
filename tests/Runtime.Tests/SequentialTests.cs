using System;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.Layers;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Optimization;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Runtime.Tests;

[CollectionDefinition("Allocation", DisableParallelization = true)]
public sealed class AllocationCollection
{
}

public class SequentialTests
{
    [Fact]
    public void MlpWithLayerNormAndPerTaskHeadMatchesAFloat64ReferenceEndToEnd()
    {
        const int batch = 5, inputs = 4, hidden = 6, outputs = 3, tasks = 2;
        int[] taskIds = { 1, 0, 1, 1, 0 };
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "n", inputs).Linear(hidden).LayerNorm().Activation(ActivationKind.Tanh).TaskLinear(outputs, tasks);
        var store = new ParameterStore(builder.Build());
        store.Initialize(3);
        foreach (var slice in store.Layout.Slices.Where(s => s.Name.Contains("bias") || s.Name.Contains("norm")))
        {
            Numerics.Random(slice.Length, slice.Index, 0.3f).CopyTo(store.ValuesOf(slice)); // non-trivial biases and norms
        }
        var network = chain.Bind(store, 8);
        var slices = store.Layout.Slices.ToArray();

        double[] Reference(double[] x, double[][] p)
        {
            var y = new double[batch * outputs];
            for (var b = 0; b < batch; b++)
            {
                var h = new double[hidden];
                for (var o = 0; o < hidden; o++)
                {
                    h[o] = p[1][o];
                    for (var i = 0; i < inputs; i++) h[o] += x[b * inputs + i] * p[0][i * hidden + o];
                }
                var mean = h.Average();
                var variance = h.Select(v => (v - mean) * (v - mean)).Average();
                for (var o = 0; o < hidden; o++) h[o] = Math.Tanh((h[o] - mean) / Math.Sqrt(variance + 1e-5) * p[2][o] + p[3][o]);
                var t = taskIds[b];
                for (var o = 0; o < outputs; o++)
                {
                    var sum = p[5 + 2 * t][o];
                    for (var i = 0; i < hidden; i++) sum += h[i] * p[4 + 2 * t][i * outputs + o];
                    y[b * outputs + o] = sum;
                }
            }
            return y;
        }

        var input = Numerics.Random(batch * inputs, 77);
        LayerCheck.Run("sequential", Reference, input, store, slices, batch * outputs,
            (x, y) => network.Forward(x, batch, taskIds).CopyTo(y),
            (x, dy, dx) => network.Backward(dy, dx), forwardTolerance: 1e-4);
    }

    [Fact]
    public void BadBatchAndMissingTaskIdsAreClearErrors()
    {
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "n", 2).TaskLinear(2, 3);
        var network = chain.Bind(new ParameterStore(builder.Build()), 4);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => network.Forward(new float[10], 5, new[] { 0, 0, 0, 0, 0 })).ParamName);
        Assert.Equal("taskIds", Assert.Throws<ArgumentException>(() => network.Forward(new float[4], 2)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => network.Forward(new float[4], 2, new[] { 0, 3 }));
    }
}

[Collection("Allocation")]
public class AllocationTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 1)]
    [InlineData(130, 1)]
    [InlineData(130, 2)]
    public void FusedReluChainGivesTheBitsOfSeparateLayers(int batch, int threads)
    {
        // Sequential runs Linear+ReLU as one GEMM with an epilogue and takes dx through the ReLU
        // in the next layer's product; the same chain run as separate layer calls must agree exactly.
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "n", 7).Linear(13).Activation(ActivationKind.Relu)
            .Linear(11).Activation(ActivationKind.Relu).Linear(5).Activation(ActivationKind.Relu).Linear(3);
        var layout = builder.Build();
        var fused = new ParameterStore(layout);
        fused.Initialize(3);
        var separate = new ParameterStore(layout);
        separate.CopyValuesFrom(fused);
        using var accelerator = new CpuAccelerator(threads);
        var network = chain.Bind(fused, batch);
        network.UseGemm(GemmBackend.Managed, accelerator);
        var x = Numerics.Random(batch * 7, 1);
        var dy = Numerics.Random(batch * 3, 2);
        var dxFused = Numerics.Poisoned(batch * 7);
        var y = network.Forward(x, batch).ToArray();
        fused.ZeroGradients();
        network.Backward(dy, dxFused);

        int[] widths = [7, 13, 11, 5, 3];
        var layers = Enumerable.Range(0, 4).Select(i => new Layers.Linear(separate, layout[$"n.fc{2 * i}.weight"], layout[$"n.fc{2 * i}.bias"])
        {
            Backend = GemmBackend.Managed,
            Accelerator = accelerator,
        }).ToArray();
        var relu = new Layers.Activation(ActivationKind.Relu);
        var pre = widths.Skip(1).Select(w => new float[batch * w]).ToArray();
        var post = widths.Skip(1).Select(w => new float[batch * w]).ToArray();
        float[] input = x;
        for (var i = 0; i < 4; i++)
        {
            layers[i].Forward(input, pre[i], batch);
            if (i < 3) relu.Forward(pre[i], post[i], batch * widths[i + 1]);
            input = i < 3 ? post[i] : pre[i];
        }
        Assert.Equal(pre[3], y);
        separate.ZeroGradients();
        float[] gradient = dy;
        for (var i = 3; i >= 0; i--)
        {
            var dx = new float[batch * widths[i]];
            layers[i].Backward(i == 0 ? x : post[i - 1], gradient, dx, batch);
            gradient = dx;
            if (i == 0) break;
            var dPre = new float[batch * widths[i]];
            relu.Backward(pre[i - 1], post[i - 1], gradient, dPre, batch * widths[i]);
            gradient = dPre;
        }
        Assert.Equal(gradient, dxFused);
        Assert.Equal(separate.Gradients, fused.Gradients);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(128)]
    public void TrainingStepAllocatesNothingAfterWarmUp(int batch)
    {
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "n", 49).Mlp(new[] { 400, 400, 400 }).Linear(8);
        var store = new ParameterStore(builder.Build());
        store.Initialize(1);
        // One managed thread: all managed work runs on this thread, where allocations are measurable
        // (OpenBLAS threads are native and allocate no managed memory).
        using var accelerator = new CpuAccelerator(1);
        var network = chain.Bind(store, batch);
        network.UseGemm(GemmBackend.Auto, accelerator);
        var adam = new Adam(store, new AdamOptions(), accelerator);
        var x = Numerics.Random(batch * 49, 1);
        var target = Numerics.Random(batch * 8, 2);
        var gradient = new float[batch * 8];
        void Step()
        {
            store.ZeroGradients();
            var y = network.Forward(x, batch);
            Losses.Loss.MeanSquaredError(y, target, gradient, batch * 8);
            network.Backward(gradient);
            adam.Step();
        }
        for (var i = 0; i < 5; i++) Step();
        // A one-off runtime allocation (tiering, a timer) may land in a window; a per-step
        // allocation lands in every window.
        long allocated = 0;
        for (var window = 0; window < 3; window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 20; i++) Step();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated == 0) return;
        }
        Assert.Fail($"{allocated} bytes allocated in 20 steps at batch {batch} ({Gemm.ResolvedAuto} GEMM), in every window");
    }
}
