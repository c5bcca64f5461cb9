using System;
using System.IO;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Evaluation;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;
using Xunit;
using Xunit.Abstractions;

namespace Mtrl.Runtime.Tests.Algorithms;

public sealed class DistralTrainerTests
{
    private readonly ITestOutputHelper _output;

    public DistralTrainerTests(ITestOutputHelper output) => _output = output;

    /// <summary>Tabular Distral: per-task soft Q columns f over the one-hot cell and one shared distilled table h.</summary>
    private static DistralTrainer Tabular(GridWorldOptions grid, int environments, DistralOptions options, Accelerator? accelerator = null, bool zeros = true)
    {
        var environment = DistillationAgents.GridWorld(environments, grid, accelerator);
        var cells = environment.ObservationSize;
        var builder = new ParameterLayoutBuilder();
        // Tables start at 0 unless asked otherwise: every task policy starts uniform, as a soft Q-learner's
        // should, instead of a random near-deterministic one (β·f of Kaiming-initialised tables spans several nats).
        var initializer = zeros ? Initializer.Zeros : (Initializer?)null;
        var columns = new SequentialBuilder(builder, "f", cells).TaskLinear(4, environment.TaskCount, initializer);
        var distilled = new SequentialBuilder(builder, "h", cells).Linear(4, initializer);
        return new DistralTrainer(environment, builder.Build(),
            (store, batch) => new SequentialQNetwork(columns.Bind(store, batch), cells),
            (store, batch) => new SequentialQNetwork(distilled.Bind(store, batch), cells),
            options, accelerator);
    }

    private static DistralOptions Quick => new()
    {
        Gamma = 0.95,
        LearningRate = 0.01f,
        BatchSize = 64,
        Warmup = 1_000,
        TrainEvery = 2,
        TargetUpdateEvery = 500,
        ReplayCapacity = 30_000,
        Seed = 2,
    };

    [Fact]
    public void DistralImprovesTheReturnOfEveryTask()
    {
        var grid = DistillationAgents.GridOptions(DistillationAgents.TwoRooms());
        var trainer = Tabular(grid, 8, Quick);
        var evaluator = () => new PolicyEvaluator(DistillationAgents.GridWorld(8, grid), new EvaluationOptions { EpisodesPerTask = 40 });
        var before = evaluator().EvaluateTrainer(trainer);

        trainer.Train(12_000);

        var after = evaluator().EvaluateTrainer(trainer);
        for (var t = 0; t < 4; t++)
        {
            _output.WriteLine($"task {t}: greedy return {before.Tasks[t].MeanReturn:F3} → {after.Tasks[t].MeanReturn:F3}, success {before.Tasks[t].SuccessRate:P0} → {after.Tasks[t].SuccessRate:P0}; training episodes {trainer.TaskEpisodes[t].MeanReturn:F3}");
            Assert.True(after.Tasks[t].MeanReturn >= before.Tasks[t].MeanReturn + 0.3, $"task {t}: return {before.Tasks[t].MeanReturn:F3} → {after.Tasks[t].MeanReturn:F3}");
            Assert.True(after.Tasks[t].SuccessRate >= 0.9, $"task {t}: success {after.Tasks[t].SuccessRate:P0}");
        }
        _output.WriteLine($"α {trainer.Alpha:F3}, β {trainer.Beta:F2}; TD loss {trainer.LastLoss:G3}, distilled loss {trainer.LastDistilledLoss:G3} after {trainer.Updates} updates");
    }

