using System;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Evaluation;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Replay;
using Xunit;
using Xunit.Abstractions;

namespace Mtrl.Runtime.Tests.Algorithms;

public sealed class DqnTrainerTests
{
    private readonly ITestOutputHelper _output;

    public DqnTrainerTests(ITestOutputHelper output) => _output = output;

    /// <summary>A BitFlip agent: observation and goal side by side into one hidden layer.</summary>
    private static DqnTrainer BitFlipTrainer(int bits, int environments, DqnOptions options, Accelerator? accelerator = null, int hidden = 128)
    {
        var environment = new BitFlipVectorEnvironment(environments, bits, accelerator: accelerator);
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "q", 2 * bits).Mlp(new[] { hidden }).Linear(bits);
        return new DqnTrainer(environment, builder.Build(), (store, batch) => new SequentialQNetwork(chain.Bind(store, batch), bits, bits), options, accelerator);
    }

    private static DqnOptions BitFlipOptions(bool her) => new()
    {
        Gamma = 0.9,
        LearningRate = 1e-3f,
        BatchSize = 128,
        Warmup = 500,
        TrainEvery = 4,
        GradientSteps = 1,
        TargetUpdateEvery = 400,
        EpsilonStart = 1.0,
        EpsilonEnd = 0.05,
        EpsilonDecaySteps = 5_000,
        ReplayCapacity = 50_000,
        Her = her ? new HerOptions(HerGoalStrategy.Future, 4) : null,
        Seed = 11,
    };

    [Fact]
    public void HindsightRelabelingSolvesBitFlipThatPlainDqnCannot()
    {
        const int Bits = 12;
        var withHer = BitFlipTrainer(Bits, 8, BitFlipOptions(her: true));
        var without = BitFlipTrainer(Bits, 8, BitFlipOptions(her: false));

        withHer.Train(25_000);
        without.Train(25_000);

        _output.WriteLine($"HER: success {withHer.Episodes.TerminationRate:P0}, return {withHer.Episodes.MeanReturn:F2}, loss {withHer.LastLoss:G3}, updates {withHer.Updates}");
        _output.WriteLine($"plain: success {without.Episodes.TerminationRate:P0}, return {without.Episodes.MeanReturn:F2}");
        Assert.True(withHer.Episodes.TerminationRate >= 0.9, $"HER success rate {withHer.Episodes.TerminationRate:P0}");
        var greedy = new PolicyEvaluator(new BitFlipVectorEnvironment(4, Bits), new EvaluationOptions { EpisodesPerTask = 50 }).EvaluateTrainer(withHer);
        _output.WriteLine($"HER greedy: success {greedy.Success.Average:P0} in {greedy.Length.Average:F1} steps");
        Assert.True(greedy.Success.Average >= 0.95, $"HER greedy success {greedy.Success.Average:P0}");
        Assert.True(without.Episodes.TerminationRate <= 0.2, $"plain DQN success rate {without.Episodes.TerminationRate:P0}");
    }

    [Fact]
    public void RestoringACheckpointReproducesTheLearnedStateAndTheGreedyPolicy()
    {
        var trained = BitFlipTrainer(8, 4, BitFlipOptions(her: true) with { Warmup = 200 }, hidden: 32);
        trained.Train(1_500);
        var fresh = BitFlipTrainer(8, 4, BitFlipOptions(her: true) with { Warmup = 200, Seed = 99 }, hidden: 32);

        fresh.Restore(trained.CreateCheckpoint());

        Assert.Equal(trained.Parameters.Values, fresh.Parameters.Values);
        Assert.Equal(trained.TargetParameters.Values, fresh.TargetParameters.Values);
        Assert.Equal(trained.Optimizer.SecondMoment, fresh.Optimizer.SecondMoment);
        Assert.Equal(trained.Optimizer.Steps, fresh.Optimizer.Steps);
        var evaluate = () => new PolicyEvaluator(new BitFlipVectorEnvironment(2, 8), new EvaluationOptions { EpisodesPerTask = 5 });
        Assert.Equal(evaluate().EvaluateTrainer(trained).Tasks, evaluate().EvaluateTrainer(fresh).Tasks);
    }

    [Fact]
    public void GreedyEvaluationInTheMiddleOfTrainingLeavesTrainingUntouched()
    {
        var evaluated = BitFlipTrainer(8, 4, BitFlipOptions(her: true) with { Warmup = 200 }, hidden: 32);
        var plain = BitFlipTrainer(8, 4, BitFlipOptions(her: true) with { Warmup = 200 }, hidden: 32);
        var evaluator = new PolicyEvaluator(new BitFlipVectorEnvironment(3, 8), new EvaluationOptions { EpisodesPerTask = 7 });

        evaluated.Train(1_000);
        var first = evaluator.EvaluateTrainer(evaluated);
        var again = evaluator.EvaluateTrainer(evaluated);
        evaluated.Train(2_000);
        plain.Train(2_000);

        Assert.Equal(first.Tasks, again.Tasks);
        Assert.Equal(7, first.Tasks.Single().Episodes);
        Assert.Equal(plain.Parameters.Values, evaluated.Parameters.Values);
        Assert.Equal(plain.Episodes.MeanReturn, evaluated.Episodes.MeanReturn);
        Assert.Equal(plain.Updates, evaluated.Updates);
    }

    [Fact]
    public void SameSeedGivesIdenticalParametersWithOneAndTwoThreads()
    {
        using var one = new CpuAccelerator(1);
        using var two = new CpuAccelerator(2);
        var a = BitFlipTrainer(8, 4, BitFlipOptions(her: true) with { Warmup = 200 }, one, hidden: 32);
        var b = BitFlipTrainer(8, 4, BitFlipOptions(her: true) with { Warmup = 200 }, two, hidden: 32);

        a.Train(2_000);
        b.Train(2_000);

        Assert.True(a.Updates > 100);
        Assert.Equal(a.Parameters.Values, b.Parameters.Values);
        Assert.Equal(a.TargetParameters.Values, b.TargetParameters.Values);
        Assert.Equal(a.Episodes.MeanReturn, b.Episodes.MeanReturn);
    }

    [Fact]
    public void Bfloat16ProductsReachTheNetworksAndKeepRunsDeterministic()
    {
        var options = BitFlipOptions(her: true) with { Warmup = 200, Gemm = GemmBackend.Bfloat16 };
        if (Gemm.Bfloat16Unavailable is { } reason)
        {
            // Refused when the trainer is built, saying what this machine lacks.
            var error = Assert.Throws<ArgumentException>(() => BitFlipTrainer(8, 4, options, hidden: 32));
            Assert.Contains(reason, error.Message, StringComparison.Ordinal);
            return;
        }

        using var one = new CpuAccelerator(1);
        using var two = new CpuAccelerator(2);
        var a = BitFlipTrainer(8, 4, options, one, hidden: 32);
        var b = BitFlipTrainer(8, 4, options, two, hidden: 32);
        var float32 = BitFlipTrainer(8, 4, options with { Gemm = GemmBackend.Auto }, one, hidden: 32);
        a.Train(2_000);
        b.Train(2_000);
        float32.Train(2_000);
        Assert.True(a.Updates > 100);
        Assert.Equal(a.Parameters.Values, b.Parameters.Values);
        Assert.NotEqual(float32.Parameters.Values, a.Parameters.Values);
        Assert.All(a.Parameters.Values, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void ADifferentSeedGivesDifferentParameters()
    {
        var a = BitFlipTrainer(8, 4, BitFlipOptions(her: true) with { Warmup = 200 }, hidden: 32);
        var b = BitFlipTrainer(8, 4, BitFlipOptions(her: true) with { Warmup = 200, Seed = 12 }, hidden: 32);
        a.Train(1_000);
        b.Train(1_000);
        Assert.NotEqual(a.Parameters.Values, b.Parameters.Values);
    }

    [Fact]
    public void AStepAllocatesNothingOnceLearningRuns()
    {
        var trainer = BitFlipTrainer(8, 4, BitFlipOptions(her: true) with { Warmup = 200, TrainEvery = 1 }, hidden: 32);
        trainer.Train(1_000);
        var updates = trainer.Updates;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 200; i++) trainer.Step();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(updates + 800, trainer.Updates);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void TheTargetNetworkFollowsOnlyAtItsInterval()
    {
        var trainer = BitFlipTrainer(8, 4, BitFlipOptions(her: false) with { Warmup = 0, TargetUpdateEvery = 100, TrainEvery = 4 }, hidden: 16);
        for (var i = 0; i < 24; i++) trainer.Step(); // 96 transitions: updates made, no target update yet
        Assert.True(trainer.Updates > 0);
        Assert.NotEqual(trainer.Parameters.Values, trainer.TargetParameters.Values);
        trainer.Step(); // 100: copied (tau = 1)
        Assert.Equal(trainer.Parameters.Values, trainer.TargetParameters.Values);
    }

    [Fact]
    public void EpsilonFallsLinearlyAfterRandomWarmup()
    {
        var options = new DqnOptions { Warmup = 100, EpsilonStart = 1.0, EpsilonEnd = 0.1, EpsilonDecaySteps = 1_000 };
        Assert.Equal(1.0, options.EpsilonAt(0));
        Assert.Equal(0.55, options.EpsilonAt(500), 12);
        Assert.Equal(0.1, options.EpsilonAt(1_000));
        Assert.Equal(0.1, options.EpsilonAt(5_000));
    }

    [Theory]
    [InlineData("Gamma")]
    [InlineData("LearningRate")]
    [InlineData("BatchSize")]
    [InlineData("Tau")]
    [InlineData("TargetUpdateEvery")]
    [InlineData("EpsilonEnd")]
    [InlineData("ReplayCapacity")]
    public void BadOptionsAreRejectedByName(string name)
    {
        var options = name switch
        {
            "Gamma" => new DqnOptions { Gamma = 1.5 },
            "LearningRate" => new DqnOptions { LearningRate = 0f },
            "BatchSize" => new DqnOptions { BatchSize = 0 },
            "Tau" => new DqnOptions { Tau = 0f },
            "TargetUpdateEvery" => new DqnOptions { TargetUpdateEvery = 0 },
            "EpsilonEnd" => new DqnOptions { EpsilonEnd = -0.1 },
            _ => new DqnOptions { ReplayCapacity = 0 },
        };
        var error = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(name, error.ParamName);
    }

    [Fact]
    public void ANetworkThatDoesNotFitTheEnvironmentIsRejectedWithTheWidths()
    {
        var environment = new BitFlipVectorEnvironment(2, 8);
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "q", 16).Linear(7);
        var error = Assert.Throws<ArgumentException>(() => new DqnTrainer(environment, builder.Build(), (store, batch) => new SequentialQNetwork(chain.Bind(store, batch), 8, 8), new DqnOptions()));
        Assert.Contains("7 Q values per row but the environment has 8 actions", error.Message);
    }

    [Fact]
    public void HindsightRelabelingWithoutGoalsIsRejected()
    {
        var environment = new CartPoleVectorEnvironment(2);
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "q", 4).Linear(2);
        var error = Assert.Throws<ArgumentException>(() => new DqnTrainer(environment, builder.Build(), (store, batch) => new SequentialQNetwork(chain.Bind(store, batch), 4), new DqnOptions { Her = HerOptions.Default }));
        Assert.Equal("options", error.ParamName);
    }

    /// <summary>Four-room GridWorld, one goal per room, a shared body and a per-task head.</summary>
    private static DqnTrainer GridWorldTrainer(DqnOptions options, Accelerator? accelerator = null)
    {
        var environment = new GridWorldVectorEnvironment(8, new GridWorldOptions { StepCost = 0.01f, MaxEpisodeSteps = 60 }, accelerator: accelerator);
        var tasks = environment.TaskCount;
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "q", environment.ObservationSize).Mlp(new[] { 64 }).TaskLinear(4, tasks);
        return new DqnTrainer(environment, builder.Build(), (store, batch) => new SequentialQNetwork(chain.Bind(store, batch), environment.ObservationSize), options, accelerator);
    }

    private static DqnOptions GridWorldOptions(ReplaySampling sampling) => new()
    {
        Gamma = 0.95,
        LearningRate = 1e-3f,
        BatchSize = 64,
        Warmup = 1_000,
        TrainEvery = 2,
        TargetUpdateEvery = 500,
        EpsilonDecaySteps = 15_000,
        ReplayCapacity = 40_000,
        Sampling = sampling,
        Seed = 5,
    };

    [Theory]
    [InlineData(ReplaySampling.TaskBalanced)]
    [InlineData(ReplaySampling.Prioritized)]
    [InlineData(ReplaySampling.PrioritizedTaskBalanced)]
    public void AMultiTaskAgentLearnsEveryRoomGoal(ReplaySampling sampling)
    {
        var trainer = GridWorldTrainer(GridWorldOptions(sampling));
        trainer.Train(40_000);
        _output.WriteLine($"{sampling}: success {trainer.Episodes.TerminationRate:P0}, return {trainer.Episodes.MeanReturn:F2}, length {trainer.Episodes.MeanLength:F1}, loss {trainer.LastLoss:G3}");
        Assert.True(trainer.Episodes.TerminationRate >= 0.9, $"success rate {trainer.Episodes.TerminationRate:P0}");
    }

    [Fact]
    public void ACheckpointHoldsTheLearnedStateAndRoundTripsThroughAFile()
    {
        var trainer = BitFlipTrainer(8, 4, BitFlipOptions(her: true) with { Warmup = 200 }, hidden: 16);
        trainer.Train(1_000);
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"dqn-{Guid.NewGuid():N}.ckpt");
        try
        {
            Mtrl.Runtime.Checkpoints.CheckpointFile.Save(path, trainer.CreateCheckpoint());
            var loaded = Mtrl.Runtime.Checkpoints.CheckpointFile.Load(path);
            var restored = new ParameterStore(trainer.Parameters.Layout);
            loaded.RestoreTo(restored);
            Assert.Equal(trainer.Parameters.Values, restored.Values);
            Assert.Equal(trainer.TargetParameters.Values, loaded.Arrays["target"]);
            Assert.Equal(trainer.Transitions, loaded.Counter("transitions"));
            Assert.Equal(trainer.Updates, loaded.Counter("updates"));
            Assert.Equal(trainer.Optimizer.Steps, loaded.Counter("adam.steps"));
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void PerTaskGradientsWithOneTaskChangeNothing()
    {
        // One task: one backward pass with the batch's own gradient, nothing to project, the mean over one task.
        var plain = BitFlipTrainer(8, 4, BitFlipOptions(her: true) with { Warmup = 200 }, hidden: 16);
        var projected = BitFlipTrainer(8, 4, BitFlipOptions(her: true) with { Warmup = 200, Gradients = TaskGradientMethod.PcGrad }, hidden: 16);
        plain.Train(1_500);
        projected.Train(1_500);
        Assert.True(plain.Updates > 100);
        Assert.Equal(plain.Parameters.Values, projected.Parameters.Values);
    }

    [Theory]
    [InlineData(TaskGradientMethod.PcGrad)]
    [InlineData(TaskGradientMethod.CaGrad)]
    [InlineData(TaskGradientMethod.GradNorm)]
    public void AMultiTaskAgentLearnsWithProjectedTaskGradients(TaskGradientMethod method)
    {
        var trainer = GridWorldTrainer(GridWorldOptions(ReplaySampling.TaskBalanced) with { Gradients = method });
        trainer.Train(40_000);
        _output.WriteLine($"{method}: success {trainer.Episodes.TerminationRate:P0}, return {trainer.Episodes.MeanReturn:F2}");
        Assert.True(trainer.Episodes.TerminationRate >= 0.9, $"success rate {trainer.Episodes.TerminationRate:P0}");
    }

    [Fact]
    public void ProjectedTaskGradientsDifferFromThePlainSumWhenTasksConflict()
    {
        var plain = GridWorldTrainer(GridWorldOptions(ReplaySampling.TaskBalanced) with { Warmup = 200 });
        var projected = GridWorldTrainer(GridWorldOptions(ReplaySampling.TaskBalanced) with { Warmup = 200, Gradients = TaskGradientMethod.PcGrad });
        plain.Train(600);
        projected.Train(600);
        Assert.NotEqual(plain.Parameters.Values, projected.Parameters.Values);
    }

    [Fact]
    public void ATaskWithWeightZeroLeavesItsOwnHeadUntouched()
    {
        // Task 3's loss weighs nothing: its per-task head never moves; the others' heads do.
        var trainer = GridWorldTrainer(GridWorldOptions(ReplaySampling.TaskBalanced) with { Warmup = 200, TaskWeights = new[] { 1.0, 1.0, 1.0, 0.0 } });
        var layout = trainer.Parameters.Layout;
        var heads = layout.Slices.Where(s => s.Owner.Kind == ParameterOwnerKind.Task).ToList();
        var before = heads.ToDictionary(h => h.Name, h => trainer.Parameters.ValuesOf(h).ToArray());
        trainer.Train(1_000);
        foreach (var head in heads)
        {
            var moved = !trainer.Parameters.ValuesOf(head).SequenceEqual(before[head.Name]);
            Assert.Equal(head.Owner.Index != 3, moved);
        }
    }

    [Fact]
    public void TaskWeightsMustMatchTheTasks()
    {
        var error = Assert.Throws<ArgumentException>(() => GridWorldTrainer(GridWorldOptions(ReplaySampling.Uniform) with { TaskWeights = new[] { 1.0, 2.0 } }));
        Assert.Contains("TaskWeights holds 2 weights but the environment runs 4 task(s)", error.Message);
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => (GridWorldOptions(ReplaySampling.Uniform) with { TaskWeights = new[] { 1.0, -1.0, 1.0, 1.0 } }).Validate());
        Assert.Equal("TaskWeights", negative.ParamName);
    }

    [Fact]
    public void GradNormMovesTheTaskWeightsAndKeepsTheirSum()
    {
        var trainer = GridWorldTrainer(GridWorldOptions(ReplaySampling.TaskBalanced) with { Warmup = 200, Gradients = TaskGradientMethod.GradNorm });
        Assert.Equal(new[] { 1.0, 1.0, 1.0, 1.0 }, trainer.TaskLossWeights.ToArray());
        trainer.Train(2_000);
        var weights = trainer.TaskLossWeights.ToArray();
        Assert.Equal(4.0, weights.Sum(), 9);
        Assert.Contains(weights, w => Math.Abs(w - 1.0) > 1e-3);
        Assert.All(weights, w => Assert.True(w > 0));
    }
}
