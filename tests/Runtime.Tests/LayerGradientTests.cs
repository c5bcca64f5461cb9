using System;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.Layers;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Runtime.Tests;

public class LayerGradientTests
{
    private static double[] Affine(double[] x, double[] w, double[] b, int batch, int inputs, int outputs)
    {
        var y = new double[batch * outputs];
        for (var r = 0; r < batch; r++)
        {
            for (var o = 0; o < outputs; o++)
            {
                var sum = b[o];
                for (var i = 0; i < inputs; i++) sum += x[r * inputs + i] * w[i * outputs + o];
                y[r * outputs + o] = sum;
            }
        }
        return y;
    }

    public static TheoryData<GemmBackend, int, int, int> LinearCases()
    {
        var data = new TheoryData<GemmBackend, int, int, int>();
        foreach (var backend in Numerics.Backends)
        {
            data.Add(backend, 1, 3, 5);
            data.Add(backend, 7, 17, 3);
            data.Add(backend, 33, 9, 19);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(LinearCases))]
    public void Linear(GemmBackend backend, int batch, int inputs, int outputs)
    {
        var builder = new ParameterLayoutBuilder();
        var (w, b) = builder.AddAffine("l", ParameterOwner.Shared, inputs, outputs, Initializer.Zeros);
        var store = Numerics.Store(builder.Build(), 3);
        var layer = new Layers.Linear(store, w, b) { Backend = backend };
        LayerCheck.Run($"linear {backend}", (x, p) => Affine(x, p[0], p[1], batch, inputs, outputs),
            Numerics.Random(batch * inputs, 1), store, new[] { w, b }, batch * outputs,
            (x, y) => layer.Forward(x, y, batch), (x, dy, dx) => layer.Backward(x, dy, dx, batch));
    }

    [Theory]
    [MemberData(nameof(LinearCases))]
    public void LinearFollowedByRelu(GemmBackend backend, int batch, int inputs, int outputs)
    {
        var builder = new ParameterLayoutBuilder();
        var (w, b) = builder.AddAffine("l", ParameterOwner.Shared, inputs, outputs, Initializer.Zeros);
        var store = Numerics.Store(builder.Build(), 4);
        var layer = new Layers.Linear(store, w, b) { Backend = backend };
        var y = new float[batch * outputs];
        var masked = new float[batch * outputs];
        LayerCheck.Run($"linear+relu {backend}", (x, p) => Affine(x, p[0], p[1], batch, inputs, outputs).Select(v => Math.Max(v, 0)).ToArray(),
            Numerics.Random(batch * inputs, 1), store, new[] { w, b }, batch * outputs,
            (x, output) =>
            {
                layer.ForwardRelu(x, output, batch);
                output.CopyTo(y, 0);
            },
            (x, dy, dx) =>
            {
                Activations.ReluBackward(y, dy, masked);
                layer.Backward(x, masked, dx, batch);
            });
    }

    [Theory]
    [MemberData(nameof(LinearCases))]
    public void LinearBackwardThroughThePrecedingRelu(GemmBackend backend, int batch, int inputs, int outputs)
    {
        // As a function of the ReLU's input u: y = relu(u)·W + b; dx is ∂L/∂u.
        var builder = new ParameterLayoutBuilder();
        var (w, b) = builder.AddAffine("l", ParameterOwner.Shared, inputs, outputs, Initializer.Zeros);
        var store = Numerics.Store(builder.Build(), 6);
        var layer = new Layers.Linear(store, w, b) { Backend = backend };
        var relu = new float[batch * inputs];
        LayerCheck.Run($"relu+linear {backend}", (u, p) => Affine(u.Select(v => Math.Max(v, 0)).ToArray(), p[0], p[1], batch, inputs, outputs),
            Numerics.Random(batch * inputs, 2), store, new[] { w, b }, batch * outputs,
            (u, y) =>
            {
                Activations.Relu(u, relu);
                layer.Forward(relu, y, batch);
            },
            (u, dy, du) => layer.BackwardThroughRelu(relu, dy, du, batch));
    }