    [Fact]
    public void BothLossesReachTheOptimizerAsTheirFormulasSay()
    {
        const float LearningRate = 0.01f;
        var grid = DistillationAgents.GridOptions(DistillationAgents.SmallRoom());
        var options = new DistralOptions
        {
            Gamma = 0.9, LearningRate = LearningRate, GradientClip = 0f, BatchSize = 16, Warmup = 16, TrainEvery = 16, Loss = TdLossKind.SquaredError,
            KlCoefficient = 0.2f, EntropyCoefficient = 0.05f, TaskWeights = [1.0, 0.5], Seed = 9,
        };
        var trainer = Tabular(grid, 4, options, zeros: false);
        float[]? gradients = null, before = null;
        trainer.BeforeOptimizerStep = () =>
        {
            gradients = (float[])trainer.Parameters.Gradients.Clone();
            before = (float[])trainer.Parameters.Values.Clone();
        };
        while (trainer.Updates == 0) trainer.Step();
        Assert.Equal(1, trainer.Updates);
        Assert.Equal(trainer.Parameters.Values.Length, before!.Length);
        Assert.Equal(before, trainer.TargetParameters.Values); // the first update's targets are the initial networks

        var layout = trainer.Parameters.Layout;
        ParameterSlice Slice(string name) => layout.Slices.Single(s => s.Name == name);
        var (alpha, beta) = ((double)trainer.Alpha, (double)trainer.Beta);
        Assert.Equal(0.8, alpha, 6);
        Assert.Equal(4.0, beta, 5);
        var batch = trainer.LastBatch;
        var size = batch.Size;
        var cells = batch.Observations.Length / size;
        double[] Row(string network, int task, int cell)
        {
            var weight = Slice(network == "f" ? $"f.fc0.task{task}.weight" : "h.fc0.weight");
            var bias = Slice(network == "f" ? $"f.fc0.task{task}.bias" : "h.fc0.bias");
            return Enumerable.Range(0, 4).Select(a => (double)before[weight.Offset + cell * 4 + a] + before[bias.Offset + a]).ToArray();
        }
        var expected = new double[before.Length];
        void Add(string network, int task, int cell, double[] dz)
        {
            var weight = Slice(network == "f" ? $"f.fc0.task{task}.weight" : "h.fc0.weight");
            var bias = Slice(network == "f" ? $"f.fc0.task{task}.bias" : "h.fc0.bias");
            for (var a = 0; a < 4; a++)
            {
                expected[weight.Offset + cell * 4 + a] += dz[a];
                expected[bias.Offset + a] += dz[a];
            }
        }
        for (var b = 0; b < size; b++)
        {
            var cell = Array.IndexOf(batch.Observations, 1f, b * cells, cells) - b * cells;
            var nextCell = Array.IndexOf(batch.NextObservations, 1f, b * cells, cells) - b * cells;
            var task = batch.TaskIds[b];
            var w = options.TaskWeights![task];

            // V_i(s′) = (1/β) log Σ_a π_0(a|s′)^α exp(β f_i(s′, a)); y = r + γ(1 − terminated) V_i(s′).
            var hNext = Row("h", task, nextCell);
            var fNext = Row("f", task, nextCell);
            var logPi0Next = LogSoftmax(hNext);
            var value = LogSumExp(Enumerable.Range(0, 4).Select(a => alpha * logPi0Next[a] + beta * fNext[a]).ToArray()) / beta;
            var y = batch.Rewards[b] + options.Gamma * (1 - batch.Terminated[b]) * value;
            var f = Row("f", task, cell);
            var action = batch.DiscreteActions[b];
            var columnGradient = new double[4];
            columnGradient[action] = w * 2 * (f[action] - y) / size;
            Add("f", task, cell, columnGradient);

            // ∂/∂h of −(α/β) Σ_a π_i log π_0 with π_i = softmax(α h + β f_i) held fixed: (α/β)(π_0 − π_i).
            var h = Row("h", task, cell);
            var pi0 = LogSoftmax(h).Select(Math.Exp).ToArray();
            var piI = LogSoftmax(Enumerable.Range(0, 4).Select(a => alpha * h[a] + beta * f[a]).ToArray()).Select(Math.Exp).ToArray();
            Add("h", task, cell, Enumerable.Range(0, 4).Select(a => w * alpha / beta * (pi0[a] - piI[a]) / size).ToArray());
        }
        for (var i = 0; i < expected.Length; i++) Assert.True(Math.Abs(gradients![i] - expected[i]) <= 1e-6 + 1e-4 * Math.Abs(expected[i]), $"gradient {i}: {gradients[i]} vs {expected[i]}");
        var distilledWeight = Slice("h.fc0.weight");
        Assert.Contains(expected.Skip(distilledWeight.Offset).Take(distilledWeight.Length), g => Math.Abs(g) > 1e-4); // the distilled loss does reach h

        var after = trainer.Parameters.Values;
        for (var i = 0; i < expected.Length; i++)
        {
            var step = -LearningRate * gradients![i] / (Math.Abs((double)gradients[i]) + 1e-8);
            Assert.True(Math.Abs(after[i] - before[i] - step) <= 1e-3 * LearningRate, $"parameter {i} moved {after[i] - before[i]}, Adam's step is {step}");
        }
    }

