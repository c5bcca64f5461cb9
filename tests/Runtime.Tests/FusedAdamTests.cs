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

/// <summary>The fused backward + Adam step against the unfused sequence it replaces.</summary>
public class FusedAdamTests
{
    private sealed class Rig : IDisposable
    {
        public readonly ParameterStore Store;
        public readonly Sequential Network;
        public readonly Adam Adam;
        public readonly CpuAccelerator Accelerator;
        public readonly int Inputs, Outputs;

        public Rig(int[] widths, int maxBatch, AdamOptions options, int threads = 1, GemmBackend backend = GemmBackend.Auto,
            Action<ParameterStore>? configure = null, bool extraSlice = false, bool layerNorm = false)
        {
            var builder = new ParameterLayoutBuilder();
            var chain = new SequentialBuilder(builder, "n", widths[0]);
            for (var i = 1; i < widths.Length - 1; i++)
            {
                chain.Linear(widths[i]);
                if (layerNorm && i == 1) chain.LayerNorm();
                chain.Activation(ActivationKind.Relu);
            }
            chain.Linear(widths[^1]);
            if (extraSlice) builder.Add("other.weight", ParameterOwner.Shared, 3, 5, Initializer.Constant(0.5f));
            Store = new ParameterStore(builder.Build());
            Store.Initialize(11);
            foreach (var slice in Store.Layout.Slices.Where(s => s.Name.EndsWith("bias")))
            {
                Numerics.Random(slice.Length, slice.Index, 0.1f).CopyTo(Store.ValuesOf(slice));
            }
            configure?.Invoke(Store);
            Accelerator = new CpuAccelerator(threads);
            Network = chain.Bind(Store, maxBatch);
            Network.UseGemm(backend, Accelerator);
            Adam = new Adam(Store, options, Accelerator);
            Inputs = widths[0];
            Outputs = widths[^1];
        }

        /// <summary>One step on fresh inputs (seeded by <paramref name="step"/>); returns ∂L/∂input.</summary>
        public float[] Train(int step, int batch, bool fused)
        {
            var x = Numerics.Random(batch * Inputs, 1000 + step);
            var target = Numerics.Random(batch * Outputs, 2000 + step);
            var gradient = new float[batch * Outputs];
            var inputGradient = new float[batch * Inputs];
            if (!fused) Store.ZeroGradients();
            var y = Network.Forward(x, batch);
            Losses.Loss.MeanSquaredError(y, target, gradient, batch * Outputs);
            if (fused) Network.BackwardAndStep(gradient, Adam, inputGradient);
            else
            {
                Network.Backward(gradient, inputGradient);
                Adam.Step();
            }
            return inputGradient;
        }

        public void Dispose() => Accelerator.Dispose();
    }

    private static readonly int[] Small = { 13, 40, 37, 5 };

    private static AdamOptions Options => new(LearningRate: 3e-3f, WeightDecay: 0.05f);

