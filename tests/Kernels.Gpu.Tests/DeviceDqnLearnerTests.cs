using System;
using System.Collections.Generic;
using System.Linq;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Environments;
using Mtrl.Kernels.Gpu.Learning;
using Mtrl.Kernels.Gpu.Networks;
using Mtrl.Kernels.Gpu.Optimization;
using Mtrl.Kernels.Gpu.Replay;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Losses;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Optimization;
using Mtrl.Runtime.Parameters;
using Xunit;
using Xunit.Abstractions;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>
/// DQN updates on the device — CartPole collected into the device replay, batches sampled there,
/// forward, TD loss, backward and Adam without a host copy — against the CPU trainer's update
/// (<c>DqnTrainer.Update</c>'s sequence: a <see cref="Sequential"/> Q network, TemporalDifference,
/// Loss.Huber, ZeroGradients, Backward, Adam with DQN's global-norm clip) on the same batches,
/// starting from the same parameters. The GEMMs sum in different orders, so the comparison is
/// within tolerances: loss 10⁻⁵ relative, gradients 10⁻⁵ of the largest gradient, parameters
/// 10⁻⁶ absolute (10⁻³ of a learning-rate step) after each of three updates. Observed here:
/// gradients within 1.2·10⁻⁷ of the largest, parameters within 6·10⁻⁸ (an ulp of the weights).
/// </summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceDqnLearnerTests(IlgpuCpuFixture fixture, ITestOutputHelper output)
{
    [Theory]
    [InlineData(true, 10f)]
    [InlineData(false, 0.5f)]
    public void UpdatesMatchTheCpuTrainersUpdateOnTheSameBatches(bool doubleDqn, float clip)
        => AssertUpdatesMatchCpu(fixture.Device, doubleDqn, clip, envs: 4, batchSize: 29, output.WriteLine);

    /// <summary>Three updates on <paramref name="device"/> against the CPU sequence on the same batches, then a Polyak blend.</summary>
    internal static void AssertUpdatesMatchCpu(GpuDevice device, bool doubleDqn, float clip, int envs, int batchSize, Action<string> log)
    {
        const float gamma = 0.9f, learningRate = 1e-3f;

        // The CPU network, as a DQN test builds it: observation → 16 → ReLU → 8 → ReLU → 2 Q values.
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "q", CartPoleRules.ObservationSize).Mlp(new[] { 16, 8 }).Linear(2);
        ParameterLayout layout = builder.Build();
        var store = new ParameterStore(layout);
        store.Initialize(5);
        var targetStore = new ParameterStore(layout);
        targetStore.Initialize(6);
        Sequential online = chain.Bind(store, batchSize);
        Sequential target = chain.Bind(targetStore, batchSize);
        var adam = new Adam(store, new AdamOptions(LearningRate: learningRate, MaxGradientNorm: clip));

        // The device learner over the same layout and values.
        List<DeviceDenseLayer> layers = LayersOf(layout);
        var options = new DeviceDqnOptions { Gamma = gamma, Double = doubleDqn, Adam = new DeviceAdamOptions(LearningRate: learningRate, MaxGradientNorm: clip) };
        using var learner = new DeviceDqnLearner(device, layers, layout.Length, CartPoleRules.ObservationSize, 0, batchSize, options);
        learner.Parameters.CopyFromCPU(store.Values);
        learner.TargetParameters.CopyFromCPU(targetStore.Values);

        using DeviceReplay replay = CollectCartPole(device, envs);
        using DeviceBatch batch = replay.CreateBatch(batchSize);
        int clipped = 0;
        for (int update = 0; update < 3; update++)
        {
            replay.SampleUniform(batch);
            learner.Update(batch);

            // The CPU update on the batch the device sampled.
            float[] observations = batch.Observations.GetAsArray1D();
            float[] next = batch.NextObservations.GetAsArray1D();
            float[] rewards = batch.Rewards.GetAsArray1D();
            float[] terminated = batch.Terminated.GetAsArray1D();
            int[] actions = Array.ConvertAll(batch.Actions.GetAsArray1D(), a => (int)a);
            double loss = CpuUpdate(online, target, store, adam, observations, next, rewards, terminated, actions, 2, gamma, doubleDqn);
            clipped += adam.LastGradientNorm > clip ? 1 : 0;

            double deviceLoss = learner.Loss.ReadLoss();
            log($"update {update}: loss CPU {loss:R} device {deviceLoss:R}; gradient norm CPU {adam.LastGradientNorm:R} device {learner.Optimizer.ReadLastGradientNorm():R}");
            log($"  max |Δ| gradient {MaxDifference(store.Gradients, learner.Gradients.GetAsArray1D()):G3} (max |g| {MaxAbs(store.Gradients):G3}), parameters {MaxDifference(store.Values, learner.Parameters.GetAsArray1D()):G3}");
            Assert.True(Math.Abs(deviceLoss - loss) <= 1e-5 * Math.Abs(loss), $"update {update}: loss {deviceLoss} vs CPU {loss}");
            AssertClose("gradient", store.Gradients, learner.Gradients.GetAsArray1D(), 1e-5 * MaxAbs(store.Gradients), update);
            AssertClose("parameters", store.Values, learner.Parameters.GetAsArray1D(), 1e-3 * learningRate, update);
            AssertClose("target parameters", targetStore.Values, learner.TargetParameters.GetAsArray1D(), 0, update);
        }

        Assert.Equal(3, learner.Optimizer.ReadSteps());
        Assert.Equal(0, learner.Optimizer.ReadSkippedSteps());
        Assert.True(clip > 1f || clipped == 3, "the small clip must be active in every update");

        // Polyak: the device blend against the CPU's.
        Polyak.Update(targetStore, store, 0.25f);
        learner.UpdateTarget(0.25f);
        AssertClose("blended target", targetStore.Values, learner.TargetParameters.GetAsArray1D(), 1e-6, 3);
    }

    [Fact]
    public void TheFirstUpdateMatchesDqnTrainersFirstUpdate()
    {
        const int envs = 4, batchSize = 29;
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "q", CartPoleRules.ObservationSize).Mlp(new[] { 16, 8 }).Linear(2);
        ParameterLayout layout = builder.Build();
        var dqn = new DqnOptions
        {
            Gamma = 0.9, LearningRate = 1e-3f, BatchSize = batchSize, Warmup = 200, TrainEvery = 4, GradientSteps = 1,
            TargetUpdateEvery = 1_000_000, ReplayCapacity = 4_096, Seed = 3,
        };
        var trainer = new DqnTrainer(
            new Mtrl.Runtime.Environments.CartPoleVectorEnvironment(envs), layout,
            (store, rows) => new SequentialQNetwork(chain.Bind(store, rows), CartPoleRules.ObservationSize), dqn);

        // Step until the trainer's first update, keeping the parameters it started from.
        float[] before = [];
        float[] targetBefore = [];
        while (trainer.Updates == 0)
        {
            before = (float[])trainer.Parameters.Values.Clone();
            targetBefore = (float[])trainer.TargetParameters.Values.Clone();
            trainer.Step();
        }

        Assert.Equal(1, trainer.Updates);

        // The batch it trained on: the first sample drew counters from 0, so rewinding the buffer's
        // sample counter (a private setter) to 0 and sampling again draws the same rows.
        typeof(Mtrl.Runtime.Replay.ReplayBuffer).GetProperty(nameof(Mtrl.Runtime.Replay.ReplayBuffer.RandomCounter))!.SetValue(trainer.Replay, 0UL);
        Mtrl.Runtime.Replay.ReplayBatch cpuBatch = trainer.Replay.CreateBatch(batchSize);
        trainer.Replay.SampleUniform(cpuBatch);

        // The same update on the device, from the same parameters, on that batch.
        var options = new DeviceDqnOptions
        {
            Gamma = (float)dqn.Gamma, Double = dqn.Double, Adam = new DeviceAdamOptions(LearningRate: dqn.LearningRate, MaxGradientNorm: dqn.GradientClip),
        };
        using var learner = new DeviceDqnLearner(fixture.Device, LayersOf(layout), layout.Length, CartPoleRules.ObservationSize, 0, batchSize, options);
        learner.Parameters.CopyFromCPU(before);
        learner.TargetParameters.CopyFromCPU(targetBefore);
        using var replay = new DeviceReplay(fixture.Device, new DeviceReplayOptions { Capacity = 64, EnvCount = envs, ObservationWidth = CartPoleRules.ObservationSize, Seed = 1 });
        using DeviceBatch batch = replay.CreateBatch(batchSize);
        batch.Observations.CopyFromCPU(cpuBatch.Observations);
        batch.NextObservations.CopyFromCPU(cpuBatch.NextObservations);
        batch.Actions.CopyFromCPU(Array.ConvertAll(cpuBatch.DiscreteActions, a => (float)a));
        batch.Rewards.CopyFromCPU(cpuBatch.Rewards);
        batch.Terminated.CopyFromCPU(cpuBatch.Terminated);
        learner.Update(batch);

        double deviceLoss = learner.Loss.ReadLoss();
        Assert.True(Math.Abs(deviceLoss - trainer.LastLoss) <= 1e-5 * Math.Abs(trainer.LastLoss), $"loss {deviceLoss} vs the trainer's {trainer.LastLoss}");
        Assert.Equal(trainer.Optimizer.Steps, learner.Optimizer.ReadSteps());
        AssertClose("gradient", trainer.Parameters.Gradients, learner.Gradients.GetAsArray1D(), 1e-5 * MaxAbs(trainer.Parameters.Gradients), 0);
        AssertClose("parameters", trainer.Parameters.Values, learner.Parameters.GetAsArray1D(), 1e-3 * dqn.LearningRate, 0);
        AssertClose("target parameters", trainer.TargetParameters.Values, learner.TargetParameters.GetAsArray1D(), 0, 0);
        Assert.NotEqual(before, learner.Parameters.GetAsArray1D());
    }

    [Fact]
    public void AnUpdateWithGoalsOnAHerBatchMatchesTheCpuUpdate()
    {
        const int width = Mtrl.GpuBenchmarks.ReplayBenchmarks.Width, batchSize = 21;
        const float gamma = 0.98f, learningRate = 1e-3f;

        // 40-bit BitFlip-shaped transitions (observation and goals of 40 0/1 floats, 40 actions) in a wrapped ring.
        var cpuReplay = new Mtrl.Runtime.Replay.ReplayBuffer(new Mtrl.Runtime.Replay.ReplayBufferOptions
        {
            Capacity = 512, EnvCount = Mtrl.GpuBenchmarks.ReplayBenchmarks.Envs, ObservationWidth = width, GoalWidth = width, Seed = 2,
        });
        using var replay = new DeviceReplay(fixture.Device, new DeviceReplayOptions
        {
            Capacity = 512, EnvCount = Mtrl.GpuBenchmarks.ReplayBenchmarks.Envs, ObservationWidth = width, GoalWidth = width, Seed = 2,
        });
        Mtrl.GpuBenchmarks.ReplayBenchmarks.Fill(fixture.Device, cpuReplay, replay);

        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "q", 2 * width).Mlp(new[] { 12 }).Linear(width);
        ParameterLayout layout = builder.Build();
        var store = new ParameterStore(layout);
        store.Initialize(3);
        var targetStore = new ParameterStore(layout);
        targetStore.Initialize(4);
        var adam = new Adam(store, new AdamOptions(LearningRate: learningRate, MaxGradientNorm: 10f));
        var options = new DeviceDqnOptions { Gamma = gamma, Adam = new DeviceAdamOptions(LearningRate: learningRate, MaxGradientNorm: 10f) };
        using var learner = new DeviceDqnLearner(fixture.Device, LayersOf(layout), layout.Length, width, width, batchSize, options);
        learner.Parameters.CopyFromCPU(store.Values);
        learner.TargetParameters.CopyFromCPU(targetStore.Values);

        using DeviceBatch batch = replay.CreateBatch(batchSize);
        replay.SampleHer(batch, Mtrl.Contracts.HerGoalStrategy.Future, 4, new Mtrl.Kernels.Replay.ThresholdGoalReward(0f, terminateOnSuccess: true));
        learner.Update(batch);
        Assert.True(batch.RelabeledStart < batchSize, "the batch must hold relabeled rows");

        // The CPU network's input is observation ⊕ desired goal, row by row.
        float[] current = SideBySide(batch.Observations.GetAsArray1D(), batch.DesiredGoals.GetAsArray1D(), batchSize, width);
        float[] next = SideBySide(batch.NextObservations.GetAsArray1D(), batch.DesiredGoals.GetAsArray1D(), batchSize, width);
        int[] actions = Array.ConvertAll(batch.Actions.GetAsArray1D(), a => (int)a);
        double loss = CpuUpdate(chain.Bind(store, batchSize), chain.Bind(targetStore, batchSize), store, adam, current, next,
            batch.Rewards.GetAsArray1D(), batch.Terminated.GetAsArray1D(), actions, width, gamma, doubleDqn: true);
        double deviceLoss = learner.Loss.ReadLoss();
        Assert.True(Math.Abs(deviceLoss - loss) <= 1e-5 * Math.Abs(loss), $"loss {deviceLoss} vs CPU {loss}");
        AssertClose("gradient", store.Gradients, learner.Gradients.GetAsArray1D(), 1e-5 * MaxAbs(store.Gradients), 0);
        AssertClose("parameters", store.Values, learner.Parameters.GetAsArray1D(), 1e-3 * learningRate, 0);
    }

    [Fact]
    public void AnUpdateWithANonFiniteLossIsSkippedOnTheDevice()
    {
        const int batchSize = 9;
        var layers = new[] { new DeviceDenseLayer(4, 3, 0, 12), new DeviceDenseLayer(3, 2, 16, 22) };
        using var learner = new DeviceDqnLearner(fixture.Device, layers, 24, 4, 0, batchSize, new DeviceDqnOptions());
        var values = new float[24];
        values[12] = float.PositiveInfinity;
        learner.Parameters.CopyFromCPU(values);
        learner.TargetParameters.CopyFromCPU(values);
        using DeviceReplay replay = CollectCartPole(fixture.Device, 2);
        using DeviceBatch batch = replay.CreateBatch(batchSize);
        replay.SampleUniform(batch);
        learner.Update(batch);
        Assert.Equal(0, learner.Optimizer.ReadSteps());
        Assert.Equal(1, learner.Optimizer.ReadSkippedSteps());
        Assert.Equal(values, learner.Parameters.GetAsArray1D());
    }

    [Fact]
    public void MismatchedWidthsAreRefusedWithBothValues()
    {
        var layers = new[] { new DeviceDenseLayer(5, 3, 0, 16), new DeviceDenseLayer(3, 2, 24, 32) };
        var error = Assert.Throws<ArgumentException>(() => new DeviceDqnLearner(fixture.Device, layers, 40, 4, 0, 8, new DeviceDqnOptions()));
        Assert.Contains("reads 5 inputs but observation 4 + goal 0 = 4", error.Message, StringComparison.Ordinal);
        var chained = new[] { new DeviceDenseLayer(4, 3, 0, 16), new DeviceDenseLayer(4, 2, 24, 32) };
        error = Assert.Throws<ArgumentException>(() => new DeviceDqnLearner(fixture.Device, chained, 40, 4, 0, 8, new DeviceDqnOptions()));
        Assert.Contains("layer 1 reads 4 inputs but layer 0 has 3 outputs", error.Message, StringComparison.Ordinal);
        var outside = new[] { new DeviceDenseLayer(4, 3, 0, 38), new DeviceDenseLayer(3, 2, 24, 32) };
        error = Assert.Throws<ArgumentException>(() => new DeviceDqnLearner(fixture.Device, outside, 40, 4, 0, 8, new DeviceDqnOptions()));
        Assert.Contains("does not fit the 40 parameter values", error.Message, StringComparison.Ordinal);
        Assert.Equal("Gamma", Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceDqnOptions { Gamma = 2f }.Validate()).ParamName);

        var goalLayers = new[] { new DeviceDenseLayer(6, 3, 0, 24), new DeviceDenseLayer(3, 2, 32, 40) };
        using var learner = new DeviceDqnLearner(fixture.Device, goalLayers, 48, 4, 2, 8, new DeviceDqnOptions());
        using var replay = new DeviceReplay(fixture.Device, new DeviceReplayOptions { Capacity = 16, EnvCount = 1, ObservationWidth = 4, GoalWidth = 3, Seed = 1 });
        using DeviceBatch batch = replay.CreateBatch(8);
        error = Assert.Throws<ArgumentException>(() => learner.Update(batch));
        Assert.Equal("batch", error.ParamName);
        Assert.Contains("goals 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("the learner needs observations 4, goals 2", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Randomized CartPoles stepped with random actions into a device replay, all on the device.</summary>
    private static DeviceReplay CollectCartPole(GpuDevice device, int envs)
    {
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        using var env = new DeviceCartPole(device, envs, CartPolePhysicsRanges.CartPoleV1, maxEpisodeSteps: 10);
        using var assembler = new DeviceStepAssembler(device, envs, CartPoleRules.ObservationSize);
        var replay = new DeviceReplay(device, new DeviceReplayOptions { Capacity = envs * 64, EnvCount = envs, ObservationWidth = 4, Seed = 8 });
        using MemoryBuffer1D<int, Stride1D.Dense> tasks = accelerator.Allocate1D(new int[envs]);
        using MemoryBuffer1D<int, Stride1D.Dense> actions = accelerator.Allocate1D<int>(envs);
        var random = new System.Random(envs);
        env.Reset(4);
        for (int step = 0; step < 40; step++)
        {
            actions.CopyFromCPU(Enumerable.Range(0, envs).Select(_ => random.Next(2)).ToArray());
            assembler.Before(env.Observations.View);
            env.Step(actions.View);
            replay.Add(env.ReplayStep(assembler, actions.View, tasks.View));
        }

        replay.ThrowIfFaulted();
        return replay;
    }

    /// <summary>The device layers of a CPU layout of (weight, bias) pairs.</summary>
    private static List<DeviceDenseLayer> LayersOf(ParameterLayout layout)
    {
        var layers = new List<DeviceDenseLayer>();
        for (int s = 0; s < layout.Slices.Count; s += 2)
        {
            ParameterSlice weight = layout.Slices[s], bias = layout.Slices[s + 1];
            layers.Add(new DeviceDenseLayer(weight.Rows, weight.Columns, weight.Offset, bias.Offset));
        }

        return layers;
    }

    /// <summary>
    /// DqnTrainer.Update's sequence on the CPU for one batch: Q_online(s′) (double DQN), Q_target(s′),
    /// Q_online(s), targets, Huber loss, ∂L/∂Q, ZeroGradients, Backward, Adam; returns the loss.
    /// </summary>
    private static double CpuUpdate(
        Sequential online, Sequential target, ParameterStore store, Adam adam, float[] current, float[] next, float[] rewards, float[] terminated,
        int[] actions, int actionCount, float gamma, bool doubleDqn)
    {
        int batchSize = rewards.Length;
        float[] onlineNext = doubleDqn ? online.Forward(next, batchSize).ToArray() : [];
        float[] targetNext = target.Forward(next, batchSize).ToArray();
        ReadOnlySpan<float> q = online.Forward(current, batchSize);
        var targets = new float[batchSize];
        var chosen = new float[batchSize];
        var chosenGradient = new float[batchSize];
        var qGradient = new float[batchSize * actionCount];
        TemporalDifference.Targets(rewards, terminated, targetNext, onlineNext, batchSize, actionCount, gamma, targets);
        TemporalDifference.Chosen(q, actions, batchSize, actionCount, chosen);
        double loss = Loss.Huber(chosen, targets, chosenGradient, batchSize);
        TemporalDifference.Scatter(chosenGradient, actions, batchSize, actionCount, qGradient);
        store.ZeroGradients();
        online.Backward(qGradient);
        Assert.True(adam.Step());
        return loss;
    }

    private static float[] SideBySide(float[] left, float[] right, int rows, int width)
    {
        var output = new float[rows * 2 * width];
        for (int i = 0; i < rows; i++)
        {
            left.AsSpan(i * width, width).CopyTo(output.AsSpan(i * 2 * width));
            right.AsSpan(i * width, width).CopyTo(output.AsSpan((i * 2 * width) + width));
        }

        return output;
    }

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();

    private static double MaxAbs(float[] values) => values.Max(v => Math.Abs((double)v));

    private static void AssertClose(string what, float[] expected, float[] actual, double tolerance, int update)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"update {update}: {what}[{i}] device {actual[i]}, CPU {expected[i]}");
        }
    }
}
