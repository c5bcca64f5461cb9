using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Learning;
using Mtrl.Kernels.Gpu.Networks;
using Mtrl.Kernels.Gpu.Optimization;
using Mtrl.Kernels.Gpu.Replay;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;

namespace Mtrl.GpuBenchmarks;

/// <summary>
/// One multi-task SAC update, the workload of tests/Benchmarks' MT-SAC case (mt_sac_bench.mtrl):
/// ten tasks, observation 39 ⊕ one-hot task, four actions, a tanh-Gaussian actor and twin critics
/// with three hidden ReLU layers (one at the quick sizes), per-task temperatures — a uniform sample from a full replay, the
/// targets, both critics, the actor and temperatures, Polyak. Device: <see cref="DeviceSacLearner"/>
/// on the device replay; CPU: <see cref="SacTrainer"/>'s own update (sample + update) on its
/// replay, the same networks and settings.
/// </summary>
internal static class SacLearnerBenchmarks
{
    public const int Tasks = 10;
    public const int Observation = 39;
    public const int Actions = 4;

    public static IEnumerable<BenchmarkRow> Run(GpuDevice device, BenchmarkSizes sizes)
    {
        int capacity = sizes.SacReplayCapacity;
        int batchSize = sizes.SacBatch;
        int[] hidden = Enumerable.Repeat(sizes.SacHidden, sizes.SacLayers).ToArray();
        var builder = new ParameterLayoutBuilder();
        var actorChain = new SequentialBuilder(builder, "actor", Observation + Tasks).Mlp(hidden).Linear(2 * Actions);
        var criticChain = new SequentialBuilder(builder, "critic", Observation + Tasks + Actions).Mlp(hidden).Linear(1);
        ParameterLayout layout = builder.Build();
        var environment = new RandomTaskTransitions(Tasks, Observation, Actions, Tasks);
        // A warm-up longer than the fill keeps the trainer collecting without updating.
        var options = new SacOptions
        {
            BatchSize = batchSize, ReplayCapacity = capacity, Warmup = 1_000_000_000, Alpha = TemperatureMode.PerTask, TargetEntropy = -Actions, Seed = 1,
        };
        var trainer = new SacTrainer(environment, layout,
            (store, rows) => new OneHotSacPolicy(actorChain.Bind(store, rows), layout, Observation, 0, Tasks, Actions),
            (store, rows) => new OneHotSacCritic(criticChain.Bind(store, rows), layout, Observation, 0, Tasks, Actions),
            options);
        trainer.Train(capacity);
        // The trainer's update (Loop.Sample + Update) is internal; the benchmark times exactly that.
        var cpuUpdate = (Action)typeof(ActorCriticTrainer).GetMethod("UpdateOnce", BindingFlags.Instance | BindingFlags.NonPublic)!.CreateDelegate(typeof(Action), trainer);

        var deviceOptions = new DeviceSacOptions
        {
            Seed = options.Seed, Alpha = TemperatureMode.PerTask, TargetEntropy = -Actions,
            Actor = new DeviceAdamOptions(LearningRate: options.LearningRate), Critic = new DeviceAdamOptions(LearningRate: options.LearningRate),
        };
        using var learner = new DeviceSacLearner(device, LayersOf(layout, "actor"), LayersOf(layout, "critic"), layout.Length,
            new DeviceSacShape(Observation, 0, Tasks, TaskOneHot: true), batchSize, deviceOptions);
        learner.Parameters.CopyFromCPU(trainer.Parameters.Values);
        learner.TwinParameters.CopyFromCPU(trainer.TwinParameters.Values);
        learner.TargetParameters.CopyFromCPU(trainer.TargetParameters.Values);
        learner.TwinTargetParameters.CopyFromCPU(trainer.TwinTargetParameters.Values);
        using DeviceReplay replay = Fill(device, capacity);
        using DeviceBatch batch = replay.CreateBatch(batchSize);
        string size = $"{capacity:N0} / {batchSize:N0}, {Observation}+{Tasks} → {sizes.SacHidden}×{sizes.SacLayers}, T = {Tasks}";

        yield return new BenchmarkRow(
            "SAC update (sample + targets + twin critics + actor + α + Polyak)", size,
            BenchmarkTimer.MedianMicroseconds(
                () =>
                {
                    replay.SampleUniform(batch);
                    learner.Update(batch);
                    device.Accelerator.Synchronize();
                }, sizes.Warmups, sizes.Repetitions),
            BenchmarkTimer.MedianMicroseconds(cpuUpdate, sizes.Warmups, sizes.Repetitions));
        replay.ThrowIfFaulted();
    }

