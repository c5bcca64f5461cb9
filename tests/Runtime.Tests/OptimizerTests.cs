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

public class OptimizerTests
{
    private static (ParameterStore Store, ParameterSlice A, ParameterSlice B, ParameterSlice C) ThreeSlices()
    {
        var builder = new ParameterLayoutBuilder();
        var a = builder.Add("a", ParameterOwner.Shared, 3, 7, Initializer.Zeros);
        var b = builder.Add("b", ParameterOwner.Task(0), 1, 5, Initializer.Zeros);
        var c = builder.Add("c", ParameterOwner.Shared, 2, 9, Initializer.Zeros);
        return (Numerics.Store(builder.Build(), 70), a, b, c);
    }

    [Fact]
    public void AdamMatchesAFloat64ReferenceWithFrozenSlicesScalesDecayAndClipping()
    {
        var (store, a, b, c) = ThreeSlices();
        store.SetFrozen(b, true);
        store.SetLearningRateScale(c, 0.5f);
        var options = new AdamOptions(LearningRate: 1e-2f, WeightDecay: 0.1f, MaxGradientNorm: 1.5f);
        var adam = new Adam(store, options);
        var frozenBefore = store.ValuesOf(b).ToArray();

        var p = Numerics.ToDouble(store.Values);
        var m = new double[p.Length];
        var v = new double[p.Length];
        for (var step = 1; step <= 6; step++)
        {
            var gradient = Numerics.Random(store.Values.Length, 100 + step, 2f);
            // Padding between slices carries no gradient.
            var mask = new bool[p.Length];
            foreach (var slice in store.Layout.Slices) for (var i = slice.Offset; i < slice.End; i++) mask[i] = true;
            for (var i = 0; i < gradient.Length; i++) if (!mask[i]) gradient[i] = 0;
            gradient.CopyTo(store.Gradients, 0);
            Assert.True(adam.Step());

            // Reference: norm over trainable slices, clip, AdamW update.
            var trainable = new[] { a, c };
            var norm = Math.Sqrt(trainable.Sum(s => Enumerable.Range(s.Offset, s.Length).Sum(i => (double)gradient[i] * gradient[i])));
            var clip = norm > 1.5 ? 1.5 / (norm + 1e-6) : 1.0;
            foreach (var slice in trainable)
            {
                var lr = 1e-2 * (slice == c ? 0.5 : 1.0);
                for (var i = slice.Offset; i < slice.End; i++)
                {
                    var g = gradient[i] * clip;
                    m[i] = 0.9 * m[i] + 0.1 * g;
                    v[i] = 0.999 * v[i] + 0.001 * g * g;
                    var mHat = m[i] / (1 - Math.Pow(0.9, step));
                    var vHat = v[i] / (1 - Math.Pow(0.999, step));
                    p[i] = p[i] * (1 - lr * 0.1) - lr * mHat / (Math.Sqrt(vHat) + 1e-8);
                }
            }
        }
        Assert.Equal(6, adam.Steps);
        Numerics.Close(store.ValuesOf(a), p.Skip(a.Offset).Take(a.Length).ToArray(), 1e-5, "slice a");
        Numerics.Close(store.ValuesOf(c), p.Skip(c.Offset).Take(c.Length).ToArray(), 1e-5, "slice c");
        Assert.Equal(frozenBefore, store.ValuesOf(b).ToArray());
    }

    [Fact]
    public void NonFiniteGradientsSkipTheStepAndAreCounted()
    {
        var (store, a, _, _) = ThreeSlices();
        var adam = new Adam(store, new AdamOptions());
        var before = store.Values.ToArray();
        store.GradientsOf(a)[3] = float.NaN;
        Assert.False(adam.Step());
        store.GradientsOf(a)[3] = float.PositiveInfinity;
        Assert.False(adam.Step());
        Assert.Equal(2, adam.SkippedSteps);
        Assert.Equal(0, adam.Steps);
        Assert.Equal(before, store.Values);
        Assert.True(double.IsNaN(adam.LastGradientNorm) || double.IsInfinity(adam.LastGradientNorm));

        var sgd = new Sgd(store, 0.1f, 0.9f);
        Assert.False(sgd.Step());
        Assert.Equal(1, sgd.SkippedSteps);
        Assert.Equal(before, store.Values);
    }

    [Fact]
    public void SgdWithMomentumMatchesTheDefinition()
    {
        var (store, a, b, c) = ThreeSlices();
        store.SetFrozen(c, true);
        var sgd = new Sgd(store, 0.1f, 0.9f);
        var p = Numerics.ToDouble(store.Values);
        var velocity = new double[p.Length];
        for (var step = 0; step < 4; step++)
        {
            var gradient = Numerics.Random(store.Values.Length, 200 + step);
            gradient.CopyTo(store.Gradients, 0);
            Assert.True(sgd.Step());
            foreach (var slice in new[] { a, b })
            {
                for (var i = slice.Offset; i < slice.End; i++)
                {
                    velocity[i] = 0.9 * velocity[i] + gradient[i];
                    p[i] -= 0.1 * velocity[i];
                }
            }
        }
        Numerics.Close(store.ValuesOf(a), p.Skip(a.Offset).Take(a.Length).ToArray(), 1e-5, "sgd a");
        Numerics.Close(store.ValuesOf(b), p.Skip(b.Offset).Take(b.Length).ToArray(), 1e-5, "sgd b");
    }