    private static void ScaleAndFreeze(ParameterStore store)
    {
        store.SetLearningRateScale(store.Layout["n.fc0.weight"], 0.5f);
        store.SetFrozen(store.Layout["n.fc2.bias"], true);
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}[{i}]: unfused {expected[i]:R}, fused {actual[i]:R}");
            }
        }
    }

    private static void AssertSameState(Rig unfused, Rig fused)
    {
        AssertSameBits(unfused.Store.Values, fused.Store.Values, "values");
        AssertSameBits(unfused.Adam.FirstMoment, fused.Adam.FirstMoment, "m");
        AssertSameBits(unfused.Adam.SecondMoment, fused.Adam.SecondMoment, "v");
        Assert.Equal(unfused.Adam.Steps, fused.Adam.Steps);
        Assert.Equal(unfused.Adam.SkippedSteps, fused.Adam.SkippedSteps);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(3, 1)]
    [InlineData(4, 1)]
    [InlineData(1, 2)]
    [InlineData(4, 2)]
    [InlineData(6, 1)] // beyond the fused batch limit: the unfused fallback
    [InlineData(33, 2)]
    public void FusedTrainingIsBitIdenticalToUnfusedOverManySteps(int batch, int threads)
    {
        using var unfused = new Rig(Small, 40, Options, threads, configure: ScaleAndFreeze);
        using var fused = new Rig(Small, 40, Options, threads, configure: ScaleAndFreeze);
        var frozen = fused.Store.ValuesOf(fused.Store.Layout["n.fc2.bias"]).ToArray();
        for (var step = 0; step < 25; step++)
        {
            var expectedDx = unfused.Train(step, batch, fused: false);
            var actualDx = fused.Train(step, batch, fused: true);
            AssertSameBits(expectedDx, actualDx, $"dx at step {step}");
        }
        AssertSameState(unfused, fused);
        AssertSameBits(frozen, fused.Store.ValuesOf(fused.Store.Layout["n.fc2.bias"]).ToArray(), "frozen bias");
        Assert.All(fused.Adam.FirstMoment.AsSpan(fused.Store.Layout["n.fc2.bias"].Offset, 5).ToArray(), m => Assert.Equal(0f, m));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(33)]
    public void FusedTrainingIsBitIdenticalUnderBfloat16Products(int batch)
    {
        // Fusing is decided by Gemm.TakesDirectPath; under Bfloat16 the direct path's products stay
        // float32, so the fused step must still reproduce the unfused one bit for bit.
        if (Gemm.Bfloat16Unavailable is not null) return; // nothing to fuse with: the backend refuses (Bf16GemmTests)
        using var unfused = new Rig(Small, 40, Options, 1, GemmBackend.Bfloat16);
        using var fused = new Rig(Small, 40, Options, 1, GemmBackend.Bfloat16);
        for (var step = 0; step < 10; step++)
        {
            AssertSameBits(unfused.Train(step, batch, false), fused.Train(step, batch, true), $"dx at step {step}");
        }
        AssertSameState(unfused, fused);
    }

    [Fact]
    public void FusedTrainingIsBitIdenticalWithLayerNormAndForcedManagedGemm()
    {
        using var unfused = new Rig(Small, 4, Options, 1, GemmBackend.Managed, layerNorm: true);
        using var fused = new Rig(Small, 4, Options, 1, GemmBackend.Managed, layerNorm: true);
        for (var step = 0; step < 10; step++)
        {
            AssertSameBits(unfused.Train(step, 2, false), fused.Train(step, 2, true), "dx");
        }
        AssertSameState(unfused, fused);
    }

    [Fact]
    public void OpenBlasLayersRunTheUnfusedStep()
    {
        if (!Numerics.OpenBlasAvailable) return;
        using var unfused = new Rig(Small, 4, Options, 1, GemmBackend.OpenBlas, ScaleAndFreeze);
        using var fused = new Rig(Small, 4, Options, 1, GemmBackend.OpenBlas, ScaleAndFreeze);
        for (var step = 0; step < 6; step++)
        {
            AssertSameBits(unfused.Train(step, 1 + step % 3, false), fused.Train(step, 1 + step % 3, true), "dx");
        }
        AssertSameState(unfused, fused);
        Assert.False(double.IsNaN(fused.Adam.LastGradientNorm)); // Step() ran: it records the norm
    }

    [Fact]
    public void FusedStepsGiveTheSameBitsOnOneAndTwoThreads()
    {
        // 200 × 200 weights are split over threads in the fused sweep.
        int[] widths = { 13, 200, 200, 5 };
        using var one = new Rig(widths, 4, Options, threads: 1);
        using var two = new Rig(widths, 4, Options, threads: 2);
        using var unfused = new Rig(widths, 4, Options, threads: 2);
        for (var step = 0; step < 8; step++)
        {
            var batch = 1 + step % 4;
            AssertSameBits(one.Train(step, batch, true), two.Train(step, batch, true), "dx");
            unfused.Train(step, batch, false);
        }
        AssertSameState(one, two);
        AssertSameState(unfused, two);
    }

    [Fact]
    public void FusedLayerUpdateMatchesAFloat64Adam()
    {
        // One linear layer, batch 2, three steps, against Adam written out in float64.
        const int inputs = 3, outputs = 20, batch = 2;
        var builder = new ParameterLayoutBuilder();
        var (w, b) = builder.AddAffine("l", ParameterOwner.Shared, inputs, outputs, Initializer.KaimingUniform(1f));
        var store = new ParameterStore(builder.Build());
        store.Initialize(5);
        var options = new AdamOptions(LearningRate: 1e-2f, WeightDecay: 0.1f);
        var adam = new Adam(store, options);
        var layer = new Linear(store, w, b);
        var p = Numerics.ToDouble(store.Values);
        var m = new double[p.Length];
        var v = new double[p.Length];
        for (var t = 1; t <= 3; t++)
        {
            var x = Numerics.Random(batch * inputs, 10 + t);
            var dy = Numerics.Random(batch * outputs, 20 + t);
            var g = new double[p.Length];
            for (var r = 0; r < batch; r++)
            {
                for (var o = 0; o < outputs; o++)
                {
                    for (var i = 0; i < inputs; i++) g[w.Offset + i * outputs + o] += (double)x[r * inputs + i] * dy[r * outputs + o];
                    g[b.Offset + o] += dy[r * outputs + o];
                }
            }
            var step = adam.BeginFusedStep();
            layer.BackwardAndUpdate(x, dy, default, batch, step);
            adam.EndFusedStep();
            for (var k = 0; k < p.Length; k++)
            {
                m[k] = 0.9 * m[k] + 0.1 * g[k];
                v[k] = 0.999 * v[k] + 0.001 * g[k] * g[k];
                var mHat = m[k] / (1 - Math.Pow(0.9, t));
                var vHat = v[k] / (1 - Math.Pow(0.999, t));
                p[k] = p[k] * (1 - 1e-2 * 0.1) - 1e-2 * mHat / (Math.Sqrt(vHat) + 1e-8);
            }
        }
        Numerics.Close(store.Values, p, 1e-5, "parameters after three fused steps");
    }

    [Fact]
    public void ClippingFallsBackToTheUnfusedStepAndCannotBeFusedByHand()
    {
        var options = Options with { MaxGradientNorm = 0.05f };
        using var unfused = new Rig(Small, 4, options);
        using var fused = new Rig(Small, 4, options);
        for (var step = 0; step < 5; step++)
        {
            unfused.Train(step, 1, false);
            fused.Train(step, 1, true);
        }
        AssertSameState(unfused, fused);
        Assert.True(fused.Adam.LastGradientNorm > 0.05);
        var error = Assert.Throws<InvalidOperationException>(() => fused.Adam.BeginFusedStep());
        Assert.Contains("global gradient norm", error.Message);
    }

    [Fact]
    public void NonFiniteLossGradientSkipsTheWholeStep()
    {
        using var rig = new Rig(Small, 4, Options);
        rig.Train(0, 1, true);
        var before = rig.Store.Values.ToArray();
        var m = rig.Adam.FirstMoment.ToArray();
        rig.Network.Forward(Numerics.Random(13, 3), 1);
        var gradient = new float[5];
        gradient[2] = float.NaN;
        Assert.False(rig.Network.BackwardAndStep(gradient, rig.Adam));
        Assert.Equal(1, rig.Adam.SkippedSteps);
        Assert.Equal(1, rig.Adam.Steps);
        AssertSameBits(before, rig.Store.Values, "values after a skipped step");
        AssertSameBits(m, rig.Adam.FirstMoment, "m after a skipped step");
        var input = Numerics.Random(13, 3);
        input[4] = float.PositiveInfinity;
        rig.Network.Forward(input, 1);
        Assert.False(rig.Network.BackwardAndStep(new float[5], rig.Adam));
        Assert.Equal(2, rig.Adam.SkippedSteps);
    }

    [Fact]
    public void TrainableSlicesOutsideTheChainForceTheUnfusedStep()
    {
        using var unfused = new Rig(Small, 4, Options, extraSlice: true);
        using var fused = new Rig(Small, 4, Options, extraSlice: true);
        for (var step = 0; step < 4; step++)
        {
            unfused.Train(step, 1, false);
            fused.Train(step, 1, true);
        }
        AssertSameState(unfused, fused);
        // By hand, a step that misses the other slice is refused when it ends.
        fused.Network.Forward(Numerics.Random(13, 1), 1);
        var step1 = fused.Adam.BeginFusedStep();
        fused.Network.BackwardAndUpdate(new float[5], step1);
        var error = Assert.Throws<InvalidOperationException>(() => fused.Adam.EndFusedStep());
        Assert.Contains("other.weight", error.Message);
    }

    [Fact]
    public void AdamFlushesSubnormalMoments()
    {
        var builder = new ParameterLayoutBuilder();
        var slice = builder.Add("p", ParameterOwner.Shared, 1, 16, Initializer.Constant(1f));
        var store = new ParameterStore(builder.Build());
        store.Initialize(1);
        var adam = new Adam(store, new AdamOptions());
        adam.FirstMoment.AsSpan(0, 16).Fill(1.25e-38f); // 0.9 × this is subnormal
        adam.SecondMoment.AsSpan(0, 16).Fill(1e-38f);
        adam.Step();
        Assert.All(adam.FirstMoment.AsSpan(0, 16).ToArray(), m => Assert.Equal(0f, m));
        Assert.All(adam.SecondMoment.AsSpan(0, 16).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(store.ValuesOf(slice).ToArray(), p => Assert.Equal(1f, p));
    }
}

