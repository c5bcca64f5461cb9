using System;
using System.IO;
using System.Linq;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Runtime.Tests.Replay;

/// <summary>Prioritized replay with an equal share per task: shares, proportions within a task, weights, tree upkeep, files.</summary>
public sealed class TaskBalancedPriorityTests
{
    private static (ReplayBuffer Buffer, EpisodeScript Script) Filled(int steps)
    {
        ReplayBufferOptions options = ReplayTestBuffers.Options(150, 3, tasks: 3, prioritized: true) with { PriorityExponent = 0.7f, TaskBalancedPriorities = true };
        ReplayBuffer buffer = ReplayTestBuffers.Create(options);
        var script = new EpisodeScript(buffer, seed: 23, maxLength: 6, taskPerEpisode: true);
        script.Run(steps);
        return (buffer, script);
    }

    [Fact]
    public void EachTaskGetsAnEqualShareDrawnByPriorityWithinTheTask()
    {
        var (buffer, _) = Filled(90);
        var options = buffer.Options;
        int[] sampleable = Enumerable.Range(0, options.Capacity).Where(s => buffer.Ledger.EpisodeLengths[s] > 0).ToArray();
        float[] priorities = sampleable.Select(s => (float)((s * 29 % 13) + 0.25)).ToArray();
        buffer.UpdatePriorities(sampleable, priorities);
        int[] taskOf = buffer.Store.TaskIds.ToArray();
        Assert.Equal(3, sampleable.Select(s => taskOf[s]).Distinct().Count());

        var weight = new double[options.Capacity];
        for (int i = 0; i < sampleable.Length; i++) weight[sampleable[i]] = Math.Pow(priorities[i] + (double)options.PriorityEpsilon, 0.7);
        var taskTotal = new double[3];
        foreach (int s in sampleable) taskTotal[taskOf[s]] += weight[s];

        var counts = new long[options.Capacity];
        ReplayBatch batch = buffer.CreateBatch(300);
        const int Rounds = 300;
        for (int round = 0; round < Rounds; round++)
        {
            ReplayTestBuffers.Poison(batch);
            buffer.SamplePrioritizedBalanced(batch, beta: 0.5f);
            ReplayTestBuffers.AssertFullyWritten(batch);
            Assert.True(batch.IsGroupedByTask);
            Assert.Equal(new[] { 0, 100, 200, 300 }, batch.TaskRowStarts);
            double max = 0;
            var raw = new double[batch.Size];
            for (int row = 0; row < batch.Size; row++)
            {
                int slot = batch.Slots[row];
                int task = row / 100;
                Assert.Equal(task, taskOf[slot]);
                Assert.Equal(task, batch.TaskIds[row]);
                ReplayTestBuffers.AssertRowMatchesStorage(buffer, batch, row);
                counts[slot]++;
                // q = (Bₜ/B)·wₛ/Σₜ, weight (n·q)^−β over the batch maximum.
                raw[row] = Math.Pow(sampleable.Length * (100.0 / 300) * weight[slot] / taskTotal[task], -0.5);
                max = Math.Max(max, raw[row]);
            }
            for (int row = 0; row < batch.Size; row++)
            {
                Assert.InRange(batch.Weights[row], raw[row] / max * (1 - 1e-5), raw[row] / max * (1 + 1e-5));
            }
        }

        double[] expected = Enumerable.Range(0, options.Capacity).Select(s => weight[s] == 0 ? 0 : Rounds * 100 * weight[s] / taskTotal[taskOf[s]]).ToArray();
        double statistic = ChiSquare.Statistic(counts, expected);
        Assert.True(statistic < ChiSquare.Bound(sampleable.Length - 3), $"chi-square {statistic:F1} with {sampleable.Length - 3} degrees of freedom");
    }

    [Fact]
    public void TaskTreesHoldExactlyTheSampleableSlotsOfTheirTaskAsTheBufferWraps()
    {
        var (buffer, script) = Filled(20);
        var priorities = buffer.Priorities!;
        var capacity = buffer.Options.Capacity;
        var batch = buffer.CreateBatch(12);
        for (int round = 0; round < 80; round++)
        {
            script.Run(1);
            if (buffer.SampleableCount > 0)
            {
                buffer.SamplePrioritizedBalanced(batch, 1f);
                buffer.UpdatePriorities(batch.Slots, batch.Slots.Select(s => (float)(s % 7)).ToArray());
            }
            for (int t = 0; t < 3; t++)
            {
                var tree = priorities.TaskTree(t);
                for (int slot = 0; slot < capacity; slot++)
                {
                    double global = priorities.Tree[capacity + slot];
                    double expected = buffer.Ledger.EpisodeLengths[slot] > 0 && buffer.Store.TaskIds[slot] == t ? global : 0d;
                    Assert.Equal(expected, SumTree.Leaf(tree, slot));
                }
                Assert.Equal(tree.Slice(capacity).ToArray().Sum(), SumTree.Total(tree), 9);
            }
        }
    }

    [Fact]
    public void ALoadedBufferRebuildsItsTaskTreesAndSamplesTheSameBatches()
    {
        var (buffer, _) = Filled(70);
        var batch = buffer.CreateBatch(64);
        buffer.SamplePrioritizedBalanced(batch, 0.4f);
        buffer.UpdatePriorities(batch.Slots, batch.Slots.Select(s => (float)(s % 5) + 0.5f).ToArray());
        string path = Path.Combine(Path.GetTempPath(), $"mtrl-per-balanced-{Guid.NewGuid():N}.replay");
        try
        {
            buffer.Save(path);
            ReplayBuffer loaded = ReplayBufferFile.Load(path, buffer.Options);
            Assert.Equal(buffer.Priorities!.TaskTrees, loaded.Priorities!.TaskTrees);
            var a = buffer.CreateBatch(64);
            var b = loaded.CreateBatch(64);
            buffer.SamplePrioritizedBalanced(a, 0.4f);
            loaded.SamplePrioritizedBalanced(b, 0.4f);
            Assert.Equal(a.Slots, b.Slots);
            Assert.Equal(a.Weights, b.Weights);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TaskBalancedPrioritiesNeedPrioritizedReplay()
    {
        var options = ReplayTestBuffers.Options(30, 3, tasks: 3) with { TaskBalancedPriorities = true };
        var error = Assert.Throws<ArgumentException>(() => new ReplayBuffer(options));
        Assert.Equal(nameof(ReplayBufferOptions.TaskBalancedPriorities), error.ParamName);
        var plain = ReplayTestBuffers.Create(ReplayTestBuffers.Options(30, 3, tasks: 3, prioritized: true));
        Assert.Throws<InvalidOperationException>(() => plain.SamplePrioritizedBalanced(plain.CreateBatch(4), 0.5f));
    }
}