    [Fact]
    public void PolyakBlendsWholeStoresOrChosenSlices()
    {
        var (online, a, b, _) = ThreeSlices();
        var target = new ParameterStore(online.Layout);
        Polyak.Update(target, online, 0.25f, new[] { a });
        for (var i = 0; i < a.Length; i++) Assert.Equal(0.25f * online.ValuesOf(a)[i], target.ValuesOf(a)[i], 6);
        Assert.All(target.ValuesOf(b).ToArray(), v => Assert.Equal(0f, v));
        Polyak.Update(target, online, 1f);
        Assert.Equal(online.Values, target.Values);
        Assert.Throws<ArgumentOutOfRangeException>(() => Polyak.Update(target, online, 1.5f));
    }

    [Fact]
    public void OptionsOutsideTheirRangeNameTheArgument()
    {
        var (store, _, _, _) = ThreeSlices();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(store, new AdamOptions(LearningRate: 0f)));
        Assert.Equal("LearningRate", error.ParamName);
        Assert.Equal("Beta2", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(store, new AdamOptions(Beta2: 1f))).ParamName);
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(store, 0.1f, 1f)).ParamName);
    }

    /// <summary>Trains a small MLP for a few Adam steps with a given thread count; returns the parameters.</summary>
    internal static float[] Train(int threads, int steps, GemmBackend backend)
    {
        using var accelerator = new CpuAccelerator(threads, minimumGrain: 1);
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "mlp", 12).Mlp(new[] { 64, 64 }).Linear(3);
        var store = new ParameterStore(builder.Build());
        store.Initialize(seed: 1234);
        var network = chain.Bind(store, maxBatch: 96);
        network.UseGemm(backend, accelerator);
        var adam = new Adam(store, new AdamOptions(LearningRate: 1e-3f, MaxGradientNorm: 10f), accelerator);
        var gradient = new float[96 * 3];
        for (var step = 0; step < steps; step++)
        {
            var x = new float[96 * 12];
            var target = new float[96 * 3];
            PhiloxFill.Normal(x, 5, (ulong)step, 0, accelerator: accelerator);
            PhiloxFill.Normal(target, 6, (ulong)step, 0, accelerator: accelerator);
            store.ZeroGradients();
            var y = network.Forward(x, 96);
            Losses.Loss.MeanSquaredError(y, target, gradient, y.Length);
            network.Backward(gradient);
            adam.Step();
        }
        return store.Values.ToArray();
    }

    [Fact]
    public void SameSeedGivesIdenticalParametersWithOneAndTwoThreads()
    {
        var one = Train(1, 20, GemmBackend.Managed);
        var two = Train(2, 20, GemmBackend.Managed);
        Assert.Equal(one, two);
        Assert.NotEqual(Train(1, 0, GemmBackend.Managed), one);
    }

    [Fact]
    public void AnAdamOverSomeSlicesUpdatesAndClipsOnlyThoseAsTheWholeStoreOptimizerDoesOnThem()
    {
        var (store, a, b, c) = ThreeSlices();
        var (reference, ra, rb, rc) = ThreeSlices();
        reference.CopyValuesFrom(store);
        var options = new AdamOptions(LearningRate: 1e-2f, MaxGradientNorm: 0.5f);
        var partial = new Adam(store, options, slices: new[] { a, c });
        var whole = new Adam(reference, options);
        reference.SetFrozen(rb, true);
        var untouched = store.ValuesOf(b).ToArray();

        for (var step = 1; step <= 4; step++)
        {
            var gradient = Numerics.Random(store.Values.Length, 300 + step, 3f);
            gradient.CopyTo(store.Gradients, 0);
            gradient.CopyTo(reference.Gradients, 0);
            // The reference sees no gradient on b, so its norm (and clip) is over a and c only.
            reference.GradientsOf(rb).Clear();
            Assert.True(partial.Step());
            Assert.True(whole.Step());
        }

        Assert.Equal(untouched, store.ValuesOf(b).ToArray());
        Assert.Equal(reference.ValuesOf(ra).ToArray(), store.ValuesOf(a).ToArray());
        Assert.Equal(reference.ValuesOf(rc).ToArray(), store.ValuesOf(c).ToArray());
        Assert.Equal(whole.LastGradientNorm, partial.LastGradientNorm);
        Assert.Throws<InvalidOperationException>(() => partial.BeginFusedStep());
    }

    [Fact]
    public void SlicesUnderSelectsWholePrefixesInBufferOrder()
    {
        var builder = new ParameterLayoutBuilder();
        builder.AddAffine("critic.h.fc0", ParameterOwner.Shared, 3, 4, Initializer.Zeros);
        builder.AddAffine("critic.hh", ParameterOwner.Shared, 4, 1, Initializer.Zeros);
        builder.AddAffine("encoder.fc0", ParameterOwner.Shared, 2, 3, Initializer.Zeros);
        var layout = builder.Build();

        var names = layout.SlicesUnder("encoder", "critic.h").Select(s => s.Name).ToArray();

        Assert.Equal(new[] { "critic.h.fc0.weight", "critic.h.fc0.bias", "encoder.fc0.weight", "encoder.fc0.bias" }, names);
        Assert.Empty(layout.SlicesUnder("critic.h.fc0.weight"));
    }
}