    [Fact]
    public void ActionsAreSampledFromTheTaskPolicies()
    {
        // After warm-up every step's actions are draws from that step's π_i: the counts of each action
        // and the summed log-likelihood of the draws match their expectations under π_i.
        var trainer = Tabular(DistillationAgents.GridOptions(DistillationAgents.SmallRoom()), 8, Quick with { Warmup = 64, BatchSize = 16 }, zeros: false);
        trainer.Train(64);
        double[] expectedCounts = new double[4], observedCounts = new double[4], countVariance = new double[4];
        double logLikelihood = 0, expectedLogLikelihood = 0, logLikelihoodVariance = 0, uniformLogLikelihood = 0;
        for (var step = 0; step < 1_000; step++)
        {
            trainer.Step();
            var policy = trainer.LastBehaviour;
            var actions = trainer.LastActions;
            for (var i = 0; i < actions.Length; i++)
            {
                var row = policy.Slice(i * 4, 4);
                observedCounts[actions[i]]++;
                logLikelihood += Math.Log(row[actions[i]]);
                double mean = 0, square = 0;
                for (var a = 0; a < 4; a++)
                {
                    expectedCounts[a] += row[a];
                    countVariance[a] += row[a] * (1 - row[a]);
                    var log = Math.Log(Math.Max(row[a], 1e-30));
                    mean += row[a] * log;
                    square += row[a] * log * log;
                    uniformLogLikelihood += log / 4;
                }
                expectedLogLikelihood += mean;
                logLikelihoodVariance += square - mean * mean;
            }
        }
        for (var a = 0; a < 4; a++) Assert.True(Math.Abs(observedCounts[a] - expectedCounts[a]) <= 4 * Math.Sqrt(countVariance[a]), $"action {a}: {observedCounts[a]} draws, {expectedCounts[a]:F0} expected");
        var sigma = Math.Sqrt(logLikelihoodVariance);
        _output.WriteLine($"log-likelihood {logLikelihood:F0}, expected {expectedLogLikelihood:F0} ± {sigma:F0}, uniform draws would give {uniformLogLikelihood:F0}");
        Assert.True(Math.Abs(logLikelihood - expectedLogLikelihood) <= 4 * sigma);
        Assert.True(expectedLogLikelihood - uniformLogLikelihood > 12 * sigma, "the task policies are too close to uniform for this test to tell");
    }

    [Fact]
    public void WithoutAKlCostTheDistilledPolicyIsNotTrained()
    {
        // c_KL = 0: α = 0, π_i = softmax(β f_i) (soft Q-learning per task) and the distilled loss is 0.
        var trainer = Tabular(DistillationAgents.GridOptions(DistillationAgents.SmallRoom()), 4, Quick with { KlCoefficient = 0f, Warmup = 100 });
        var layout = trainer.Parameters.Layout;
        var h = layout.Slices.Where(s => s.Name.StartsWith("h.", StringComparison.Ordinal)).ToList();
        var f = layout.Slices.Where(s => s.Name.StartsWith("f.", StringComparison.Ordinal)).ToList();
        var before = (float[])trainer.Parameters.Values.Clone();
        trainer.Train(1_000);
        Assert.True(trainer.Updates > 100);
        Assert.Equal(0.0, trainer.LastDistilledLoss);
        Assert.All(h, s => Assert.True(trainer.Parameters.ValuesOf(s).SequenceEqual(before.AsSpan(s.Offset, s.Length)), $"{s.Name} moved"));
        Assert.Contains(f, s => !trainer.Parameters.ValuesOf(s).SequenceEqual(before.AsSpan(s.Offset, s.Length)));
    }

    [Fact]
    public void TheTargetNetworksFollowOnlyAtTheirInterval()
    {
        var trainer = Tabular(DistillationAgents.GridOptions(DistillationAgents.SmallRoom()), 4, Quick with { Warmup = 0, TargetUpdateEvery = 100, TrainEvery = 4, BatchSize = 16 });
        for (var i = 0; i < 24; i++) trainer.Step(); // 96 transitions
        Assert.True(trainer.Updates > 0);
        Assert.NotEqual(trainer.Parameters.Values, trainer.TargetParameters.Values);
        trainer.Step(); // 100: copied (τ = 1)
        Assert.Equal(trainer.Parameters.Values, trainer.TargetParameters.Values);
    }