    /// <summary>The device layers of the (weight, bias) slice pairs named under <paramref name="prefix"/>.</summary>
    private static List<DeviceDenseLayer> LayersOf(ParameterLayout layout, string prefix)
    {
        IReadOnlyList<ParameterSlice> slices = layout.SlicesUnder(prefix);
        var layers = new List<DeviceDenseLayer>();
        for (int s = 0; s < slices.Count; s += 2)
        {
            layers.Add(new DeviceDenseLayer(slices[s].Rows, slices[s].Columns, slices[s].Offset, slices[s + 1].Offset));
        }

        return layers;
    }

    /// <summary>A device replay of <paramref name="capacity"/> random transitions, one env per task, episodes of <see cref="RandomTaskTransitions.EpisodeSteps"/>.</summary>
    private static DeviceReplay Fill(GpuDevice device, int capacity)
    {
        const int envs = Tasks;
        var replay = new DeviceReplay(device, new DeviceReplayOptions
        {
            Capacity = capacity, EnvCount = envs, ObservationWidth = Observation, ActionWidth = Actions, TaskCount = Tasks, Seed = 1,
        });
        Accelerator accelerator = device.Accelerator;
        var random = new Random(3);
        float[] observations = new float[envs * Observation];
        float[] next = new float[envs * Observation];
        float[] actions = new float[envs * Actions];
        float[] rewards = new float[envs];
        int[] tasks = new int[envs];
        for (int env = 0; env < envs; env++)
        {
            tasks[env] = env;
        }

        using MemoryBuffer1D<float, Stride1D.Dense> dObservations = accelerator.Allocate1D<float>(observations.Length);
        using MemoryBuffer1D<float, Stride1D.Dense> dNext = accelerator.Allocate1D<float>(next.Length);
        using MemoryBuffer1D<float, Stride1D.Dense> dActions = accelerator.Allocate1D<float>(actions.Length);
        using MemoryBuffer1D<float, Stride1D.Dense> dRewards = accelerator.Allocate1D<float>(envs);
        using MemoryBuffer1D<float, Stride1D.Dense> dTerminated = accelerator.Allocate1D<float>(envs);
        using MemoryBuffer1D<float, Stride1D.Dense> dTruncated = accelerator.Allocate1D<float>(envs);
        using MemoryBuffer1D<int, Stride1D.Dense> dTasks = accelerator.Allocate1D(tasks);
        dTerminated.MemSetToZero();
        var step = new DeviceReplayStep
        {
            Observations = dObservations.View, NextObservations = dNext.View, Actions = dActions.View, Rewards = dRewards.View,
            Terminated = dTerminated.View, Truncated = dTruncated.View, TaskIds = dTasks.View,
        };
        var truncatedRow = new float[envs];
        int rows = (capacity / envs) + RandomTaskTransitions.EpisodeSteps;
        for (int row = 0; row < rows; row++)
        {
            foreach (float[] field in new[] { observations, next, actions, rewards })
            {
                for (int i = 0; i < field.Length; i++)
                {
                    field[i] = (float)((random.NextDouble() * 2) - 1);
                }
            }

            Array.Fill(truncatedRow, (row + 1) % RandomTaskTransitions.EpisodeSteps == 0 ? 1f : 0f);
            dObservations.CopyFromCPU(observations);
            dNext.CopyFromCPU(next);
            dActions.CopyFromCPU(actions);
            dRewards.CopyFromCPU(rewards);
            dTruncated.CopyFromCPU(truncatedRow);
            replay.Add(step);
        }

        replay.ThrowIfFaulted();
        return replay;
    }
}
