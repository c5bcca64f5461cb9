using System;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.MultiTask;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Runtime.Tests.MultiTask;

public sealed class TaskGradientsTests
{
    private const int Tasks = 3;

    /// <summary>
    /// Shared slices split by task heads (so the shared part is not one contiguous run), a module
    /// slice (treated as shared), a progressive column and odd sizes that leave alignment padding.
    /// </summary>
    private static ParameterStore Store(out ParameterLayout layout)
    {
        var builder = new ParameterLayoutBuilder();
        builder.Add("encoder.weight", ParameterOwner.Shared, 7, 5, Initializer.Zeros);
        builder.Add("encoder.bias", ParameterOwner.Shared, 1, 5, Initializer.Zeros);
        builder.Add("head0.weight", ParameterOwner.Task(0), 5, 3, Initializer.Zeros);
        builder.Add("module.weight", ParameterOwner.Module(0, 1), 3, 3, Initializer.Zeros);
        builder.Add("head1.weight", ParameterOwner.Task(1), 5, 3, Initializer.Zeros);
        builder.Add("column2.weight", ParameterOwner.Column(2), 2, 9, Initializer.Zeros);
        builder.Add("trunk.weight", ParameterOwner.Shared, 11, 13, Initializer.Zeros);
        layout = builder.Build();
        return new ParameterStore(layout);
    }

    /// <summary>Simulates task t's backward pass: every slice gets values (other tasks' heads too, which must be discarded).</summary>
    private static void FakeBackward(ParameterStore store, int task, int step)
    {
        var random = new Random(task * 1000 + step);
        foreach (ParameterSlice slice in store.Layout.Slices)
        {
            Span<float> gradient = store.GradientsOf(slice);
            for (int i = 0; i < gradient.Length; i++)
            {
                gradient[i] += (float)(random.NextDouble() * 2 - 1) * (task + 1);
            }
        }
    }

    /// <summary>Packs the shared slices of each task's fake gradient the way the kernels expect.</summary>
    private static float[] PackedShared(ParameterStore store, int step, out float[][] full)
    {
        var reference = new ParameterStore(store.Layout);
        full = new float[Tasks][];
        int shared = 0;
        foreach (ParameterSlice slice in store.Layout.Slices)
        {
            shared += slice.Owner.IsTaskSpecific ? 0 : slice.Length;
        }

        var packed = new float[Tasks * shared];
        for (int t = 0; t < Tasks; t++)
        {
            reference.ZeroGradients();
            FakeBackward(reference, t, step);
            full[t] = (float[])reference.Gradients.Clone();
            int offset = t * shared;
            foreach (ParameterSlice slice in store.Layout.Slices)
            {
                if (!slice.Owner.IsTaskSpecific)
                {
                    reference.GradientsOf(slice).CopyTo(packed.AsSpan(offset));
                    offset += slice.Length;
                }
            }
        }

        return packed;
    }

    private static void RunStep(TaskGradients gradients, int step)
    {
        gradients.BeginStep();
        for (int t = 0; t < Tasks; t++)
        {
            FakeBackward(gradients.Store, t, step);
            gradients.Capture(t);
        }

        // Poison every slice: an Apply that forgets any element leaves a NaN behind.
        foreach (ParameterSlice slice in gradients.Store.Layout.Slices)
        {
            gradients.Store.GradientsOf(slice).Fill(float.NaN);
        }
    }

    /// <summary>Shared slices hold the kernel's output, task-specific slices their owner's own gradient, padding zero.</summary>
    private static void AssertStoreHolds(ParameterStore store, float[] combined, float[][] full)
    {
        int offset = 0;
        var covered = new bool[store.Gradients.Length];
        foreach (ParameterSlice slice in store.Layout.Slices)
        {
            Span<float> actual = store.GradientsOf(slice);
            if (slice.Owner.IsTaskSpecific)
            {
                Assert.True(actual.SequenceEqual(full[slice.Owner.Index].AsSpan(slice.Offset, slice.Length)), $"{slice.Name} must keep task {slice.Owner.Index}'s gradient");
            }
            else
            {
                Assert.True(actual.SequenceEqual(combined.AsSpan(offset, slice.Length)), $"{slice.Name} must hold the combined gradient");
                offset += slice.Length;
            }

            covered.AsSpan(slice.Offset, slice.Length).Fill(true);
        }

        for (int i = 0; i < covered.Length; i++)
        {
            Assert.True(covered[i] || store.Gradients[i] == 0f, $"padding at {i} must stay zero");
        }
    }