    [Theory]
    [InlineData(ReplaySampling.Uniform)]
    [InlineData(ReplaySampling.Prioritized)]
    public void AResumedRunContinuesBitForBit(ReplaySampling sampling)
    {
        var directory = Directory.CreateTempSubdirectory("mtrl-distral-").FullName;
        try
        {
            var options = Quick with { Warmup = 200, BatchSize = 32, TargetUpdateEvery = 300, Sampling = sampling, TaskWeights = [1.0, 0.5] };
            var grid = DistillationAgents.GridOptions(DistillationAgents.SmallRoom());
            DistralTrainer Create() => Tabular(grid, 4, options);
            var uninterrupted = Create();
            var stopped = Create();
            uninterrupted.Train(1_000);
            stopped.Train(1_000);

            var resumed = TrainerStates.SaveAndResume(stopped, Create(), directory);
            uninterrupted.Train(2_400);
            resumed.Train(2_400);

            Assert.True(uninterrupted.Updates > 500);
            TrainerStates.AssertSameRun(uninterrupted, resumed);
            Assert.Equal(BitConverter.DoubleToInt64Bits(uninterrupted.LastDistilledLoss), BitConverter.DoubleToInt64Bits(((DistralTrainer)resumed).LastDistilledLoss));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void AStepAllocatesNothingOnceLearningRuns()
    {
        var trainer = Tabular(DistillationAgents.GridOptions(DistillationAgents.SmallRoom()), 4,
            Quick with { Warmup = 100, TrainEvery = 1, BatchSize = 16, Sampling = ReplaySampling.Prioritized, TaskWeights = [1.0, 2.0] });
        trainer.Train(400);
        var updates = trainer.Updates;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++) trainer.Step();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(updates + 400, trainer.Updates);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void SameSeedGivesIdenticalParametersWithOneAndTwoThreads()
    {
        using var one = new CpuAccelerator(1);
        using var two = new CpuAccelerator(2);
        var options = Quick with { Warmup = 200, BatchSize = 32 };
        var a = Tabular(DistillationAgents.GridOptions(), 8, options, one);
        var b = Tabular(DistillationAgents.GridOptions(), 8, options, two);
        a.Train(2_000);
        b.Train(2_000);
        Assert.True(a.Updates > 500);
        Assert.Equal(a.Parameters.Values, b.Parameters.Values);
        Assert.Equal(a.TargetParameters.Values, b.TargetParameters.Values);
        Assert.Equal(a.Episodes.MeanReturn, b.Episodes.MeanReturn);
    }

    [Fact]
    public void RestoreAndReinitializeReachEveryCopy()
    {
        var grid = DistillationAgents.GridOptions(DistillationAgents.SmallRoom());
        var trained = Tabular(grid, 4, Quick with { Warmup = 100, TargetUpdateEvery = 200 });
        trained.Train(700);
        var fresh = Tabular(grid, 4, Quick with { Warmup = 100, Seed = 40 });
        fresh.Restore(trained.CreateCheckpoint());
        Assert.Equal(trained.Parameters.Values, fresh.Parameters.Values);
        Assert.Equal(trained.TargetParameters.Values, fresh.TargetParameters.Values);
        Assert.Equal(trained.Optimizer.FirstMoment, fresh.Optimizer.FirstMoment);
        var evaluate = () => new PolicyEvaluator(DistillationAgents.GridWorld(2, grid), new EvaluationOptions { EpisodesPerTask = 5 });
        Assert.Equal(evaluate().EvaluateTrainer(trained).Tasks, evaluate().EvaluateTrainer(fresh).Tasks);

        var initial = Tabular(grid, 4, Quick);
        var h = trained.Parameters.Layout.Slices.Where(s => s.Name.StartsWith("h.", StringComparison.Ordinal)).ToList();
        trained.Reinitialize(h, Quick.Seed);
        foreach (var slice in h)
        {
            Assert.True(initial.Parameters.ValuesOf(slice).SequenceEqual(trained.Parameters.ValuesOf(slice)));
            Assert.True(initial.Parameters.ValuesOf(slice).SequenceEqual(trained.TargetParameters.ValuesOf(slice)));
            Assert.All(trained.Optimizer.SecondMoment.AsSpan(slice.Offset, slice.Length).ToArray(), v => Assert.Equal(0f, v));
        }
        Assert.Equal(4, trained.NetworksOf<SequentialQNetwork>().Count());
    }

    [Fact]
    public void OptionsOutsideTheirRangesAreRejectedByName()
    {
        Assert.Equal("KlCoefficient", Assert.Throws<ArgumentOutOfRangeException>(() => new DistralOptions { KlCoefficient = -1f }.Validate()).ParamName);
        Assert.Equal("EntropyCoefficient", Assert.Throws<ArgumentOutOfRangeException>(() => new DistralOptions { KlCoefficient = 0f, EntropyCoefficient = 0f }.Validate()).ParamName);
        Assert.Equal("TargetUpdateEvery", Assert.Throws<ArgumentOutOfRangeException>(() => new DistralOptions { TargetUpdateEvery = 0 }.Validate()).ParamName);
        Assert.Equal("Gradients", Assert.Throws<ArgumentException>(() => new DistralOptions { Gradients = TaskGradientMethod.CaGrad }.Validate()).ParamName);
        var (alpha, beta) = new DistralOptions().Coefficients;
        Assert.Equal(0.05f / 0.06f, alpha, 5);
        Assert.Equal(1f / 0.06f, beta, 3);
    }

    private static double[] LogSoftmax(double[] x)
    {
        var normaliser = LogSumExp(x);
        return x.Select(v => v - normaliser).ToArray();
    }

    private static double LogSumExp(double[] x)
    {
        var max = x.Max();
        return max + Math.Log(x.Sum(v => Math.Exp(v - max)));
    }
}
