using System;
using System.Linq;
using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Replay;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class DevicePrioritizedReplayTests(IlgpuCpuFixture fixture)
{
    /// <summary>
    /// Importance weights: the device does the CPU's float64 operations in the CPU's order, so on the
    /// ILGPU CPU accelerator (which runs .NET's Math.Pow) they are equal; on a GPU, ILGPU.Algorithms'
    /// Pow may differ in the last bits. The stated bound: two float32 ulps of the CPU's weight
    /// (observed here: equal bits in every case).
    /// </summary>
    private const float WeightTolerance = 2f * (1f / (1 << 23));

    [Theory]
    // envs, rows, tasks, tasks that get episodes, longest episode, batch, balanced, α
    [InlineData(1, 16, 1, 1, 6, 37, false, 0.6f)]
    [InlineData(3, 16, 4, 3, 20, 37, true, 0.6f)]
    [InlineData(5, 12, 2, 2, 9, 129, true, 1f)]
    [InlineData(17, 8, 3, 3, 5, 1, false, 0f)]
    [InlineData(2, 5, 2, 2, 3, 33, true, 0.5f)]
    [InlineData(4, 9, 3, 3, 7, 65, false, 0.6f)]
    public void SamplesWeightsAndUpdatesEqualTheCpuBufferThroughRingWraps(
        int envs, int rows, int tasks, int usedTasks, int maxEpisode, int batch, bool balanced, float alpha)
    {
        using var twins = new ReplayTwins(
            fixture.Device, envs, rows, tasks, usedTasks, maxEpisode, goalWidth: 0, seed: envs * 13 + rows,
            prioritized: true, taskBalancedPriorities: balanced || tasks > 2, priorityExponent: alpha);
        var random = new System.Random(envs + rows);
        int[]? pending = null;
        int samples = 0;
        for (int step = 1; step <= 4 * rows; step++)
        {
            twins.Step();
            if (step % 5 != 0)
            {
                continue;
            }

            AssertSameTrees(twins);
            if (pending is not null)
            {
                // Slots drawn five steps ago: some were overwritten since, and the update skips them.
                Update(twins, pending, random);
                AssertSameTrees(twins);
            }

            if (twins.Cpu.SampleableCount > 0)
            {
                pending = AssertSameSample(twins, batch, beta: 0.4f + (0.1f * (samples % 7)), balanced);
                samples++;
            }
        }

        Assert.True(samples >= 3);
        Assert.True(twins.Cpu.MaxPriority > 1d || batch < 9, "no update raised the largest priority");
        Assert.Equal(twins.Cpu.MaxPriority, twins.Gpu.ReadMaxPriority());
    }

    [Fact]
    public void AOneSlotReplaySamplesItsSlotWithWeightOne()
    {
        using var twins = new ReplayTwins(fixture.Device, envs: 1, rows: 1, tasks: 1, usedTasks: 1, maxEpisode: 1, goalWidth: 0, seed: 3,
            prioritized: true, taskBalancedPriorities: true);
        twins.Step();
        int[] slots = AssertSameSample(twins, 5, beta: 1f, balanced: false);
        Assert.All(slots, slot => Assert.Equal(0, slot));
        Update(twins, slots, new System.Random(1));
        AssertSameSample(twins, 3, beta: 0.5f, balanced: true);
        AssertSameTrees(twins);
    }

    [Fact]
    public void DuplicateSlotsTakeTheLastRowsPriorityAndZeroPrioritiesKeepSlotsSampleable()
    {
        using var twins = new ReplayTwins(fixture.Device, envs: 2, rows: 8, tasks: 2, usedTasks: 2, maxEpisode: 3, goalWidth: 0, seed: 8,
            prioritized: true, taskBalancedPriorities: true);
        for (int step = 0; step < 8; step++)
        {
            twins.Step();
        }

        int[] sampleable = Enumerable.Range(0, 16).Where(slot => twins.Cpu.Episodes.EpisodeLengths[slot] > 0).ToArray();
        Assert.True(sampleable.Length >= 3);
        int a = sampleable[0], b = sampleable[1], c = sampleable[2];
        int[] slots = [a, b, a, c, b, a];
        float[] priorities = [5f, 0f, 0.25f, 0f, 7.5f, 0f];
        UpdateBoth(twins, slots, priorities);
        Assert.Equal(7.5 + 1e-6f, twins.Gpu.ReadMaxPriority());
        AssertSameTrees(twins);
        double[] tree = twins.Gpu.ReadPriorityTree();
        Assert.Equal(Math.Pow(0d + 1e-6f, 0.6f), tree[16 + a]); // the last row of a has priority 0: ε^α, never 0
        Assert.Equal(Math.Pow(7.5 + 1e-6f, 0.6f), tree[16 + b]);
        AssertSameSample(twins, 41, beta: 0.7f, balanced: false);
        AssertSameSample(twins, 41, beta: 0.7f, balanced: true);
    }

    [Fact]
    public void ABadUpdateIsRefusedWholeAndReported()
    {
        using var twins = new ReplayTwins(fixture.Device, envs: 2, rows: 8, tasks: 1, usedTasks: 1, maxEpisode: 3, goalWidth: 0, seed: 2, prioritized: true);
        for (int step = 0; step < 8; step++)
        {
            twins.Step();
        }

        double[] before = twins.Gpu.ReadPriorityTree();
        (int[] slots, float[] priorities, string message)[] cases =
        [
            ([1, -1, 2], [1f, 2f, 3f], "slots[1] is -1; slots must be in [0, 16)"),
            ([1, 2, 16], [1f, 2f, 3f], "slots[2] is 16; slots must be in [0, 16)"),
            ([1, 2, 3], [9f, float.NaN, 3f], "priorities[1] is NaN; priorities must be finite numbers ≥ 0"),
            ([1, 2, 3], [9f, 1f, -0.5f], "priorities[2] is -0.5; priorities must be finite numbers ≥ 0"),
            ([1, 2, 3], [float.PositiveInfinity, 1f, 2f], "priorities[0] is Infinity; priorities must be finite numbers ≥ 0"),
        ];
        foreach ((int[] slots, float[] priorities, string message) in cases)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => twins.Cpu.UpdatePriorities(slots, priorities));
            using MemoryBuffer1D<int, Stride1D.Dense> deviceSlots = fixture.Device.Accelerator.Allocate1D(slots);
            using MemoryBuffer1D<float, Stride1D.Dense> devicePriorities = fixture.Device.Accelerator.Allocate1D(priorities);
            twins.Gpu.UpdatePriorities(deviceSlots.View, devicePriorities.View);
            twins.Gpu.UpdatePriorities(deviceSlots.View.SubView(0, 1), devicePriorities.View.SubView(0, 1)); // refused too while the fault is pending
            var error = Assert.Throws<ArgumentOutOfRangeException>(twins.Gpu.ThrowIfFaulted);
            Assert.Contains(message, error.Message, StringComparison.Ordinal);
            Assert.Equal(before, twins.Gpu.ReadPriorityTree());
            Assert.Equal(1d, twins.Gpu.ReadMaxPriority());
        }

        twins.Gpu.ThrowIfFaulted(); // reported and cleared
        using MemoryBuffer1D<int, Stride1D.Dense> few = fixture.Device.Accelerator.Allocate1D<int>(2);
        using MemoryBuffer1D<float, Stride1D.Dense> three = fixture.Device.Accelerator.Allocate1D<float>(3);
        var lengths = Assert.Throws<ArgumentException>(() => twins.Gpu.UpdatePriorities(few.View, three.View));
        Assert.Contains("priorities must hold one value per slot (2), got 3", lengths.Message, StringComparison.Ordinal);
        Update(twins, [0, 1, 2, 3], new System.Random(5));
        AssertSameTrees(twins);
        AssertSameSample(twins, 9, beta: 0.4f, balanced: false);
    }

    [Fact]
    public void SamplingWithoutDataOrWithoutMassIsReportedAndPoisoned()
    {
        using var twins = new ReplayTwins(fixture.Device, envs: 2, rows: 8, tasks: 2, usedTasks: 2, maxEpisode: 3, goalWidth: 0, seed: 6,
            prioritized: true, taskBalancedPriorities: true, priorityExponent: 100f);
        using DeviceBatch batch = twins.Gpu.CreateBatch(7);
        foreach (bool balanced in new[] { false, true })
        {
            if (balanced)
            {
                twins.Gpu.SamplePrioritizedBalanced(batch, 0.5f);
            }
            else
            {
                twins.Gpu.SamplePrioritized(batch, 0.5f);
            }

            var error = Assert.Throws<InvalidOperationException>(twins.Gpu.ThrowIfFaulted);
            Assert.Contains("no sampleable transition yet", error.Message, StringComparison.Ordinal);
            Assert.All(batch.Slots.GetAsArray1D(), slot => Assert.Equal(-1, slot));
            Assert.All(batch.Weights.GetAsArray1D(), weight => Assert.True(float.IsNaN(weight)));
        }

        for (int step = 0; step < 8; step++)
        {
            twins.Step();
        }

        // Priority 0 for every slot: ε^100 underflows to 0, so no tree holds mass (the CPU refuses too).
        int[] all = Enumerable.Range(0, 16).ToArray();
        UpdateBoth(twins, all, new float[16]);
        Assert.Throws<ArgumentException>(() => twins.Cpu.SamplePrioritized(twins.Cpu.CreateBatch(7), 0.5f));
        twins.Gpu.SamplePrioritized(batch, 0.5f);
        var noMass = Assert.Throws<InvalidOperationException>(twins.Gpu.ThrowIfFaulted);
        Assert.Contains("holds no positive weight", noMass.Message, StringComparison.Ordinal);
        Assert.All(batch.Weights.GetAsArray1D(), weight => Assert.True(float.IsNaN(weight)));
        twins.Gpu.SamplePrioritizedBalanced(batch, 0.5f);
        Assert.Throws<InvalidOperationException>(twins.Gpu.ThrowIfFaulted);
    }

    [Fact]
    public void PrioritizedCallsNeedPrioritiesAndCheckTheirArguments()
    {
        using var plain = new ReplayTwins(fixture.Device, envs: 1, rows: 4, tasks: 1, usedTasks: 1, maxEpisode: 2, goalWidth: 0, seed: 1);
        using DeviceBatch batch = plain.Gpu.CreateBatch(2);
        Assert.Contains("Prioritized = true", Assert.Throws<InvalidOperationException>(() => plain.Gpu.SamplePrioritized(batch, 0.5f)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => plain.Gpu.SamplePrioritizedBalanced(batch, 0.5f));
        Assert.Throws<InvalidOperationException>(() => plain.Gpu.ReadMaxPriority());
        Assert.Throws<InvalidOperationException>(() => plain.Gpu.UpdatePriorities(batch.Slots.View, batch.Weights.View));

        using var global = new ReplayTwins(fixture.Device, envs: 1, rows: 4, tasks: 1, usedTasks: 1, maxEpisode: 2, goalWidth: 0, seed: 1, prioritized: true);
        using DeviceBatch prioritizedBatch = global.Gpu.CreateBatch(2);
        Assert.Contains("TaskBalancedPriorities", Assert.Throws<InvalidOperationException>(() => global.Gpu.SamplePrioritizedBalanced(prioritizedBatch, 0.5f)).Message, StringComparison.Ordinal);
        var beta = Assert.Throws<ArgumentOutOfRangeException>(() => global.Gpu.SamplePrioritized(prioritizedBatch, 1.5f));
        Assert.Contains("beta must be in [0, 1]", beta.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => global.Gpu.SamplePrioritized(prioritizedBatch, float.NaN));

        var options = new DeviceReplayOptions { Capacity = 8, ObservationWidth = 1 };
        Assert.Throws<ArgumentException>(() => (options with { TaskBalancedPriorities = true }).Validate());
        Assert.Contains("PriorityEpsilon must be a finite number > 0",
            Assert.Throws<ArgumentOutOfRangeException>(() => (options with { Prioritized = true, PriorityEpsilon = 0f }).Validate()).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => (options with { Prioritized = true, PriorityExponent = -1f }).Validate());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(1000)]
    [InlineData(1025)]
    public void TheLevelRebuildEqualsTheCpuRebuildForAnyLeafCount(int leaves)
    {
        var random = new System.Random(leaves);
        var expected = new double[2 * leaves];
        for (int k = 0; k < leaves; k++)
        {
            expected[leaves + k] = random.Next(4) == 0 ? 0d : random.NextDouble() * 3;
        }

        double[] poisoned = (double[])expected.Clone();
        for (int node = 1; node < leaves; node++)
        {
            poisoned[node] = double.NaN;
        }

        Mtrl.Kernels.Replay.SumTree.Rebuild(expected);
        using var twins = new ReplayTwins(fixture.Device, envs: 1, rows: leaves, tasks: 1, usedTasks: 1, maxEpisode: 2, goalWidth: 0, seed: 1, prioritized: true);
        var priorities = (DevicePriorities)typeof(DeviceReplay).GetField("_priorities", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(twins.Gpu)!;
        priorities.Tree.CopyFromCPU(poisoned);
        priorities.LeavesChanged();
        Assert.Equal(expected.AsSpan(1).ToArray(), priorities.ReadTree().AsSpan(1).ToArray());
    }

    internal static int[] AssertSameSample(ReplayTwins twins, int size, float beta, bool balanced)
    {
        ReplayBatch cpu = twins.Cpu.CreateBatch(size);
        using DeviceBatch device = twins.Gpu.CreateBatch(size);
        ReplayTwins.Poison(device);
        Assert.Equal(twins.Cpu.RandomCounter, twins.Gpu.RandomCounter);
        if (balanced)
        {
            twins.Cpu.SamplePrioritizedBalanced(cpu, beta);
            twins.Gpu.SamplePrioritizedBalanced(device, beta);
        }
        else
        {
            twins.Cpu.SamplePrioritized(cpu, beta);
            twins.Gpu.SamplePrioritized(device, beta);
        }

        twins.Gpu.ThrowIfFaulted();
        Assert.Equal(cpu.Slots, device.Slots.GetAsArray1D());
        Assert.Equal(cpu.Observations, device.Observations.GetAsArray1D());
        Assert.Equal(cpu.Rewards, device.Rewards.GetAsArray1D());
        Assert.Equal(cpu.Terminated, device.Terminated.GetAsArray1D());
        Assert.Equal(cpu.TaskIds, device.TaskIds.GetAsArray1D());
        float[] weights = device.Weights.GetAsArray1D();
        for (int row = 0; row < size; row++)
        {
            Assert.True(Math.Abs(weights[row] - cpu.Weights[row]) <= WeightTolerance * cpu.Weights[row], $"weight {row}: {weights[row]}, CPU {cpu.Weights[row]}");
        }

        Assert.Equal(1f, weights.Max());
        if (balanced)
        {
            Assert.Equal(cpu.TaskRowStarts, device.TaskRowStarts.GetAsArray1D());
        }

        return cpu.Slots.ToArray();
    }

    /// <summary>Random priorities (a quarter exactly 0) for the given slots, applied to both replays.</summary>
    internal static void Update(ReplayTwins twins, int[] slots, System.Random random)
    {
        float[] priorities = slots.Select(_ => random.Next(4) == 0 ? 0f : (float)(random.NextDouble() * 3)).ToArray();
        UpdateBoth(twins, slots, priorities);
    }

    private static void UpdateBoth(ReplayTwins twins, int[] slots, float[] priorities)
    {
        twins.Cpu.UpdatePriorities(slots, priorities);
        using MemoryBuffer1D<int, Stride1D.Dense> deviceSlots = twins.Device.Accelerator.Allocate1D(slots);
        using MemoryBuffer1D<float, Stride1D.Dense> devicePriorities = twins.Device.Accelerator.Allocate1D(priorities);
        twins.Gpu.UpdatePriorities(deviceSlots.View, devicePriorities.View);
        twins.Gpu.ThrowIfFaulted();
        Assert.Equal(twins.Cpu.MaxPriority, twins.Gpu.ReadMaxPriority());
    }

    /// <summary>The device trees equal the CPU index's, leaves and parents, bit for bit (read by reflection: the index is internal).</summary>
    private static void AssertSameTrees(ReplayTwins twins)
    {
        object index = typeof(ReplayBuffer).GetProperty("Priorities", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(twins.Cpu)!;
        var tree = (double[])index.GetType().GetProperty("Tree")!.GetValue(index)!;
        var taskTrees = (double[]?)index.GetType().GetProperty("TaskTrees")!.GetValue(index);
        Assert.Equal(tree.AsSpan(1).ToArray(), twins.Gpu.ReadPriorityTree().AsSpan(1).ToArray());
        if (taskTrees is not null)
        {
            for (int t = 0; t < twins.Options.TaskCount; t++)
            {
                Assert.Equal(taskTrees.AsSpan((t * tree.Length) + 1, tree.Length - 1).ToArray(), twins.Gpu.ReadTaskPriorityTree(t).AsSpan(1).ToArray());
            }
        }
    }
}