    [Fact]
    public void PcGradCaGradAndPlainReductionsWriteSharedSlicesAndKeepTaskSlices()
    {
        ParameterStore store = Store(out _);
        var gradients = new TaskGradients(store, Tasks, CpuAccelerator.Sequential);
        Assert.Equal(35 + 5 + 9 + 143, gradients.SharedParameterCount);
        int p = gradients.SharedParameterCount;
        int[] orders = [2, 1, 0, 2, 1, 0];

        for (int step = 0; step < 4; step++)
        {
            float[] packed = PackedShared(store, step, out float[][] full);
            float[] expected = new float[p];
            RunStep(gradients, step);
            Assert.True(gradients.SharedGradient(1).SequenceEqual(packed.AsSpan(p, p)));
            switch (step)
            {
                case 0:
                    gradients.ApplyPcGrad(GradientReduction.Sum, orders);
                    PcGrad.Project(packed, Tasks, p, orders, GradientReduction.Sum, expected, accelerator: CpuAccelerator.Sequential);
                    break;
                case 1:
                    gradients.ApplyPcGrad(GradientReduction.Mean, 5, 6, 7);
                    PcGrad.Project(packed, Tasks, p, 5, 6, 7, GradientReduction.Mean, expected, accelerator: CpuAccelerator.Sequential);
                    break;
                case 2:
                    gradients.ApplyCaGrad(0.4, GradientReduction.Mean);
                    CaGrad.Combine(packed, Tasks, p, 0.4, GradientReduction.Mean, expected, accelerator: CpuAccelerator.Sequential);
                    break;
                default:
                    gradients.ApplyReduction(GradientReduction.Sum);
                    WeightedGradientSum.Combine(packed, Tasks, p, [1.0, 1.0, 1.0], expected, CpuAccelerator.Sequential);
                    break;
            }

            AssertStoreHolds(store, expected, full);
        }
    }

    [Fact]
    public void ProjectionMatchesTheDefinitionOnTheSharedSlices()
    {
        ParameterStore store = Store(out _);
        var gradients = new TaskGradients(store, Tasks);
        int p = gradients.SharedParameterCount;
        float[] packed = PackedShared(store, 9, out _);
        RunStep(gradients, 9);
        gradients.ApplyPcGrad(GradientReduction.Sum, [1, 2, 2, 0, 0, 1]);

        // Direct float64 PCGrad over the packed shared parts; task i visits i + 1, then i + 2 (mod 3).
        var result = new double[p];
        for (int i = 0; i < Tasks; i++)
        {
            var running = new double[p];
            for (int e = 0; e < p; e++)
            {
                running[e] = packed[i * p + e];
            }

            foreach (int j in new[] { (i + 1) % Tasks, (i + 2) % Tasks })
            {
                double dot = 0, norm = 0;
                for (int e = 0; e < p; e++)
                {
                    dot += running[e] * packed[j * p + e];
                    norm += (double)packed[j * p + e] * packed[j * p + e];
                }

                if (dot < 0)
                {
                    for (int e = 0; e < p; e++)
                    {
                        running[e] -= dot / norm * packed[j * p + e];
                    }
                }
            }

            for (int e = 0; e < p; e++)
            {
                result[e] += running[e];
            }
        }

        int offset = 0;
        foreach (ParameterSlice slice in store.Layout.Slices)
        {
            if (slice.Owner.IsTaskSpecific)
            {
                continue;
            }

            Span<float> actual = store.GradientsOf(slice);
            for (int e = 0; e < slice.Length; e++)
            {
                Assert.Equal(result[offset + e], actual[e], 1e-4 * (1 + Math.Abs(result[offset + e])));
            }

            offset += slice.Length;
        }
    }

    [Fact]
    public void SharedGradientOfReturnsOneSlicesCapturedGradient()
    {
        ParameterStore store = Store(out ParameterLayout layout);
        var gradients = new TaskGradients(store, Tasks);
        var reference = new ParameterStore(layout);
        FakeBackward(reference, 2, 0);
        RunStep(gradients, 0);
        ParameterSlice trunk = layout["trunk.weight"];
        Assert.True(gradients.SharedGradientOf(2, trunk).SequenceEqual(reference.GradientsOf(trunk)));
        Assert.Contains("belongs to task 0", Assert.Throws<ArgumentException>(() => gradients.SharedGradientOf(0, layout["head0.weight"])).Message);
        ParameterSlice foreign = Store(out _).Layout["trunk.weight"];
        Assert.Contains("not part of this store's layout", Assert.Throws<ArgumentException>(() => gradients.SharedGradientOf(0, foreign)).Message);
    }