    [Theory]
    [InlineData(new[] { 0, 1, 2, 1, 0, 2, 2 }, false)]
    [InlineData(new[] { 0, 0, 1, 1, 1, 2, 2 }, true)]
    [InlineData(new[] { 1, 1, 1, 1, 1, 1, 1 }, true)]
    public void TaskLinearUsesEachSamplesTaskWeights(int[] tasks, bool identity)
    {
        const int inputs = 5, outputs = 4, taskCount = 3;
        var batch = tasks.Length;
        var builder = new ParameterLayoutBuilder();
        var weights = new ParameterSlice[taskCount];
        var biases = new ParameterSlice[taskCount];
        for (var t = 0; t < taskCount; t++) (weights[t], biases[t]) = builder.AddAffine($"h.task{t}", ParameterOwner.Task(t), inputs, outputs, Initializer.Zeros);
        var store = Numerics.Store(builder.Build(), 5);
        var layer = new TaskLinear(store, weights, biases, maxBatch: 16);
        var groups = new TaskBatch(taskCount, 16);
        groups.Assign(tasks, batch);
        Assert.Equal(identity, groups.IsIdentity);
        LayerCheck.Run("task linear", (x, p) =>
            {
                var y = new double[batch * outputs];
                for (var r = 0; r < batch; r++)
                {
                    var t = tasks[r];
                    Affine(x.Skip(r * inputs).Take(inputs).ToArray(), p[2 * t], p[2 * t + 1], 1, inputs, outputs).CopyTo(y, r * outputs);
                }
                return y;
            },
            Numerics.Random(batch * inputs, 2), store,
            Enumerable.Range(0, taskCount).SelectMany(t => new[] { weights[t], biases[t] }).ToArray(), batch * outputs,
            (x, y) => layer.Forward(x, groups, y), (x, dy, dx) => layer.Backward(x, dy, groups, dx));
    }

    public static TheoryData<ActivationKind> Kinds() => new(Enum.GetValues<ActivationKind>());

