using System;
using System.Collections.Generic;
using System.Linq;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.GpuBenchmarks;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Learning;
using Mtrl.Kernels.Gpu.Networks;
using Mtrl.Kernels.Gpu.Optimization;
using Mtrl.Kernels.Gpu.Replay;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;
using Xunit;
using Xunit.Abstractions;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>
/// SAC updates on the device against <see cref="SacTrainer"/>'s own updates: a CPU trainer on
/// goal-conditioned PointMass (one or two tasks) is stepped until each of its first three updates;
/// the device learner starts from the parameters the trainer had before its first update and
/// makes each update on the batch the trainer drew (its replay's sample counter rewound and the
/// batch drawn again), with the same update numbers and seed, hence the same Philox noise
/// counters. After every update the actor, both critics, both targets and the temperatures agree
/// within 10⁻⁶·(1 + |value|), losses within 10⁻⁵ relative, optimizer step counts are equal. The
/// GEMMs sum in different orders and the normal draws use scalar instead of vector log / sin / cos,
/// so the match is within float rounding, not bit for bit.
/// </summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceSacLearnerTests(IlgpuCpuFixture fixture, ITestOutputHelper output)
{
    private const int Hidden = 8;

    public static TheoryData<TemperatureMode, int, bool, int, int, float, bool> Cases => new()
    {
        // mode, tasks, one-hot task input, actor every, target every, clip, Soft-Module weights
        { TemperatureMode.Learned, 1, false, 1, 1, 0f, false },
        { TemperatureMode.PerTask, 2, true, 2, 2, 0.5f, false },
        { TemperatureMode.PerTask, 3, true, 1, 1, 0f, true },
        { TemperatureMode.Fixed, 2, true, 1, 3, 10f, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachOfThreeUpdatesMatchesSacTrainersUpdate(TemperatureMode mode, int tasks, bool oneHot, int actorEvery, int targetEvery, float clip, bool softmaxWeights)
        => AssertUpdatesMatchSacTrainer(fixture.Device, mode, tasks, oneHot, actorEvery, targetEvery, clip, softmaxWeights, batchSize: 13, hidden: Hidden, tolerance: 1e-6, output.WriteLine);

    /// <summary>
    /// Three updates on <paramref name="device"/> against <see cref="SacTrainer"/>'s on PointMass: parameters, targets and
    /// temperatures within <paramref name="tolerance"/>·(1 + |value|) after each, losses within 10⁻⁵ relative, equal step counts.
    /// </summary>
    internal static void AssertUpdatesMatchSacTrainer(
        GpuDevice device, TemperatureMode mode, int tasks, bool oneHot, int actorEvery, int targetEvery, float clip, bool softmaxWeights,
        int batchSize, int hidden, double tolerance, Action<string> log)
    {
        const int envs = 4;
        var sac = new SacOptions
        {
            Gamma = 0.9, LearningRate = 1e-3f, ActorLearningRate = 2e-3f, AlphaLearningRate = 5e-3f, BatchSize = batchSize, Warmup = 120, TrainEvery = envs,
            GradientSteps = 1, Tau = 0.2f, ReplayCapacity = 1_024, Seed = 7, Alpha = mode, AlphaInit = 0.3, ActorUpdateEvery = actorEvery,
            TargetUpdateEvery = targetEvery, GradientClip = clip, LogStdMin = -5f, LogStdMax = 1f,
            LossWeighting = softmaxWeights ? TaskLossWeighting.AlphaSoftmax : TaskLossWeighting.Fixed,
            TaskWeights = mode == TemperatureMode.Fixed ? Enumerable.Range(0, tasks).Select(t => 0.5 + t).ToArray() : null,
        };
        PointMassVectorEnvironment environment = PointMass(envs, tasks);
        int observation = environment.ObservationSize, goal = environment.GoalSize, d = environment.ActionSpace.Dimensions;
        int oneHotWidth = oneHot ? tasks : 0;
        var builder = new ParameterLayoutBuilder();
        var actorChain = new SequentialBuilder(builder, "actor", observation + goal + oneHotWidth).Mlp(new[] { hidden, hidden }).Linear(2 * d);
        var criticChain = new SequentialBuilder(builder, "critic", observation + goal + oneHotWidth + d).Mlp(new[] { hidden }).Linear(1);
        ParameterLayout layout = builder.Build();
        var trainer = new SacTrainer(environment, layout,
            (store, rows) => new OneHotSacPolicy(actorChain.Bind(store, rows), layout, observation, goal, oneHotWidth, d),
            (store, rows) => new OneHotSacCritic(criticChain.Bind(store, rows), layout, observation, goal, oneHotWidth, d),
            sac);

        var options = new DeviceSacOptions
        {
            Gamma = (float)sac.Gamma, Tau = sac.Tau, Seed = sac.Seed, Alpha = mode, AlphaInit = sac.AlphaInit, AlphaLearningRate = sac.AlphaLearningRate!.Value,
            Actor = new DeviceAdamOptions(LearningRate: sac.ActorLearningRate!.Value, MaxGradientNorm: clip),
            Critic = new DeviceAdamOptions(LearningRate: sac.LearningRate, MaxGradientNorm: clip),
            ActorUpdateEvery = actorEvery, TargetUpdateEvery = targetEvery, TaskWeights = sac.TaskWeights, AlphaSoftmaxWeights = softmaxWeights,
            LogStdMin = sac.LogStdMin, LogStdMax = sac.LogStdMax,
        };
        using var learner = new DeviceSacLearner(
            device, LayersOf(layout, "actor"), LayersOf(layout, "critic"), layout.Length, new DeviceSacShape(observation, goal, tasks, oneHot), batchSize, options);
        using var replay = new DeviceReplay(device, new DeviceReplayOptions
        {
            Capacity = 64, EnvCount = envs, ObservationWidth = observation, ActionWidth = d, GoalWidth = goal, TaskCount = tasks, Seed = 1,
        });
        using DeviceBatch batch = replay.CreateBatch(batchSize);
        Mtrl.Runtime.Replay.ReplayBatch cpuBatch = trainer.Replay.CreateBatch(batchSize);

        bool uploaded = false;
        for (int update = 0; update < 3; update++)
        {
            // Step the trainer to its next update, keeping what the update started from.
            ulong counter = trainer.Replay.RandomCounter;
            float[] before = [], twinBefore = [], targetBefore = [], twinTargetBefore = [];
            while (trainer.Updates == update)
            {
                counter = trainer.Replay.RandomCounter;
                before = (float[])trainer.Parameters.Values.Clone();
                twinBefore = (float[])trainer.TwinParameters.Values.Clone();
                targetBefore = (float[])trainer.TargetParameters.Values.Clone();
                twinTargetBefore = (float[])trainer.TwinTargetParameters.Values.Clone();
                trainer.Step();
            }

            Assert.Equal(update + 1, trainer.Updates);
            if (!uploaded)
            {
                learner.Parameters.CopyFromCPU(before);
                learner.TwinParameters.CopyFromCPU(twinBefore);
                learner.TargetParameters.CopyFromCPU(targetBefore);
                learner.TwinTargetParameters.CopyFromCPU(twinTargetBefore);
                uploaded = true;
            }
            else
            {
                // The device kept its own state since the first update: it must still be where the trainer started this one.
                AssertClose("parameters before", before, learner.Parameters.GetAsArray1D(), update, tolerance);
            }

            // The batch this update trained on, drawn again at its counter.
            ulong after = trainer.Replay.RandomCounter;
            SetRandomCounter(trainer.Replay, counter);
            trainer.Replay.SampleUniform(cpuBatch);
            Assert.Equal(after, trainer.Replay.RandomCounter);
            Upload(cpuBatch, batch);
            learner.Update(batch);

            (double criticLoss, double actorLoss) = learner.ReadLosses();
            log($"update {update}: critic loss CPU {trainer.LastLoss:R} device {criticLoss:R}; actor loss CPU {trainer.LastActorLoss:R} device {actorLoss:R}");
            log($"  max |Δ| actor+critic {MaxDifference(trainer.Parameters.Values, learner.Parameters.GetAsArray1D()):G3}, twin {MaxDifference(trainer.TwinParameters.Values, learner.TwinParameters.GetAsArray1D()):G3}, log α {MaxDifference(trainer.LogAlpha.ToArray(), learner.LogAlpha.GetAsArray1D()):G3}");
            Assert.True(Math.Abs(criticLoss - trainer.LastLoss) <= 1e-5 * Math.Abs(trainer.LastLoss), $"update {update}: critic loss {criticLoss} vs {trainer.LastLoss}");
            Assert.True(Math.Abs(actorLoss - trainer.LastActorLoss) <= 1e-5 * Math.Max(1e-3, Math.Abs(trainer.LastActorLoss)), $"update {update}: actor loss {actorLoss} vs {trainer.LastActorLoss}");
            AssertClose("parameters", trainer.Parameters.Values, learner.Parameters.GetAsArray1D(), update, tolerance);
            AssertClose("twin parameters", trainer.TwinParameters.Values, learner.TwinParameters.GetAsArray1D(), update, tolerance);
            AssertClose("target parameters", trainer.TargetParameters.Values, learner.TargetParameters.GetAsArray1D(), update, tolerance);
            AssertClose("twin target parameters", trainer.TwinTargetParameters.Values, learner.TwinTargetParameters.GetAsArray1D(), update, tolerance);
            AssertClose("log alpha", trainer.LogAlpha.ToArray(), learner.LogAlpha.GetAsArray1D(), update, tolerance);
            if (mode != TemperatureMode.Fixed && update % actorEvery == 0)
            {
                double alphaLoss = learner.AlphaLoss.GetAsArray1D()[0];
                Assert.True(Math.Abs(alphaLoss - trainer.LastAlphaLoss) <= 1e-5 * Math.Max(1e-3, Math.Abs(trainer.LastAlphaLoss)), $"update {update}: alpha loss {alphaLoss} vs {trainer.LastAlphaLoss}");
            }

            Assert.Equal(trainer.ActorOptimizer.Steps, learner.ActorOptimizer.ReadSteps());
            Assert.Equal(trainer.CriticOptimizer.Steps, learner.CriticOptimizer.ReadSteps());
            Assert.Equal(trainer.TwinOptimizer.Steps, learner.TwinOptimizer.ReadSteps());
            Assert.Equal(trainer.SkippedUpdates, learner.ActorOptimizer.ReadSkippedSteps() + learner.CriticOptimizer.ReadSkippedSteps());
        }

        Assert.Equal(mode == TemperatureMode.Fixed, learner.TemperatureOptimizer is null);
        float initialLogAlpha = (float)Math.Log(sac.AlphaInit);
        Assert.Equal(mode == TemperatureMode.Fixed, learner.LogAlpha.GetAsArray1D().All(v => v == initialLogAlpha));
        Assert.Equal((3 + actorEvery - 1) / actorEvery, learner.ActorOptimizer.ReadSteps());
        Assert.NotEqual(learner.Parameters.GetAsArray1D(), learner.TargetParameters.GetAsArray1D());
    }

    [Fact]
    public void TheNoiseIsTheCpuTrainersStreamAtTheUpdatesCounters()
    {
        // 5 rows × 3 dimensions = 15 draws: not a whole number of Philox blocks.
        const int rows = 5, d = 3;
        var actor = new[] { new DeviceDenseLayer(4, 2 * d, 0, 24) };
        var critic = new[] { new DeviceDenseLayer(4 + d, 1, 32, 40) };
        var options = new DeviceSacOptions { Seed = 11, ActorUpdateEvery = 1 };
        using var learner = new DeviceSacLearner(fixture.Device, actor, critic, 48, new DeviceSacShape(4), rows, options);
        using var replay = new DeviceReplay(fixture.Device, new DeviceReplayOptions { Capacity = 8, EnvCount = 1, ObservationWidth = 4, ActionWidth = d, Seed = 1 });
        using DeviceBatch batch = replay.CreateBatch(rows);
        batch.Observations.CopyFromCPU(new float[rows * 4]);
        batch.NextObservations.CopyFromCPU(new float[rows * 4]);
        batch.Actions.CopyFromCPU(new float[rows * d]);
        batch.Rewards.CopyFromCPU(new float[rows]);
        batch.Terminated.CopyFromCPU(new float[rows]);
        batch.TaskIds.CopyFromCPU(new int[rows]);
        ulong counters = PhiloxFill.CountersForFloats(rows * d);
        for (int update = 0; update < 3; update++)
        {
            learner.Update(batch);
            AssertNormalStream(learner.Noise.GetAsArray1D(), options.Seed, (ulong)update * 2 * counters, $"update {update} target noise");
            AssertNormalStream(learner.ActorNoise.GetAsArray1D(), options.Seed, ((ulong)update * 2 + 1) * counters, $"update {update} actor noise");
        }
    }

    [Fact]
    public void AnUpdateWithANonFiniteTargetSkipsTheCriticsActorAndTemperatureStepsOnTheDevice()
    {
        const int rows = 6, d = 2;
        var actor = new[] { new DeviceDenseLayer(3, 2 * d, 0, 16) };
        var critic = new[] { new DeviceDenseLayer(3 + d, 1, 24, 32) };
        using var learner = new DeviceSacLearner(fixture.Device, actor, critic, 40, new DeviceSacShape(3), rows, new DeviceSacOptions());
        var values = Enumerable.Range(0, 40).Select(i => 0.01f * (i % 7)).ToArray();
        learner.Parameters.CopyFromCPU(values);
        learner.TwinParameters.CopyFromCPU(values);
        learner.TargetParameters.CopyFromCPU(values);
        learner.TwinTargetParameters.CopyFromCPU(values);
        using var replay = new DeviceReplay(fixture.Device, new DeviceReplayOptions { Capacity = 8, EnvCount = 1, ObservationWidth = 3, ActionWidth = d, Seed = 1 });
        using DeviceBatch batch = replay.CreateBatch(rows);
        batch.Observations.CopyFromCPU(Enumerable.Repeat(0.5f, rows * 3).ToArray());
        batch.NextObservations.CopyFromCPU(Enumerable.Repeat(0.5f, rows * 3).ToArray());
        batch.Actions.CopyFromCPU(new float[rows * d]);
        batch.Rewards.CopyFromCPU(new[] { 0f, 1f, float.PositiveInfinity, 0f, 0f, 0f });
        batch.Terminated.CopyFromCPU(new float[rows]);
        batch.TaskIds.CopyFromCPU(new int[rows]);
        float[] logAlpha = learner.LogAlpha.GetAsArray1D();
        learner.Update(batch);

        // The critics' losses are ∞, so are their steps' gates; the actor step reads finite critics and proceeds.
        Assert.Equal(0, learner.CriticOptimizer.ReadSteps());
        Assert.Equal(1, learner.CriticOptimizer.ReadSkippedSteps());
        Assert.Equal(1, learner.TwinOptimizer.ReadSkippedSteps());
        Assert.Equal(1, learner.ActorOptimizer.ReadSteps());
        float[] after = learner.Parameters.GetAsArray1D();
        Assert.Equal(values.AsSpan(learner.CriticSpan.Start, learner.CriticSpan.Length).ToArray(), after.AsSpan(learner.CriticSpan.Start, learner.CriticSpan.Length).ToArray());
        Assert.NotEqual(logAlpha, learner.LogAlpha.GetAsArray1D());

        // A task id outside [0, T) makes that row's temperature NaN: actor and temperature steps are skipped too.
        batch.Rewards.CopyFromCPU(new float[rows]);
        batch.TaskIds.CopyFromCPU(new[] { 0, 0, 0, 5, 0, 0 });
        logAlpha = learner.LogAlpha.GetAsArray1D();
        float[] actorBefore = learner.Parameters.GetAsArray1D();
        learner.Update(batch);
        Assert.Equal(1, learner.ActorOptimizer.ReadSkippedSteps());
        Assert.Equal(1, learner.TemperatureOptimizer!.ReadSkippedSteps());
        Assert.Equal(logAlpha, learner.LogAlpha.GetAsArray1D());
        Assert.Equal(actorBefore.AsSpan(learner.ActorSpan.Start, learner.ActorSpan.Length).ToArray(), learner.Parameters.GetAsArray1D().AsSpan(learner.ActorSpan.Start, learner.ActorSpan.Length).ToArray());
        Assert.True(double.IsNaN(learner.AlphaLoss.GetAsArray1D()[1]));
    }

    [Fact]
    public void BadShapesAreRefusedWithTheValues()
    {
        var actor = new[] { new DeviceDenseLayer(4, 4, 0, 16) };
        var critic = new[] { new DeviceDenseLayer(6, 1, 24, 32) };
        var shape = new DeviceSacShape(4);
        var error = Assert.Throws<ArgumentException>(() => new DeviceSacLearner(fixture.Device, new[] { new DeviceDenseLayer(4, 3, 0, 12) }, critic, 40, shape, 8, new DeviceSacOptions()));
        Assert.Contains("writes 3 values per row", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => new DeviceSacLearner(fixture.Device, actor, critic, 40, new DeviceSacShape(3, 0, 2, true), 8, new DeviceSacOptions()));
        Assert.Contains("reads 4 inputs but observation 3 + goal 0 + one-hot task 2 = 5", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => new DeviceSacLearner(fixture.Device, actor, new[] { new DeviceDenseLayer(5, 1, 24, 32) }, 40, shape, 8, new DeviceSacOptions()));
        Assert.Contains("needs observation 4 + goal 0 + action 2 = 6 inputs", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => new DeviceSacLearner(fixture.Device, actor, new[] { new DeviceDenseLayer(6, 1, 8, 20) }, 40, shape, 8, new DeviceSacOptions()));
        Assert.Contains("overlap", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<ArgumentException>(() => new DeviceSacLearner(fixture.Device, actor, critic, 40, new DeviceSacShape(4, 0, 2), 8, new DeviceSacOptions { TaskWeights = new[] { 1.0 } }));
        Assert.Contains("TaskWeights has 1 weights; the shape has 2 tasks", error.Message, StringComparison.Ordinal);
        Assert.Equal("AlphaSoftmaxWeights", Assert.Throws<ArgumentException>(() => new DeviceSacOptions { AlphaSoftmaxWeights = true }.Validate()).ParamName);
        Assert.Equal("Tau", Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceSacOptions { Tau = 0f }.Validate()).ParamName);

        using var learner = new DeviceSacLearner(fixture.Device, actor, critic, 40, shape, 8, new DeviceSacOptions());
        using var replay = new DeviceReplay(fixture.Device, new DeviceReplayOptions { Capacity = 16, EnvCount = 1, ObservationWidth = 4, ActionWidth = 3, Seed = 1 });
        using DeviceBatch batch = replay.CreateBatch(8);
        error = Assert.Throws<ArgumentException>(() => learner.Update(batch));
        Assert.Equal("batch", error.ParamName);
        Assert.Contains("the learner needs observations 4, goals 0 and actions 2", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The draws equal the CPU fill within float rounding, and each equals the float64 Box–Muller of its own Philox words (so no value took another's words).</summary>
    private static void AssertNormalStream(float[] device, ulong seed, ulong counter, string what)
    {
        var cpu = new float[device.Length];
        PhiloxFill.Normal(cpu, seed, DeviceSacLearner.NoiseStream, counter);
        for (int e = 0; e < device.Length; e++)
        {
            PhiloxBlock block = Philox4x32.Generate(seed, DeviceSacLearner.NoiseStream, counter + (ulong)(e / 4));
            bool firstPair = e % 4 < 2;
            double radius = Math.Sqrt(-2.0 * Math.Log((((firstPair ? block.X0 : block.X2) >> 8) + 1) / 16777216.0));
            double angle = 2 * Math.PI * (((firstPair ? block.X1 : block.X3) >> 8) / 16777216.0);
            double reference = radius * (e % 2 == 0 ? Math.Cos(angle) : Math.Sin(angle));
            Assert.True(Math.Abs(device[e] - cpu[e]) <= 1e-6 * (1 + Math.Abs(cpu[e])), $"{what}[{e}]: device {device[e]}, CPU {cpu[e]}");
            Assert.True(Math.Abs(device[e] - reference) <= 2e-6 * (1 + Math.Abs(reference)), $"{what}[{e}]: device {device[e]}, float64 Box–Muller of its words {reference}");
        }
    }

    private static PointMassVectorEnvironment PointMass(int environments, int tasks)
    {
        var suite = new List<PointMassTask>();
        for (int t = 0; t < tasks; t++)
        {
            suite.Add(PointMassTaskSuite.Ten[t]);
        }

        return new PointMassVectorEnvironment(environments, new PointMassOptions { Tasks = suite, MaxEpisodeSteps = 12 });
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

    private static void Upload(Mtrl.Runtime.Replay.ReplayBatch cpu, DeviceBatch device)
    {
        device.Observations.CopyFromCPU(cpu.Observations);
        device.NextObservations.CopyFromCPU(cpu.NextObservations);
        device.Actions.CopyFromCPU(cpu.Actions);
        device.Rewards.CopyFromCPU(cpu.Rewards);
        device.Terminated.CopyFromCPU(cpu.Terminated);
        device.TaskIds.CopyFromCPU(cpu.TaskIds);
        device.DesiredGoals.CopyFromCPU(cpu.DesiredGoals);
    }

    private static void SetRandomCounter(Mtrl.Runtime.Replay.ReplayBuffer replay, ulong counter)
        => typeof(Mtrl.Runtime.Replay.ReplayBuffer).GetProperty(nameof(Mtrl.Runtime.Replay.ReplayBuffer.RandomCounter))!.SetValue(replay, counter);

    private static double MaxDifference(ReadOnlySpan<float> a, float[] b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        }

        return max;
    }

    private static void AssertClose(string what, ReadOnlySpan<float> expected, float[] actual, int update, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"update {update}: {what}[{i}] device {actual[i]}, CPU {expected[i]}");
        }
    }
}