    [Fact]
    public void MisuseIsReported()
    {
        ParameterStore store = Store(out _);
        Assert.Equal("taskCount", Assert.Throws<ArgumentOutOfRangeException>(() => new TaskGradients(store, 0)).ParamName);
        ArgumentException tooFew = Assert.Throws<ArgumentException>(() => new TaskGradients(store, 2));
        Assert.Equal("store", tooFew.ParamName);
        Assert.Contains("'column2.weight' belongs to column 2, outside the 2 tasks [0, 1]", tooFew.Message);

        var gradients = new TaskGradients(store, Tasks);
        Assert.Equal("task", Assert.Throws<ArgumentOutOfRangeException>(() => gradients.Capture(3)).ParamName);
        gradients.BeginStep();
        gradients.Capture(0);
        gradients.Capture(2);
        Assert.Contains("task 1 has no captured gradient", Assert.Throws<InvalidOperationException>(() => gradients.ApplyReduction(GradientReduction.Mean)).Message);
        gradients.Capture(1);
        gradients.ApplyReduction(GradientReduction.Mean);
        Assert.Throws<InvalidOperationException>(() => gradients.ApplyCaGrad(0.5, GradientReduction.Mean)); // captures are per step
        RunStep(gradients, 1);
        Assert.Equal("c", Assert.Throws<ArgumentOutOfRangeException>(() => gradients.ApplyCaGrad(-1, GradientReduction.Mean)).ParamName);
        Assert.Equal("orders", Assert.Throws<ArgumentException>(() => gradients.ApplyPcGrad(GradientReduction.Mean, [1, 2, 0, 2, 0])).ParamName);
    }

    [Fact]
    public void OneContiguousSharedRunIsWrittenInPlace()
    {
        var builder = new ParameterLayoutBuilder();
        builder.Add("a", ParameterOwner.Shared, 4, 4, Initializer.Zeros);
        builder.Add("b", ParameterOwner.Shared, 1, 8, Initializer.Zeros);
        builder.Add("head0", ParameterOwner.Task(0), 2, 2, Initializer.Zeros);
        builder.Add("head1", ParameterOwner.Task(1), 2, 2, Initializer.Zeros);
        var store = new ParameterStore(builder.Build());
        var gradients = new TaskGradients(store, 2, CpuAccelerator.Sequential);
        gradients.BeginStep();
        store.Gradients.AsSpan(0, 24).Fill(1f);
        store.Gradients.AsSpan(24, 4).Fill(5f);
        store.Gradients.AsSpan(32, 4).Fill(-7f); // task 0's backward touching task 1's head: discarded
        gradients.Capture(0);
        store.Gradients.AsSpan(0, 24).Fill(3f);
        store.Gradients.AsSpan(32, 4).Fill(6f);
        gradients.Capture(1);
        gradients.ApplyReduction(GradientReduction.Mean);
        Assert.All(store.Gradients[..24], v => Assert.Equal(2f, v));
        Assert.All(store.Gradients[24..28], v => Assert.Equal(5f, v));
        Assert.All(store.Gradients[32..36], v => Assert.Equal(6f, v));
    }

    [Fact]
    public void StepsAllocateNothingAfterConstruction()
    {
        ParameterStore store = Store(out _);
        var gradients = new TaskGradients(store, Tasks, CpuAccelerator.Sequential);
        int[] orders = [1, 2, 0, 2, 0, 1];
        void Step(ulong counter)
        {
            gradients.BeginStep();
            for (int t = 0; t < Tasks; t++)
            {
                store.Gradients[t] = t + 1; // stands in for a backward pass
                gradients.Capture(t);
            }

            if (counter % 4 == 0)
            {
                gradients.ApplyPcGrad(GradientReduction.Mean, 1, 2, counter);
            }
            else if (counter % 4 == 1)
            {
                gradients.ApplyPcGrad(GradientReduction.Sum, orders);
            }
            else if (counter % 4 == 2)
            {
                gradients.ApplyCaGrad(0.5, GradientReduction.Mean);
            }
            else
            {
                gradients.ApplyReduction(GradientReduction.Mean);
            }
        }

        for (ulong warm = 0; warm < 8; warm++)
        {
            Step(warm);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (ulong counter = 8; counter < 200; counter++)
        {
            Step(counter);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void WeightedApplyScalesSharedSumAndEachTasksOwnSlices()
    {
        var store = Store(out _);
        var gradients = new TaskGradients(store, Tasks);
        double[] weights = Enumerable.Range(0, Tasks).Select(t => 0.5 + t * 0.75).ToArray();
        RunStep(gradients, step: 3);
        gradients.ApplyWeighted(weights);

        float[] packed = PackedShared(store, 3, out float[][] full);
        int shared = packed.Length / Tasks;
        int offset = 0;
        foreach (ParameterSlice slice in store.Layout.Slices)
        {
            Span<float> actual = store.GradientsOf(slice);
            for (int i = 0; i < slice.Length; i++)
            {
                double expected;
                if (slice.Owner.IsTaskSpecific)
                {
                    expected = weights[slice.Owner.Index] * full[slice.Owner.Index][slice.Offset + i];
                }
                else
                {
                    expected = 0;
                    for (int t = 0; t < Tasks; t++) expected += weights[t] * packed[t * shared + offset + i];
                }
                Assert.True(Math.Abs(expected - actual[i]) <= 1e-5 * (1 + Math.Abs(expected)), $"{slice.Name}[{i}]: {actual[i]} vs {expected}");
            }
            if (!slice.Owner.IsTaskSpecific) offset += slice.Length;
        }
        Assert.Throws<ArgumentException>(() => gradients.ApplyWeighted(new double[Tasks - 1]));
    }
}
