using System;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Evaluation;
using Mtrl.Runtime.Replay;
using Xunit;
using Xunit.Abstractions;

namespace Mtrl.Runtime.Tests.Algorithms;

/// <summary>SAC and TD3: what they learn in a quick mode, their schedules, determinism and allocation.</summary>
public sealed class ActorCriticTrainerTests
{
    private readonly ITestOutputHelper _output;

    public ActorCriticTrainerTests(ITestOutputHelper output) => _output = output;

    private static SacOptions QuickSac => new() { BatchSize = 128, Warmup = 1_000, Seed = 3, LearningRate = 1e-3f, ReplayCapacity = 100_000, Gamma = 0.98 };

    [Fact]
    public void SacSolvesASinglePointMassTask()
    {
        var trainer = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(8, 1), QuickSac);
        trainer.Train(12_000);
        _output.WriteLine($"success {trainer.Episodes.TerminationRate:P0}, return {trainer.Episodes.MeanReturn:F2}, length {trainer.Episodes.MeanLength:F1}, α {trainer.AlphaOf(0):G3}");
        Assert.True(trainer.Episodes.TerminationRate >= 0.9, $"success {trainer.Episodes.TerminationRate:P0}");
    }

    [Fact]
    public void Td3WithHindsightRelabelingSolvesGoalPointMassWithSparseRewards()
    {
        var options = new Td3Options { BatchSize = 128, Warmup = 1_000, Seed = 3, ReplayCapacity = 100_000, Gamma = 0.98, Her = new HerOptions(HerGoalStrategy.Future, 4) };
        var trainer = ActorCriticAgents.Td3(ActorCriticAgents.PointMass(8, 1, sparse: true), options);
        trainer.Train(15_000);
        var greedy = new PolicyEvaluator(ActorCriticAgents.PointMass(4, 1, sparse: true), new EvaluationOptions { EpisodesPerTask = 20 }).EvaluateTrainer(trainer);
        _output.WriteLine($"success {trainer.Episodes.TerminationRate:P0}, return {trainer.Episodes.MeanReturn:F2}; greedy success {greedy.Success.Average:P0}");
        Assert.True(trainer.Episodes.TerminationRate >= 0.9, $"success {trainer.Episodes.TerminationRate:P0}");
        Assert.True(greedy.Success.Average >= 0.9, $"greedy success {greedy.Success.Average:P0}");
    }

    [Fact]
    public void MultiTaskSacWithPerTaskTemperaturesImprovesEveryTask()
    {
        const int Tasks = 4;
        var trainer = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(8, Tasks), QuickSac with
        {
            BatchSize = 256, Warmup = 2_000, Alpha = TemperatureMode.PerTask, Sampling = ReplaySampling.TaskBalanced,
        });
        trainer.Train(2_000);
        var early = Enumerable.Range(0, Tasks).Select(t => trainer.TaskEpisodes[t].TerminationRate).ToArray();
        trainer.Train(20_000);
        var greedy = new PolicyEvaluator(ActorCriticAgents.PointMass(Tasks, Tasks)).EvaluateTrainer(trainer);
        Assert.Equal(trainer.Transitions, greedy.Transitions);
        for (var t = 0; t < Tasks; t++)
        {
            var late = trainer.TaskEpisodes[t].TerminationRate;
            _output.WriteLine($"task {t}: success {early[t]:P0} → {late:P0}, greedy {greedy.Tasks[t].SuccessRate:P0} in {greedy.Tasks[t].MeanLength:F1} steps, α {trainer.AlphaOf(t):G3}");
            Assert.True(late >= 0.5 && late > early[t] + 0.3, $"task {t}: {early[t]:P0} → {late:P0}");
            Assert.Equal(10, greedy.Tasks[t].Episodes);
            Assert.True(greedy.Tasks[t].SuccessRate >= 0.5, $"task {t}: greedy success {greedy.Tasks[t].SuccessRate:P0}");
        }
        Assert.Equal(Tasks, trainer.LogAlpha.Length);
    }

    [Theory]
    [InlineData(10.0)]
    [InlineData(-10.0)]
    public void EachTemperatureMovesTowardItsTargetEntropy(double targetEntropy)
    {
        var trainer = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 2), QuickSac with
        {
            BatchSize = 32, Warmup = 100, Alpha = TemperatureMode.PerTask, TargetEntropy = targetEntropy, ReplayCapacity = 5_000,
        }, hidden: 16);
        trainer.Train(600);
        // An entropy above any the policy reaches raises α; one far below lowers it.
        for (var t = 0; t < 2; t++) Assert.True(targetEntropy > 0 ? trainer.LogAlpha[t] > 0.1f : trainer.LogAlpha[t] < -0.1f, $"log α_{t} = {trainer.LogAlpha[t]}");
    }

    [Fact]
    public void Td3UpdatesTheActorAndTargetsOnlyEveryPolicyDelayUpdates()
    {
        var trainer = ActorCriticAgents.Td3(ActorCriticAgents.PointMass(2, 1), new Td3Options { BatchSize = 16, Warmup = 32, PolicyDelay = 3, Seed = 1, ReplayCapacity = 1_000 }, hidden: 8);
        var actorSteps = 0;
        trainer.BeforeOptimizerStep = step => actorSteps += step == "actor" ? 1 : 0;
        while (trainer.Updates < 2) trainer.Step();
        Assert.Equal(0, actorSteps);
        Assert.Equal(trainer.Parameters.Values.Length, trainer.TargetParameters.Values.Length);
        var target = trainer.TargetParameters.Values.ToArray();
        Assert.NotEqual(trainer.Parameters.Values, target); // critics moved, targets did not
        while (trainer.Updates < 3) trainer.Step();
        Assert.Equal(1, actorSteps);
        Assert.NotEqual(target, trainer.TargetParameters.Values);
        while (trainer.Updates < 12) trainer.Step();
        Assert.Equal(4, actorSteps);
    }

    [Fact]
    public void Bfloat16ProductsReachEveryNetworkOfSacAndTd3()
    {
        var sacOptions = QuickSac with { BatchSize = 64, Warmup = 200, ReplayCapacity = 5_000, Gemm = GemmBackend.Bfloat16 };
        if (Gemm.Bfloat16Unavailable is { } reason)
        {
            var error = Assert.Throws<ArgumentException>(() => ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 2), sacOptions, hidden: 32));
            Assert.Contains(reason, error.Message, StringComparison.Ordinal);
            return;
        }

        using var one = new CpuAccelerator(1);
        using var two = new CpuAccelerator(2);
        var a = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 2, accelerator: one), sacOptions, hidden: 32, accelerator: one);
        var b = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 2, accelerator: two), sacOptions, hidden: 32, accelerator: two);
        var float32 = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 2, accelerator: one), sacOptions with { Gemm = GemmBackend.Auto }, hidden: 32, accelerator: one);
        a.Train(1_000);
        b.Train(1_000);
        float32.Train(1_000);
        Assert.True(a.Updates > 100);
        Assert.Equal(a.Parameters.Values, b.Parameters.Values);
        Assert.Equal(a.TwinParameters.Values, b.TwinParameters.Values);
        Assert.NotEqual(float32.Parameters.Values, a.Parameters.Values);
        Assert.NotEqual(float32.TwinParameters.Values, a.TwinParameters.Values);

        var td3Options = new Td3Options { BatchSize = 64, Warmup = 200, Seed = 2, ReplayCapacity = 5_000 };
        var c = ActorCriticAgents.Td3(ActorCriticAgents.PointMass(4, 2, accelerator: one), td3Options with { Gemm = GemmBackend.Bfloat16 }, hidden: 32, accelerator: one);
        var d = ActorCriticAgents.Td3(ActorCriticAgents.PointMass(4, 2, accelerator: one), td3Options, hidden: 32, accelerator: one);
        c.Train(1_000);
        d.Train(1_000);
        Assert.NotEqual(d.Parameters.Values, c.Parameters.Values);
    }

    [Fact]
    public void SameSeedGivesIdenticalParametersWithOneAndTwoThreads()
    {
        using var one = new CpuAccelerator(1);
        using var two = new CpuAccelerator(2);
        var sacOptions = QuickSac with { BatchSize = 64, Warmup = 200, Alpha = TemperatureMode.PerTask, Gradients = TaskGradientMethod.PcGrad, ReplayCapacity = 5_000 };
        var a = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 2, accelerator: one), sacOptions, hidden: 32, accelerator: one);
        var b = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 2, accelerator: two), sacOptions, hidden: 32, accelerator: two);
        a.Train(1_000);
        b.Train(1_000);
        Assert.True(a.Updates > 100);
        Assert.Equal(a.Parameters.Values, b.Parameters.Values);
        Assert.Equal(a.TwinTargetParameters.Values, b.TwinTargetParameters.Values);
        Assert.Equal(a.LogAlpha.ToArray(), b.LogAlpha.ToArray());

        var td3Options = new Td3Options { BatchSize = 64, Warmup = 200, Seed = 2, Gradients = TaskGradientMethod.CaGrad, Her = new HerOptions(HerGoalStrategy.Final, 2), ReplayCapacity = 5_000 };
        var c = ActorCriticAgents.Td3(ActorCriticAgents.PointMass(4, 2, sparse: true, accelerator: one), td3Options, hidden: 32, accelerator: one);
        var d = ActorCriticAgents.Td3(ActorCriticAgents.PointMass(4, 2, sparse: true, accelerator: two), td3Options, hidden: 32, accelerator: two);
        c.Train(1_000);
        d.Train(1_000);
        Assert.Equal(c.Parameters.Values, d.Parameters.Values);
        Assert.Equal(c.TwinParameters.Values, d.TwinParameters.Values);
    }

    [Fact]
    public void AStepAllocatesNothingOnceLearningRuns()
    {
        var sac = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 2), QuickSac with { BatchSize = 32, Warmup = 100, Alpha = TemperatureMode.PerTask, Gradients = TaskGradientMethod.GradNorm, ReplayCapacity = 5_000 }, hidden: 16);
        var td3 = ActorCriticAgents.Td3(ActorCriticAgents.PointMass(4, 1, sparse: true), new Td3Options { BatchSize = 32, Warmup = 100, Her = new HerOptions(HerGoalStrategy.Future, 4), ReplayCapacity = 5_000 }, hidden: 16);
        foreach (var trainer in new ActorCriticTrainer[] { sac, td3 })
        {
            trainer.Train(400);
            var updates = trainer.Updates;
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++) trainer.Step();
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(updates + 400, trainer.Updates);
            Assert.Equal(0, allocated);
        }
    }

    [Fact]
    public void ACheckpointHoldsEveryStoreOptimizerAndTemperature()
    {
        var trainer = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 2), QuickSac with { BatchSize = 16, Warmup = 40, Alpha = TemperatureMode.PerTask, ReplayCapacity = 1_000 }, hidden: 8);
        trainer.Train(100);
        var checkpoint = trainer.CreateCheckpoint();
        foreach (var name in new[] { "twin", "target", "twin_target", "log_alpha", "alpha_adam.m", "actor_adam.m", "critic_adam.m", "twin_adam.m" })
        {
            Assert.True(checkpoint.Arrays.ContainsKey(name), name);
        }
        Assert.Equal(trainer.Updates, checkpoint.Counter("updates"));
        Assert.Equal(trainer.LogAlpha.ToArray(), checkpoint.Arrays["log_alpha"]);
    }

    [Theory]
    [InlineData("sac")]
    [InlineData("td3")]
    public void RestoringACheckpointReproducesTheLearnedStateAndTheGreedyPolicy(string algorithm)
    {
        ActorCriticTrainer Create() => algorithm == "sac"
            ? ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 2), QuickSac with { BatchSize = 16, Warmup = 40, Alpha = TemperatureMode.PerTask, ReplayCapacity = 1_000 }, hidden: 8)
            : ActorCriticAgents.Td3(ActorCriticAgents.PointMass(4, 2), new Td3Options { BatchSize = 16, Warmup = 40, Seed = 4, ReplayCapacity = 1_000 }, hidden: 8);
        var trained = Create();
        trained.Train(1_200);
        var fresh = Create();
        Assert.True(trained.Updates > 100, $"{trained.Updates} updates");
        Assert.NotEqual(trained.Parameters.Values, fresh.Parameters.Values);

        fresh.Restore(trained.CreateCheckpoint());

        foreach (var (a, b) in new[] { (trained.Parameters, fresh.Parameters), (trained.TwinParameters, fresh.TwinParameters), (trained.TargetParameters, fresh.TargetParameters), (trained.TwinTargetParameters, fresh.TwinTargetParameters) })
        {
            Assert.Equal(a.Values, b.Values);
        }
        foreach (var (a, b) in new[] { (trained.ActorOptimizer, fresh.ActorOptimizer), (trained.CriticOptimizer, fresh.CriticOptimizer), (trained.TwinOptimizer, fresh.TwinOptimizer) })
        {
            Assert.Equal(a.FirstMoment, b.FirstMoment);
            Assert.Equal(a.SecondMoment, b.SecondMoment);
            Assert.Equal(a.Steps, b.Steps);
        }
        if (trained is SacTrainer sac) Assert.Equal(sac.LogAlpha.ToArray(), ((SacTrainer)fresh).LogAlpha.ToArray());
        var evaluate = () => new PolicyEvaluator(ActorCriticAgents.PointMass(2, 2), new EvaluationOptions { EpisodesPerTask = 3 });
        Assert.Equal(evaluate().EvaluateTrainer(trained).Tasks, evaluate().EvaluateTrainer(fresh).Tasks);
    }

    [Fact]
    public void ACheckpointOfAnotherAgentIsRefused()
    {
        var small = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(2, 1), QuickSac with { BatchSize = 16, Warmup = 40, ReplayCapacity = 1_000 }, hidden: 8);
        var large = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(2, 1), QuickSac with { BatchSize = 16, Warmup = 40, ReplayCapacity = 1_000 }, hidden: 16);
        var error = Assert.Throws<CheckpointException>(() => large.Restore(small.CreateCheckpoint()));
        Assert.Contains("different parameter layout", error.Message);
    }

    [Theory]
    [InlineData("AlphaInit")]
    [InlineData("ActorUpdateEvery")]
    [InlineData("AlphaSoftmax")]
    [InlineData("PolicyDelay")]
    [InlineData("NoiseClip")]
    public void BadOptionsAreRejectedByName(string name)
    {
        var environment = ActorCriticAgents.PointMass(2, 1);
        var exception = Record.Exception(() =>
        {
            if (name is "PolicyDelay" or "NoiseClip")
            {
                ActorCriticAgents.Td3(environment, name == "PolicyDelay" ? new Td3Options { PolicyDelay = 0 } : new Td3Options { NoiseClip = -1 });
            }
            else
            {
                ActorCriticAgents.Sac(environment, name switch
                {
                    "AlphaInit" => new SacOptions { AlphaInit = 0 },
                    "ActorUpdateEvery" => new SacOptions { ActorUpdateEvery = 0 },
                    _ => new SacOptions { LossWeighting = TaskLossWeighting.AlphaSoftmax },
                });
            }
        });
        var argument = Assert.IsAssignableFrom<ArgumentException>(exception);
        Assert.Equal(name == "AlphaSoftmax" ? "LossWeighting" : name, argument.ParamName);
    }

    [Fact]
    public void PerTaskReplayKeepsAnEqualRingPerTaskAndNeedsEveryTaskOnEqualEnvironments()
    {
        var options = QuickSac with { BatchSize = 32, Warmup = 100, ReplayCapacity = 400, PerTaskReplay = true, Sampling = ReplaySampling.TaskBalanced };
        var trainer = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 2), options, hidden: 8);
        trainer.Train(2_000); // five times the capacity
        var replay = trainer.Loop.Replay;
        Assert.Equal(200, replay.Count / 2);
        Assert.True(replay.SampleableCountOf(0) > 0);
        Assert.Equal(replay.SampleableCountOf(0), replay.SampleableCountOf(1), tolerance: 100);
        Assert.True(replay.SampleableCountOf(0) <= 200 && replay.SampleableCountOf(1) <= 200);

        var uneven = Assert.Throws<ArgumentException>(() => ActorCriticAgents.Sac(ActorCriticAgents.PointMass(3, 2), options, hidden: 8));
        Assert.Contains("same number of environments", uneven.Message);
        Assert.Contains("0: 2, 1: 1", uneven.Message);

        var environment = ActorCriticAgents.PointMass(4, 2);
        var moved = ActorCriticAgents.Sac(environment, options, hidden: 8);
        moved.Step();
        environment.Buffers.TaskIds[0] = 1;
        Assert.Throws<InvalidOperationException>(() => moved.Step());
    }
}