    private static double Reference(ActivationKind kind, double v) => kind switch
    {
        ActivationKind.None => v,
        ActivationKind.Relu => Math.Max(0, v),
        ActivationKind.Tanh => Math.Tanh(v),
        ActivationKind.Elu => v > 0 ? v : Math.Exp(v) - 1,
        ActivationKind.Gelu => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))),
        ActivationKind.LeakyRelu => v > 0 ? v : 0.01 * v,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ActivationLayer(ActivationKind kind)
    {
        const int length = 37;
        // Keep inputs away from ReLU's kink, where finite differences are meaningless.
        var x = Numerics.Random(length, 4, 2f).Select(v => MathF.Abs(v) < 0.05f ? v + 0.1f : v).ToArray();
        var layer = new Activation(kind);
        var y = new float[length];
        LayerCheck.Run($"activation {kind}", (input, _) => input.Select(v => Reference(kind, v)).ToArray(), x, null, Array.Empty<ParameterSlice>(), length,
            (input, output) => { layer.Forward(input, output, length); output.CopyTo(y, 0); },
            (input, dy, dx) => layer.Backward(input, y, dy, dx, length), forwardTolerance: 1e-5);
    }

    [Fact]
    public void LayerNormalisation()
    {
        const int batch = 4, width = 9;
        var builder = new ParameterLayoutBuilder();
        var gain = builder.Add("n.gain", ParameterOwner.Shared, 1, width, Initializer.Constant(1f));
        var shift = builder.Add("n.shift", ParameterOwner.Shared, 1, width, Initializer.Zeros);
        var store = Numerics.Store(builder.Build(), 7);
        var layer = new LayerNorm(store, gain, shift);
        LayerCheck.Run("layer norm", (x, p) =>
            {
                var y = new double[x.Length];
                for (var r = 0; r < batch; r++)
                {
                    var row = x.Skip(r * width).Take(width).ToArray();
                    var mean = row.Average();
                    var variance = row.Select(v => (v - mean) * (v - mean)).Average();
                    for (var i = 0; i < width; i++) y[r * width + i] = (row[i] - mean) / Math.Sqrt(variance + 1e-5) * p[0][i] + p[1][i];
                }
                return y;
            },
            Numerics.Random(batch * width, 8, 3f), store, new[] { gain, shift }, batch * width,
            (x, y) => layer.Forward(x, y, batch), (x, dy, dx) => layer.Backward(x, dy, dx, batch), forwardTolerance: 1e-4);
    }

    [Fact]
    public void EmbeddingAndOneHot()
    {
        const int tasks = 4, dim = 3;
        int[] ids = { 2, 0, 2, 3, 1 };
        var builder = new ParameterLayoutBuilder();
        var table = builder.Add("e.table", ParameterOwner.Shared, tasks, dim, Initializer.Normal(1f));
        var store = Numerics.Store(builder.Build(), 9);
        var embedding = new Embedding(store, table);
        var y = Numerics.Poisoned(ids.Length * dim);
        embedding.Forward(ids, y, ids.Length);
        for (var b = 0; b < ids.Length; b++)
        {
            Assert.Equal(store.ValuesOf(table).Slice(ids[b] * dim, dim).ToArray(), y.AsSpan(b * dim, dim).ToArray());
        }
        var dy = Numerics.Random(ids.Length * dim, 10);
        embedding.Backward(ids, dy, ids.Length);
        var expected = new double[tasks * dim];
        for (var b = 0; b < ids.Length; b++)
        {
            for (var i = 0; i < dim; i++) expected[ids[b] * dim + i] += dy[b * dim + i];
        }
        Numerics.Close(store.GradientsOf(table), expected, 1e-6, "embedding gradient");

        var oneHot = new OneHot(tasks);
        var hot = Numerics.Poisoned(ids.Length * tasks);
        oneHot.Forward(ids, hot, ids.Length);
        for (var b = 0; b < ids.Length; b++)
        {
            for (var t = 0; t < tasks; t++) Assert.Equal(t == ids[b] ? 1f : 0f, hot[b * tasks + t]);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => oneHot.Forward(new[] { 4 }, hot, 1));
    }

    [Fact]
    public void ConcatSplitProductSoftmaxAndStopGradient()
    {
        const int batch = 3;
        var concat = new Concat(2, 3);
        var a = Numerics.Random(batch * 2, 11);
        var b = Numerics.Random(batch * 3, 12);
        var y = Numerics.Poisoned(batch * 5);
        concat.Forward(0, a, y, batch);
        concat.Forward(1, b, y, batch);
        for (var r = 0; r < batch; r++)
        {
            Assert.Equal(a.AsSpan(r * 2, 2).ToArray(), y.AsSpan(r * 5, 2).ToArray());
            Assert.Equal(b.AsSpan(r * 3, 3).ToArray(), y.AsSpan(r * 5 + 2, 3).ToArray());
        }
        var db = Numerics.Poisoned(batch * 3);
        concat.Backward(1, y, db, batch);
        Assert.Equal(b, db);

        // Split is concat's inverse, forward and backward.
        var split = new Split(2, 3);
        var partA = Numerics.Poisoned(batch * 2);
        var partB = Numerics.Poisoned(batch * 3);
        split.Forward(0, y, partA, batch);
        split.Forward(1, y, partB, batch);
        Assert.Equal(a, partA);
        Assert.Equal(b, partB);
        var dSplit = Numerics.Poisoned(batch * 5);
        split.Backward(0, a, dSplit, batch);
        split.Backward(1, b, dSplit, batch);
        Assert.Equal(y, dSplit);

        const int n = 8;
        var p = Numerics.Random(n, 13);
        var q = Numerics.Random(n, 14);
        LayerCheck.Run("product", (x, _) => x.Select((v, i) => v * q[i]).ToArray(), p, null, Array.Empty<ParameterSlice>(), n,
            (x, output) => ElementwiseProduct.Forward(x, q, output, n),
            (x, dy, dx) => ElementwiseProduct.Backward(x, q, dy, dx, Span<float>.Empty, n));

        const int rows = 3, columns = 4;
        var soft = new float[rows * columns];
        LayerCheck.Run("row softmax", (x, _) =>
            {
                var result = new double[x.Length];
                for (var r = 0; r < rows; r++)
                {
                    var row = x.Skip(r * columns).Take(columns).ToArray();
                    var max = row.Max();
                    var sum = row.Sum(v => Math.Exp(v - max));
                    for (var c = 0; c < columns; c++) result[r * columns + c] = Math.Exp(row[c] - max) / sum;
                }
                return result;
            }, Numerics.Random(rows * columns, 15, 3f), null, Array.Empty<ParameterSlice>(), rows * columns,
            (x, output) => { RowSoftmax.Forward(x, output, rows, columns); output.CopyTo(soft, 0); },
            (x, dy, dx) => RowSoftmax.Backward(soft, dy, dx, rows, columns));

        var stopped = Numerics.Poisoned(4);
        StopGradient.Forward(a, stopped, 4);
        Assert.Equal(a.Take(4), stopped);
        StopGradient.Backward(stopped, 4);
        Assert.All(stopped, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void FilmModulatesAndBackPropagatesIntoTheConditioning()
    {
        const int batch = 3, width = 4, condition = 5;
        var builder = new ParameterLayoutBuilder();
        var (w, b) = builder.AddAffine("f", ParameterOwner.Shared, condition, 2 * width, Initializer.Zeros);
        var store = Numerics.Store(builder.Build(), 16);
        var film = new Film(store, w, b);
        var by = Numerics.Random(batch * condition, 17);
        var gammaBeta = new float[batch * 2 * width];
        var gammaBetaGradient = new float[batch * 2 * width];
        double[] Reference(double[] x, double[] byValues, double[][] p)
        {
            var gb = Affine(byValues, p[0], p[1], batch, condition, 2 * width);
            var y = new double[batch * width];
            for (var r = 0; r < batch; r++)
            {
                for (var i = 0; i < width; i++) y[r * width + i] = gb[r * 2 * width + i] * x[r * width + i] + gb[r * 2 * width + width + i];
            }
            return y;
        }
        var dBy = Numerics.Poisoned(batch * condition);
        LayerCheck.Run("film", (x, p) => Reference(x, Numerics.ToDouble(by), p),
            Numerics.Random(batch * width, 18), store, new[] { w, b }, batch * width,
            (x, y) => film.Forward(x, by, gammaBeta, y, batch),
            (x, dy, dx) => film.Backward(x, by, gammaBeta, dy, gammaBetaGradient, dx, dBy, batch));

        // The conditioning's gradient, checked separately by finite differences.
        var x0 = Numerics.Random(batch * width, 18);
        var upstream = Numerics.ToDouble(Numerics.Random(batch * width, 99));
        var parameters = new[] { Numerics.ToDouble(store.ValuesOf(w)), Numerics.ToDouble(store.ValuesOf(b)) };
        var numeric = Numerics.Gradient(c => Numerics.Dot(upstream, Reference(Numerics.ToDouble(x0), c, parameters)), Numerics.ToDouble(by));
        Numerics.Close(dBy, numeric, 2e-3, "film conditioning gradient");
    }

    [Theory]
    [InlineData(3, 3, 4)]
    [InlineData(4, 1, 5)]
    public void ModuleMixMixesModulesPerSample(int sources, int outputs, int width)
    {
        const int batch = 2;
        var mix = new ModuleMix(sources, outputs, width);
        var weights = Numerics.Random(batch * outputs * sources, 20);
        double[] Reference(double[] modules, double[] w)
        {
            var y = new double[batch * outputs * width];
            for (var b = 0; b < batch; b++)
            {
                for (var j = 0; j < outputs; j++)
                {
                    for (var k = 0; k < sources; k++)
                    {
                        for (var i = 0; i < width; i++)
                        {
                            y[(b * outputs + j) * width + i] += w[(b * outputs + j) * sources + k] * modules[(b * sources + k) * width + i];
                        }
                    }
                }
            }
            return y;
        }
        var modules = Numerics.Random(batch * sources * width, 21);
        var dWeights = Numerics.Poisoned(weights.Length);
        LayerCheck.Run("module mix", (x, _) => Reference(x, Numerics.ToDouble(weights)), modules, null, Array.Empty<ParameterSlice>(), batch * outputs * width,
            (x, y) => mix.Forward(weights, x, y, batch),
            (x, dy, dx) => mix.Backward(weights, x, dy, dWeights, dx, batch));
        var upstream = Numerics.ToDouble(Numerics.Random(batch * outputs * width, 99));
        var numeric = Numerics.Gradient(w => Numerics.Dot(upstream, Reference(Numerics.ToDouble(modules), w)), Numerics.ToDouble(weights));
        Numerics.Close(dWeights, numeric, 2e-3, "module mix weight gradient");
    }

    [Fact]
    public void WithoutGradientAccumulationLayersWriteTheSameInputGradientAndLeaveParameterGradientsAlone()
    {
        const int Batch = 5, In = 6, Out = 4;
        var builder = new ParameterLayoutBuilder();
        var (w, b) = builder.AddAffine("fc", ParameterOwner.Shared, In, Out, Initializer.XavierUniform(1f));
        var tw = new[] { builder.Add("t0.weight", ParameterOwner.Task(0), In, Out, Initializer.XavierUniform(1f)), builder.Add("t1.weight", ParameterOwner.Task(1), In, Out, Initializer.XavierUniform(1f)) };
        var tb = new[] { builder.Add("t0.bias", ParameterOwner.Task(0), 1, Out, Initializer.Zeros), builder.Add("t1.bias", ParameterOwner.Task(1), 1, Out, Initializer.Zeros) };
        var gain = builder.Add("norm.gain", ParameterOwner.Shared, 1, In, Initializer.Constant(1.5f));
        var shift = builder.Add("norm.shift", ParameterOwner.Shared, 1, In, Initializer.Zeros);
        var store = Numerics.Store(builder.Build(), 9);
        var linear = new Linear(store, w, b);
        var taskLinear = new TaskLinear(store, tw, tb, Batch);
        var norm = new LayerNorm(store, gain, shift);
        var tasks = new TaskBatch(2, Batch);
        tasks.Assign(new[] { 0, 1, 1, 0, 1 }, Batch);
        var x = Numerics.Random(Batch * In, 3, 1f);
        var dy = Numerics.Random(Batch * Out, 4, 1f);
        var dyNorm = Numerics.Random(Batch * In, 5, 1f);

        float[][] Run(bool accumulate)
        {
            store.ZeroGradients();
            store.AccumulatesGradients = accumulate;
            var dx = new float[Batch * In];
            var dxTask = new float[Batch * In];
            var dxNorm = new float[Batch * In];
            linear.Backward(x, dy, dx, Batch);
            taskLinear.Backward(x, dy, tasks, dxTask);
            norm.Backward(x, dyNorm, dxNorm, Batch);
            store.AccumulatesGradients = true;
            return new[] { dx, dxTask, dxNorm, (float[])store.Gradients.Clone() };
        }

        var full = Run(accumulate: true);
        var inputOnly = Run(accumulate: false);

        for (var i = 0; i < 3; i++) Assert.Equal(full[i], inputOnly[i]);
        Assert.Contains(full[3], g => g != 0f);
        Assert.All(inputOnly[3], g => Assert.Equal(0f, g));
    }
}