[Collection("Allocation")]
public class FusedAllocationTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 1)]
    [InlineData(1, 2)]
    [InlineData(32, 2)]
    [InlineData(1280, 1)]
    public void FusedTrainingStepAllocatesNothingAfterWarmUp(int batch, int threads)
    {
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "n", 49).Mlp(new[] { 400, 400, 400 }).Linear(8);
        var store = new ParameterStore(builder.Build());
        store.Initialize(1);
        using var accelerator = new CpuAccelerator(threads);
        var network = chain.Bind(store, batch);
        network.UseGemm(GemmBackend.Auto, accelerator);
        var adam = new Adam(store, new AdamOptions(), accelerator);
        var x = Numerics.Random(batch * 49, 1);
        var target = Numerics.Random(batch * 8, 2);
        var gradient = new float[batch * 8];
        void Step()
        {
            var y = network.Forward(x, batch);
            Losses.Loss.MeanSquaredError(y, target, gradient, batch * 8);
            Assert.True(network.BackwardAndStep(gradient, adam));
        }
        for (var i = 0; i < 5; i++) Step();
        long allocated = 0;
        for (var window = 0; window < 3; window++)
        {
            // One thread: this thread's counter; two: the whole process (the worker is a managed thread).
            long Allocated() => threads == 1 ? GC.GetAllocatedBytesForCurrentThread() : GC.GetTotalAllocatedBytes(precise: true);
            var before = Allocated();
            for (var i = 0; i < 20; i++) Step();
            allocated = Allocated() - before;
            if (allocated == 0) return;
        }
        Assert.Fail($"{allocated} bytes allocated in 20 fused steps at batch {batch}, {threads} threads, in every window");
    }
}
