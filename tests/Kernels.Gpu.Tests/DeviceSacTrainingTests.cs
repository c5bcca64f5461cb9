using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.GpuBenchmarks;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Environments;
using Mtrl.Kernels.Gpu.Learning;
using Mtrl.Kernels.Gpu.Networks;
using Mtrl.Kernels.Gpu.Optimization;
using Mtrl.Kernels.Gpu.Training;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;
using Xunit;
using Xunit.Abstractions;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>
/// The device SAC loop against the CPU <see cref="SacTrainer"/> run for run on PointMass: both
/// start from the same four parameter arrays and seed and are stepped in lockstep. Integer results
/// — episode ends, transition and update counts, the replay slots of every batch, the episodes
/// logged — must be identical, and so must the warm-up's actions (bits). Once the actor acts, its
/// actions are sums the device's GEMM makes in another order, so actions, observations, rewards
/// and parameters are compared within 10⁻⁵ (absolute; relative to 1 + |x| for parameters): the
/// float rounding that compounds over ~100 Adam steps and the environments' integration was at
/// most 5·10⁻⁷ here (the test logs the largest differences seen), so the bound leaves a margin of
/// twenty for rounding while any logic difference (a draw, counter, schedule or input column)
/// changes values at the scale of the noise and learning rates, far above it.
/// </summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceSacTrainingTests(IlgpuCpuFixture fixture, ITestOutputHelper output)
{
    private const float Tolerance = 1e-5f;
    private static readonly FieldInfo NormalizedActions = typeof(ActorCriticTrainer).GetField("_normalizedActions", BindingFlags.NonPublic | BindingFlags.Instance)!;

    public static TheoryData<int, bool, TemperatureMode, int, int> Cases => new()
    {
        // tasks, one-hot task input, temperatures, actor every, target every
        { 1, false, TemperatureMode.Learned, 1, 1 },
        { 2, true, TemperatureMode.PerTask, 2, 2 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void PointMassRunMatchesTheCpuTrainerStepForStep(int tasks, bool oneHot, TemperatureMode mode, int actorEvery, int targetEvery)
    {
        const int envs = 4, vectorSteps = 60, hidden = 8;
        var suite = Enumerable.Range(0, tasks).Select(t => PointMassTaskSuite.Ten[t]).ToArray();
        var pointMass = new PointMassOptions { Tasks = suite, MaxEpisodeSteps = 12 };
        var cpuEnvironment = new PointMassVectorEnvironment(envs, pointMass);
        int observation = cpuEnvironment.ObservationSize, goal = cpuEnvironment.GoalSize, d = cpuEnvironment.ActionSpace.Dimensions;
        int oneHotWidth = oneHot ? tasks : 0;
        var builder = new ParameterLayoutBuilder();
        var actorChain = new SequentialBuilder(builder, "actor", observation + goal + oneHotWidth).Mlp(new[] { hidden, hidden }).Linear(2 * d);
        var criticChain = new SequentialBuilder(builder, "critic", observation + goal + oneHotWidth + d).Mlp(new[] { hidden }).Linear(1);
        ParameterLayout layout = builder.Build();
        var sac = new SacOptions
        {
            Gamma = 0.9, LearningRate = 1e-3f, ActorLearningRate = 2e-3f, AlphaLearningRate = 5e-3f, BatchSize = 16, Warmup = 40, TrainEvery = 2,
            GradientSteps = 1, Tau = 0.2f, ReplayCapacity = 1_024, Seed = 7, Alpha = mode, AlphaInit = 0.3, ActorUpdateEvery = actorEvery,
            TargetUpdateEvery = targetEvery, LogStdMin = -5f, LogStdMax = 1f, Steps = envs * vectorSteps,
        };
        var trainer = new SacTrainer(cpuEnvironment, layout,
            (store, rows) => new OneHotSacPolicy(actorChain.Bind(store, rows), layout, observation, goal, oneHotWidth, d),
            (store, rows) => new OneHotSacCritic(criticChain.Bind(store, rows), layout, observation, goal, oneHotWidth, d),
            sac);

        var parameters = new PointMassStepParameters(
            pointMass.TimeStep, pointMass.MaxForce, pointMass.ArenaHalfSize, pointMass.SuccessRadius, pointMass.SparseReward,
            pointMass.TerminateOnSuccess, pointMass.MaxEpisodeSteps, pointMass.GoalInObservation);
        int[] taskIds = Enumerable.Range(0, envs).Select(env => env % tasks).ToArray();
        using var environment = new DevicePointMass(fixture.Device, suite, taskIds, parameters);
        var options = new DeviceSacTrainingOptions
        {
            Seed = sac.Seed, Steps = sac.Steps, Warmup = sac.Warmup, TrainEvery = sac.TrainEvery, GradientSteps = sac.GradientSteps,
            BatchSize = sac.BatchSize, ReplayCapacity = sac.ReplayCapacity,
            Learner = new DeviceSacOptions
            {
                Gamma = (float)sac.Gamma, Tau = sac.Tau, Seed = sac.Seed, Alpha = mode, AlphaInit = sac.AlphaInit, AlphaLearningRate = sac.AlphaLearningRate!.Value,
                Actor = new DeviceAdamOptions(LearningRate: sac.ActorLearningRate!.Value),
                Critic = new DeviceAdamOptions(LearningRate: sac.LearningRate),
                ActorUpdateEvery = actorEvery, TargetUpdateEvery = targetEvery, LogStdMin = sac.LogStdMin, LogStdMax = sac.LogStdMax,
            },
        };
        using var training = new DeviceSacTraining(
            fixture.Device, environment, LayersOf(layout, "actor"), LayersOf(layout, "critic"), trainer.Parameters.Values, trainer.TwinParameters.Values,
            new DeviceSacShape(observation, goal, tasks, oneHot), options, taskIds);

        float worstAction = 0f, worstObservation = 0f;
        int warmupSteps = 0;
        for (int step = 0; step < vectorSteps; step++)
        {
            bool warmup = trainer.Loop.InWarmup;
            Assert.Equal(warmup, training.Loop.InWarmup);
            long updatesBefore = trainer.Updates;
            trainer.Step();
            training.Step();

            float[] cpuActions = ((float[])NormalizedActions.GetValue(trainer)!).AsSpan(0, envs * d).ToArray();
            float[] deviceActions = training.Actions.GetAsArray1D();
            if (warmup)
            {
                Assert.Equal(cpuActions, deviceActions);
                warmupSteps++;
            }
            else
            {
                worstAction = Math.Max(worstAction, AssertClose($"step {step}: actions", cpuActions, deviceActions, Tolerance));
            }

            Assert.Equal(cpuEnvironment.Buffers.Terminated.Select(f => f ? 1f : 0f), Read(((IDeviceVectorEnvironment)environment).TerminatedView));
            Assert.Equal(cpuEnvironment.Buffers.Truncated.Select(f => f ? 1f : 0f), Read(((IDeviceVectorEnvironment)environment).TruncatedView));
            worstObservation = Math.Max(worstObservation, AssertClose($"step {step}: observations", cpuEnvironment.Buffers.Observations, environment.Observations.GetAsArray1D(), Tolerance));
            AssertClose($"step {step}: rewards", cpuEnvironment.Buffers.Rewards, environment.Rewards.GetAsArray1D(), Tolerance);
            Assert.Equal(trainer.Transitions, training.Transitions);
            Assert.Equal(trainer.Updates, training.Updates);
            if (trainer.Updates > updatesBefore)
            {
                Assert.Equal(trainer.Loop.Batch.Slots, training.Loop.Batch.Slots.GetAsArray1D());
                Assert.Equal(trainer.Loop.Batch.TaskIds, training.Loop.Batch.TaskIds.GetAsArray1D());
            }
        }

        training.Loop.Replay.ThrowIfFaulted();
        Assert.Equal((int)(sac.Warmup / envs), warmupSteps);
        Assert.True(trainer.Updates >= 90, $"the run must make updates; it made {trainer.Updates}");

        double worstParameter = 0;
        worstParameter = Math.Max(worstParameter, AssertRelativelyClose("parameters", trainer.Parameters.Values, training.Learner.Parameters.GetAsArray1D()));
        worstParameter = Math.Max(worstParameter, AssertRelativelyClose("twin parameters", trainer.TwinParameters.Values, training.Learner.TwinParameters.GetAsArray1D()));
        worstParameter = Math.Max(worstParameter, AssertRelativelyClose("target parameters", trainer.TargetParameters.Values, training.Learner.TargetParameters.GetAsArray1D()));
        worstParameter = Math.Max(worstParameter, AssertRelativelyClose("twin target parameters", trainer.TwinTargetParameters.Values, training.Learner.TwinTargetParameters.GetAsArray1D()));
        worstParameter = Math.Max(worstParameter, AssertRelativelyClose("log alpha", trainer.LogAlpha.ToArray(), training.Learner.LogAlpha.GetAsArray1D()));
        Assert.Equal(trainer.ActorOptimizer.Steps, training.Learner.ActorOptimizer.ReadSteps());
        Assert.Equal(trainer.CriticOptimizer.Steps, training.Learner.CriticOptimizer.ReadSteps());
        Assert.Equal(trainer.TwinOptimizer.Steps, training.Learner.TwinOptimizer.ReadSteps());
        Assert.Equal(0, trainer.SkippedUpdates);
        Assert.Equal(0, training.Learner.ActorOptimizer.ReadSkippedSteps() + training.Learner.CriticOptimizer.ReadSkippedSteps());
        Assert.NotEqual(training.Learner.Parameters.GetAsArray1D(), training.Learner.TargetParameters.GetAsArray1D());
        (double criticLoss, double actorLoss) = training.Learner.ReadLosses();
        Assert.True(Math.Abs(criticLoss - trainer.LastLoss) <= 1e-3 * Math.Max(1e-3, Math.Abs(trainer.LastLoss)), $"critic loss {criticLoss} vs {trainer.LastLoss}");
        Assert.True(Math.Abs(actorLoss - trainer.LastActorLoss) <= 1e-3 * Math.Max(1e-3, Math.Abs(trainer.LastActorLoss)), $"actor loss {actorLoss} vs {trainer.LastActorLoss}");

        // The logged episodes are the CPU loop's: same count, envs, lengths and ends; returns within the rewards' rounding.
        List<DeviceEpisodeRecord> episodes = training.Loop.Episodes.ReadNew().Episodes.ToList();
        Assert.Equal(trainer.Episodes.Episodes, episodes.Count);
        Assert.True(episodes.Count > 10, "episodes must end (autoreset exercised)");
        Assert.Equal(trainer.Episodes.MeanLength, episodes.TakeLast(trainer.Episodes.Count).Average(e => (double)e.Length), 12);
        Assert.Equal(trainer.Episodes.MeanReturn, episodes.TakeLast(trainer.Episodes.Count).Average(e => e.Return), 3);
        output.WriteLine($"{vectorSteps} vector steps ({warmupSteps} warm-up), {trainer.Updates} updates, {episodes.Count} episodes; "
            + $"max |Δ| actions {worstAction:G3}, observations {worstObservation:G3}, parameters (relative to 1 + |x|) {worstParameter:G3}");
    }

    [Fact]
    public void TheLoopRefusesTheOtherKindOfAction()
    {
        var parameters = new PointMassStepParameters(0.1f, 1f, 1f, 0.1f, false, false, 10, false);
        using var pointMass = new DevicePointMass(fixture.Device, [PointMassTaskSuite.Ten[0]], [0, 0], parameters);
        using var loop = new DeviceOffPolicyLoop(fixture.Device, pointMass, new DeviceOffPolicyOptions { BatchSize = 4, ReplayCapacity = 16 }, [0, 0], 1);
        Assert.Equal(2, loop.Replay.Options.ActionWidth);
        using MemoryBuffer1D<int, Stride1D.Dense> indices = fixture.Device.Accelerator.Allocate1D<int>(2);
        var discrete = Assert.Throws<InvalidOperationException>(() => loop.EndStep(indices.View));
        Assert.Contains("continuous actions", discrete.Message, StringComparison.Ordinal);
        using MemoryBuffer1D<float, Stride1D.Dense> actions = fixture.Device.Accelerator.Allocate1D<float>(3);
        loop.BeginStep();
        var width = Assert.Throws<ArgumentException>(() => loop.EndStep(actions.View, actions.View));
        Assert.Contains("each needs N × d = 4", width.Message, StringComparison.Ordinal);

        using var cartPole = new DeviceCartPole(fixture.Device, 2, CartPolePhysicsRanges.CartPoleV1);
        using var discreteLoop = new DeviceOffPolicyLoop(fixture.Device, cartPole, new DeviceOffPolicyOptions { BatchSize = 4, ReplayCapacity = 16 }, default, 1);
        var continuous = Assert.Throws<InvalidOperationException>(() => discreteLoop.EndStep(actions.View, actions.View));
        Assert.Contains("discrete actions", continuous.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsRefuseALearnerSeedOtherThanTheRuns()
    {
        var options = new DeviceSacTrainingOptions { Seed = 3, Learner = new DeviceSacOptions { Seed = 4 } };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("Learner.Seed (4) must equal Seed (3)", error.Message, StringComparison.Ordinal);
        Assert.Equal(TrainingDefaults.ActorCriticTrainEvery, new DeviceSacTrainingOptions().TrainEvery);
    }

    private static float[] Read(ArrayView<float> view) => ArrayViewExtensions.GetAsArray1D((ArrayView1D<float, Stride1D.Dense>)view);

    private static float AssertClose(string what, ReadOnlySpan<float> expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        float worst = 0f;
        for (int i = 0; i < actual.Length; i++)
        {
            float difference = Math.Abs(expected[i] - actual[i]);
            Assert.True(difference <= tolerance, $"{what}[{i}]: device {actual[i]} vs CPU {expected[i]}");
            worst = Math.Max(worst, difference);
        }

        return worst;
    }

    private static double AssertRelativelyClose(string what, ReadOnlySpan<float> expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double difference = Math.Abs((double)expected[i] - actual[i]) / (1 + Math.Abs(expected[i]));
            Assert.True(difference <= Tolerance, $"{what}[{i}]: device {actual[i]} vs CPU {expected[i]}");
            worst = Math.Max(worst, difference);
        }

        return worst;
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
}
