using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Environments;
using Mtrl.Kernels.Gpu.Learning;
using Mtrl.Kernels.Gpu.Networks;
using Mtrl.Kernels.Gpu.Optimization;
using Mtrl.Kernels.Gpu.Training;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Replay;
using Xunit;
using Xunit.Abstractions;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>
/// The device DQN loop against the CPU <see cref="DqnTrainer"/> run for run: both start from the
/// same parameters and seed and are stepped in lockstep. Integer results — every step's actions,
/// episode ends, update counts, the replay slots of every batch (and HER goal slots), target
/// updates and the logged episodes — must be identical; float results within stated tolerances.
/// </summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceDqnTrainingTests(IlgpuCpuFixture fixture, ITestOutputHelper output)
{
    private static readonly FieldInfo ChosenActions = typeof(DqnTrainer).GetField("_chosenActions", BindingFlags.NonPublic | BindingFlags.Instance)!;
    private static readonly FieldInfo LoopField = typeof(DqnTrainer).GetField("_loop", BindingFlags.NonPublic | BindingFlags.Instance)!;

    [Fact]
    public void CartPoleRunMatchesTheCpuTrainerStepForStep()
    {
        const int envs = 4, vectorSteps = 150;
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "q", CartPoleRules.ObservationSize).Mlp(new[] { 16, 8 }).Linear(2);
        ParameterLayout layout = builder.Build();
        var dqn = new DqnOptions
        {
            Gamma = 0.9, LearningRate = 1e-3f, BatchSize = 16, Warmup = 40, TrainEvery = 4, GradientSteps = 1, TargetUpdateEvery = 64,
            EpsilonDecaySteps = 300, ReplayCapacity = 1_024, Seed = 7, Steps = envs * vectorSteps,
        };
        var cpuEnvironment = new CartPoleVectorEnvironment(envs);
        var trainer = new DqnTrainer(cpuEnvironment, layout, (store, rows) => new SequentialQNetwork(chain.Bind(store, rows), CartPoleRules.ObservationSize), dqn);

        using var environment = new DeviceCartPole(fixture.Device, envs, CartPolePhysicsRanges.CartPoleV1);
        using var training = new DeviceDqnTraining(fixture.Device, environment, LayersOf(layout), trainer.Parameters.Values, DeviceOptions(dqn));

        RunInLockstep(trainer, cpuEnvironment, training, environment, vectorSteps, observationTolerance: 1e-4f);
        AssertLearnedAlike(trainer, training, parameterTolerance: 1e-4f);
    }

    [Fact]
    public void MultiTaskCartPoleWithTaskBalancedBatchesMatchesTheCpuTrainerStepForStep()
    {
        const int envs = 4, vectorSteps = 100;
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "q", CartPoleRules.ObservationSize).Mlp(new[] { 12 }).Linear(2);
        ParameterLayout layout = builder.Build();
        var dqn = new DqnOptions
        {
            Gamma = 0.95, LearningRate = 1e-3f, BatchSize = 15, Warmup = 48, TrainEvery = 4, GradientSteps = 1, TargetUpdateEvery = 56,
            EpsilonDecaySteps = 200, ReplayCapacity = 800, Seed = 21, Steps = envs * vectorSteps, Sampling = ReplaySampling.TaskBalanced,
        };
        var cpuEnvironment = new CartPoleVectorEnvironment(envs, new CartPoleOptions { Tasks = CartPoleTaskSuite.Two });
        var trainer = new DqnTrainer(cpuEnvironment, layout, (store, rows) => new SequentialQNetwork(chain.Bind(store, rows), CartPoleRules.ObservationSize), dqn);
        int[] taskIds = cpuEnvironment.Buffers.TaskIds.ToArray();
        Assert.Equal(new[] { 0, 1, 0, 1 }, taskIds);

        using var environment = new DeviceCartPole(fixture.Device, CartPoleTaskSuite.Two.ToArray(), taskIds);
        DeviceDqnTrainingOptions options = DeviceOptions(dqn) with { Sampling = DeviceReplaySampling.TaskBalanced };
        using var training = new DeviceDqnTraining(fixture.Device, environment, LayersOf(layout), trainer.Parameters.Values, options, taskIds, taskCount: 2);

        RunInLockstep(trainer, cpuEnvironment, training, environment, vectorSteps, observationTolerance: 1e-4f);
        AssertLearnedAlike(trainer, training, parameterTolerance: 1e-4f);
    }

    [Fact]
    public void BitFlipRunWithHindsightRelabelingMatchesTheCpuTrainerStepForStep()
    {
        const int envs = 3, bits = 6, vectorSteps = 80;
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "q", 2 * bits).Mlp(new[] { 24 }).Linear(bits);
        ParameterLayout layout = builder.Build();
        var dqn = new DqnOptions
        {
            Gamma = 0.9, LearningRate = 1e-3f, BatchSize = 20, Warmup = 30, TrainEvery = 4, GradientSteps = 2, TargetUpdateEvery = 50, Tau = 0.5f,
            EpsilonDecaySteps = 200, ReplayCapacity = 300, Seed = 11, Steps = envs * vectorSteps, Her = new HerOptions(HerGoalStrategy.Future, 4),
        };
        var cpuEnvironment = new BitFlipVectorEnvironment(envs, bits);
        var trainer = new DqnTrainer(cpuEnvironment, layout, (store, rows) => new SequentialQNetwork(chain.Bind(store, rows), bits, bits), dqn);

        using var environment = new DeviceBitFlip(fixture.Device, envs, bits, bits);
        DeviceDqnTrainingOptions options = DeviceOptions(dqn) with
        {
            Her = new DeviceHerSettings(HerGoalStrategy.Future, 4, new ThresholdGoalReward(0f, terminateOnSuccess: true)),
        };
        using var training = new DeviceDqnTraining(fixture.Device, environment, LayersOf(layout), trainer.Parameters.Values, options);

        RunInLockstep(trainer, cpuEnvironment, training, environment, vectorSteps, observationTolerance: 0f);
        AssertLearnedAlike(trainer, training, parameterTolerance: 1e-4f);
    }

    [Fact]
    public void ALoopWithoutUpdatesNeverReadsQValuesAndCountsNothing()
    {
        // Warm-up longer than the run: every action is random, so the device never runs the network.
        var builder = new ParameterLayoutBuilder();
        new SequentialBuilder(builder, "q", CartPoleRules.ObservationSize).Mlp(new[] { 4 }).Linear(2);
        ParameterLayout layout = builder.Build();
        var store = new ParameterStore(layout);
        store.Initialize(1);
        using var environment = new DeviceCartPole(fixture.Device, 2, CartPolePhysicsRanges.CartPoleV1);
        var options = new DeviceDqnTrainingOptions { Warmup = 1_000, Steps = 40, BatchSize = 4, ReplayCapacity = 64, Seed = 3 };
        using var training = new DeviceDqnTraining(fixture.Device, environment, LayersOf(layout), store.Values, options);
        training.Train();
        Assert.Equal(40, training.Transitions);
        Assert.Equal(0, training.Updates);
        Assert.Equal(0, training.Learner.Optimizer.ReadSteps());
        Assert.Equal(store.Values, training.Learner.Parameters.GetAsArray1D());
        Assert.All(training.Actions.GetAsArray1D(), a => Assert.InRange(a, 0, 1));
    }

    [Fact]
    public void BadOptionsAndMismatchedNetworksAreRefusedWithTheirNames()
    {
        var builder = new ParameterLayoutBuilder();
        new SequentialBuilder(builder, "q", CartPoleRules.ObservationSize).Mlp(new[] { 4 }).Linear(3);
        ParameterLayout layout = builder.Build();
        var values = new float[layout.Length];
        using var environment = new DeviceCartPole(fixture.Device, 2, CartPolePhysicsRanges.CartPoleV1);
        var actions = Assert.Throws<ArgumentException>(() => new DeviceDqnTraining(fixture.Device, environment, LayersOf(layout), values, new DeviceDqnTrainingOptions()));
        Assert.Contains("3 Q values per row but the environment has 2 actions", actions.Message);
        var her = Assert.Throws<ArgumentException>(() => new DeviceDqnTrainingOptions
        {
            Sampling = DeviceReplaySampling.TaskBalanced, Her = new DeviceHerSettings(HerGoalStrategy.Future, 4, new ThresholdGoalReward(0f, true)),
        }.Validate());
        Assert.Contains("Uniform sampling only", her.Message);
        var tau = Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceDqnTrainingOptions { Tau = 0f }.Validate());
        Assert.Equal("Tau", tau.ParamName);
    }

    /// <summary>The CPU options as device options.</summary>
    internal static DeviceDqnTrainingOptions DeviceOptions(DqnOptions dqn) => new()
    {
        Seed = dqn.Seed, Steps = dqn.Steps, Warmup = dqn.Warmup, TrainEvery = dqn.TrainEvery, GradientSteps = dqn.GradientSteps, BatchSize = dqn.BatchSize,
        ReplayCapacity = dqn.ReplayCapacity, TargetUpdateEvery = dqn.TargetUpdateEvery, Tau = dqn.Tau, EpsilonStart = dqn.EpsilonStart, EpsilonEnd = dqn.EpsilonEnd,
        EpsilonDecaySteps = dqn.EpsilonDecaySteps,
        Learner = new DeviceDqnOptions
        {
            Gamma = (float)dqn.Gamma, Double = dqn.Double, Adam = new DeviceAdamOptions(LearningRate: dqn.LearningRate, MaxGradientNorm: dqn.GradientClip),
        },
    };

    /// <summary>Steps both runs together, asserting equal actions, episode ends, updates and batch slots at every step.</summary>
    private void RunInLockstep(
        DqnTrainer trainer, IVectorEnvironment cpuEnvironment, DeviceDqnTraining training, IDeviceDiscreteEnvironment environment, int vectorSteps, float observationTolerance)
    {
        var loop = (OffPolicyLoop)LoopField.GetValue(trainer)!;
        int greedySteps = 0;
        for (int step = 0; step < vectorSteps; step++)
        {
            long updatesBefore = trainer.Updates;
            bool greedy = trainer.Epsilon < 1.0;
            trainer.Step();
            training.Step();
            Assert.Equal((int[])ChosenActions.GetValue(trainer)!, training.Actions.GetAsArray1D());
            Assert.Equal(cpuEnvironment.Buffers.Terminated.Select(f => f ? 1f : 0f), Read(environment.TerminatedView));
            Assert.Equal(cpuEnvironment.Buffers.Truncated.Select(f => f ? 1f : 0f), Read(environment.TruncatedView));
            float[] observations = Read(environment.ObservationView);
            for (int k = 0; k < observations.Length; k++)
            {
                Assert.True(Math.Abs(observations[k] - cpuEnvironment.Buffers.Observations[k]) <= observationTolerance, $"step {step}: observation {k} {observations[k]} vs CPU {cpuEnvironment.Buffers.Observations[k]}");
            }

            Assert.Equal(trainer.Updates, training.Updates);
            Assert.Equal(trainer.Transitions, training.Transitions);
            if (trainer.Updates > updatesBefore)
            {
                // The last batch of the step: the same slots (and relabeling goals) on both.
                Assert.Equal(loop.Batch.Slots, training.Loop.Batch.Slots.GetAsArray1D());
                if (training.Options.Her is not null)
                {
                    int first = training.Loop.Batch.RelabeledStart;
                    Assert.Equal(loop.Batch.GoalSlots.AsSpan(first).ToArray(), training.Loop.Batch.GoalSlots.GetAsArray1D().AsSpan(first).ToArray());
                    Assert.Equal(loop.Batch.Rewards, training.Loop.Batch.Rewards.GetAsArray1D());
                }
            }

            greedySteps += greedy ? 1 : 0;
        }

        training.Loop.Replay.ThrowIfFaulted();
        output.WriteLine($"{vectorSteps} vector steps, {greedySteps} with greedy actions, {trainer.Updates} updates, {trainer.Episodes.Episodes} episodes");
        Assert.True(trainer.Updates > 20, "the run must make updates");
        Assert.True(greedySteps > vectorSteps / 2, "most steps must act from the network");

        // The device's episode log holds the CPU loop's episodes, in its order.
        var statistics = new EpisodeStatistics();
        EpisodeStatistics[] perTask = Enumerable.Range(0, training.Loop.TaskCount).Select(_ => new EpisodeStatistics(OffPolicyLoop.TaskWindow)).ToArray();
        DeviceEpisodeBatch episodes = training.Loop.Episodes.ReadNew();
        Assert.Empty(episodes.Omitted);
        foreach (DeviceEpisodeRecord record in episodes.Episodes)
        {
            statistics.Add(record.Return, record.Length, record.Terminated);
            perTask[record.Task].Add(record.Return, record.Length, record.Terminated);
        }

        AssertSameStatistics(trainer.Episodes, statistics);
        Assert.Equal(trainer.TaskEpisodes.Length, perTask.Length);
        for (int t = 0; t < perTask.Length; t++)
        {
            AssertSameStatistics(trainer.TaskEpisodes[t], perTask[t]);
        }

        Assert.Empty(training.Loop.Episodes.ReadNew().Episodes);
    }

    private static void AssertSameStatistics(EpisodeStatistics expected, EpisodeStatistics actual)
    {
        Assert.Equal(expected.Episodes, actual.Episodes);
        Assert.Equal(expected.MeanReturn, actual.MeanReturn);
        Assert.Equal(expected.MeanLength, actual.MeanLength);
        Assert.Equal(expected.TerminationRate, actual.TerminationRate);
    }

    /// <summary>Loss, parameters and target parameters within tolerance; equal optimizer step counts.</summary>
    private void AssertLearnedAlike(DqnTrainer trainer, DeviceDqnTraining training, float parameterTolerance)
    {
        double loss = training.Learner.Loss.ReadLoss();
        float[] parameters = training.Learner.Parameters.GetAsArray1D();
        float[] target = training.Learner.TargetParameters.GetAsArray1D();
        float parameterDifference = MaxDifference(trainer.Parameters.Values, parameters);
        float targetDifference = MaxDifference(trainer.TargetParameters.Values, target);
        output.WriteLine($"last loss CPU {trainer.LastLoss:R} device {loss:R}; max |Δ| parameters {parameterDifference:G3}, target {targetDifference:G3}");
        Assert.True(Math.Abs(loss - trainer.LastLoss) <= 1e-3 * Math.Abs(trainer.LastLoss) + 1e-6, $"loss {loss} vs CPU {trainer.LastLoss}");
        Assert.True(parameterDifference <= parameterTolerance, $"parameters differ by {parameterDifference}");
        Assert.True(targetDifference <= parameterTolerance, $"target parameters differ by {targetDifference}");
        Assert.NotEqual(parameters, target);
        Assert.Equal(trainer.Optimizer.Steps, training.Learner.Optimizer.ReadSteps());
        Assert.Equal(trainer.SkippedUpdates, training.Learner.Optimizer.ReadSkippedSteps());
    }

    private static float[] Read(ArrayView<float> view) => ArrayViewExtensions.GetAsArray1D((ArrayView1D<float, Stride1D.Dense>)view);

    private static float MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    /// <summary>A layout of alternating weight and bias slices as device dense layers.</summary>
    internal static List<DeviceDenseLayer> LayersOf(ParameterLayout layout)
    {
        var layers = new List<DeviceDenseLayer>();
        for (int s = 0; s < layout.Slices.Count; s += 2)
        {
            ParameterSlice weight = layout.Slices[s], bias = layout.Slices[s + 1];
            layers.Add(new DeviceDenseLayer(weight.Rows, weight.Columns, weight.Offset, bias.Offset));
        }

        return layers;
    }
}
