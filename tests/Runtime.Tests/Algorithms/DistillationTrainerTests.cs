using System;
using System.IO;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Evaluation;
using Mtrl.Runtime.Layers;
using Mtrl.Runtime.Losses;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Replay;
using Xunit;
using Xunit.Abstractions;

namespace Mtrl.Runtime.Tests.Algorithms;

public sealed class DistillationTrainerTests
{
    private const double Gamma = 0.95;
    private readonly ITestOutputHelper _output;

    public DistillationTrainerTests(ITestOutputHelper output) => _output = output;

    /// <summary>A tabular student (one linear layer over the one-hot cell, per task when <paramref name="perTask"/>) taught by exact Q tables.</summary>
    private static (DistillationTrainer Trainer, ParameterStore[] TeacherStores) Tabular(
        GridWorldOptions grid, int environments, DistillationOptions options, bool perTask = true, Accelerator? accelerator = null)
    {
        var environment = DistillationAgents.GridWorld(environments, grid, accelerator);
        var cells = environment.ObservationSize;
        var (teachers, stores) = DistillationAgents.TableTeachers(grid, Gamma, Math.Max(options.BatchSize, environments));
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "student", cells);
        chain = perTask ? chain.TaskLinear(4, environment.TaskCount) : chain.Linear(4);
        var trainer = new DistillationTrainer(environment, builder.Build(), (store, batch) => new SequentialQNetwork(chain.Bind(store, batch), cells),
            teachers, options, accelerator);
        return (trainer, stores);
    }

    private static DistillationOptions Quick(DistillationMethod method) => new()
    {
        Method = method,
        Temperature = method == DistillationMethod.ActorMimic ? 0.05f : 0.01f,
        // Q regression must resolve gaps of a few hundredths between actions, so its steps are smaller.
        LearningRate = method == DistillationMethod.Mse ? 0.004f : 0.02f,
        BatchSize = 64,
        Warmup = 500,
        TrainEvery = 2,
        EpsilonStart = 0.5,
        EpsilonEnd = 0.05,
        EpsilonDecaySteps = 4_000,
        ReplayCapacity = 20_000,
        Seed = 3,
    };

    [Theory]
    [InlineData(DistillationMethod.Kl)]
    [InlineData(DistillationMethod.Nll)]
    [InlineData(DistillationMethod.Mse)]
    [InlineData(DistillationMethod.ActorMimic)]
    public void AStudentReachesTheTeachersReturnOnEveryTask(DistillationMethod method)
    {
        var grid = DistillationAgents.GridOptions();
        var (trainer, _) = Tabular(grid, 8, Quick(method));
        var evaluator = () => new PolicyEvaluator(DistillationAgents.GridWorld(8, grid), new EvaluationOptions { EpisodesPerTask = 40 });
        var teachers = evaluator().Evaluate(trainer.TeacherPolicy);
        var untrained = evaluator().EvaluateTrainer(trainer);
        Assert.True(untrained.Return.Worst < 0.5 * teachers.Return.Worst, $"the untrained student already returns {untrained.Return.Worst:F3}");

        trainer.Train(12_000);

        var student = evaluator().EvaluateTrainer(trainer);
        for (var t = 0; t < 4; t++)
        {
            var (expected, actual) = (teachers.Tasks[t], student.Tasks[t]);
            _output.WriteLine($"{method} task {t}: student return {actual.MeanReturn:F3} success {actual.SuccessRate:P0}, teacher {expected.MeanReturn:F3} {expected.SuccessRate:P0}");
            Assert.True(actual.MeanReturn >= 0.9 * expected.MeanReturn, $"task {t}: student return {actual.MeanReturn:F3} < 90 % of the teacher's {expected.MeanReturn:F3}");
            Assert.True(actual.SuccessRate >= 0.9 * expected.SuccessRate, $"task {t}: student success {actual.SuccessRate:P0} < 90 % of the teacher's {expected.SuccessRate:P0}");
        }
        Assert.Equal(1.0, teachers.Success.Worst);
        _output.WriteLine($"loss {trainer.LastLoss:G3} after {trainer.Updates} updates");
    }

    [Theory]
    [InlineData(DistillationMethod.Kl)]
    [InlineData(DistillationMethod.Nll)]
    [InlineData(DistillationMethod.Mse)]
    [InlineData(DistillationMethod.ActorMimic)]
    public void EachLossReachesTheOptimizerAsItsFormulaSays(DistillationMethod method)
    {
        // One plain linear student over the one-hot cell, two tasks with their own teachers and task weights.
        const float LearningRate = 0.01f;
        var grid = DistillationAgents.GridOptions(DistillationAgents.SmallRoom());
        var options = new DistillationOptions
        {
            Method = method, Temperature = 0.3f, LearningRate = LearningRate, GradientClip = 0f, BatchSize = 16, Warmup = 16, TrainEvery = 16,
            TaskWeights = [1.0, 0.5], Seed = 4,
        };
        var (trainer, teacherStores) = Tabular(grid, 4, options, perTask: false);
        float[]? gradients = null, before = null;
        trainer.BeforeOptimizerStep = () =>
        {
            gradients = (float[])trainer.Parameters.Gradients.Clone();
            before = (float[])trainer.Parameters.Values.Clone();
        };
        while (trainer.Updates == 0) trainer.Step();
        Assert.Equal(1, trainer.Updates);
        Assert.NotNull(gradients);

        var batch = trainer.LastBatch;
        var cells = trainer.Parameters.Layout.Slices[0].Rows;
        var weight = trainer.Parameters.Layout.Slices[0]; // [cells, 4]
        var bias = trainer.Parameters.Layout.Slices[1];
        var expected = new double[trainer.Parameters.Values.Length];
        for (var b = 0; b < batch.Size; b++)
        {
            var cell = Array.IndexOf(batch.Observations, 1f, b * cells, cells) - b * cells;
            var task = batch.TaskIds[b];
            var z = new double[4];
            var q = new double[4];
            for (var a = 0; a < 4; a++)
            {
                z[a] = before![weight.Offset + cell * 4 + a] + before[bias.Offset + a];
                q[a] = teacherStores[task].Values[cell * 4 + a];
            }
            var p = Softmax(z, 1.0);
            var target = method switch
            {
                DistillationMethod.Nll => Enumerable.Range(0, 4).Select(a => a == ArgMax(q) ? 1.0 : 0.0).ToArray(),
                DistillationMethod.Mse => null,
                _ => Softmax(q, 1.0 / options.Temperature),
            };
            var rowWeight = options.TaskWeights![task];
            for (var a = 0; a < 4; a++)
            {
                var dz = rowWeight * (target is null ? 2 * (z[a] - q[a]) : p[a] - target[a]) / batch.Size;
                expected[weight.Offset + cell * 4 + a] += dz;
                expected[bias.Offset + a] += dz;
            }
        }
        for (var i = 0; i < expected.Length; i++) Assert.True(Math.Abs(gradients![i] - expected[i]) <= 1e-6 + 1e-4 * Math.Abs(expected[i]), $"gradient {i}: {gradients[i]} vs {expected[i]}");

        // Adam's first step moves every weight by −lr·g/(|g| + ε).
        var after = trainer.Parameters.Values;
        for (var i = 0; i < expected.Length; i++)
        {
            var step = -LearningRate * gradients![i] / (Math.Abs((double)gradients[i]) + 1e-8);
            Assert.True(Math.Abs(after[i] - before![i] - step) <= 1e-3 * LearningRate, $"parameter {i} moved {after[i] - before[i]}, Adam's step is {step}");
        }
    }

    /// <summary>The student body + Q head, the same body + a 3-wide regression head, and random per-task teacher feature networks.</summary>
    private static (DistillationTrainer Trainer, ParameterStore[] TeacherStores, ParameterStore[] FeatureStores, Func<ParameterStore, (IQNetwork, IFeatureNetwork)> Bind, IFeatureNetwork[] TeacherFeatures)
        ActorMimicWithFeatures(DistillationOptions options, Accelerator? accelerator = null)
    {
        var grid = DistillationAgents.GridOptions(DistillationAgents.SmallRoom());
        var environment = DistillationAgents.GridWorld(4, grid, accelerator);
        var cells = environment.ObservationSize;
        var rows = Math.Max(options.BatchSize, 4);
        var (teachers, teacherStores) = DistillationAgents.TableTeachers(grid, Gamma, rows);
        var builder = new ParameterLayoutBuilder();
        var body = new SequentialBuilder(builder, "body", cells).Linear(8).Activation(ActivationKind.Relu);
        var qHead = new SequentialBuilder(builder, "q", 8).Linear(4);
        var featureHead = new SequentialBuilder(builder, "features", 8).TaskLinear(3, 2);
        var layout = builder.Build();

        var teacherFeatures = new IFeatureNetwork[2];
        var featureStores = new ParameterStore[2];
        for (var t = 0; t < 2; t++)
        {
            var teacherBuilder = new ParameterLayoutBuilder();
            var teacherBody = new SequentialBuilder(teacherBuilder, "teacher_body", cells).Linear(5).Activation(ActivationKind.Relu);
            var teacherHead = new SequentialBuilder(teacherBuilder, "teacher_head", 5).Linear(3);
            featureStores[t] = new ParameterStore(teacherBuilder.Build());
            featureStores[t].Initialize(100 + (ulong)t);
            teacherFeatures[t] = BodyHeadNetwork.Bind(teacherBody, teacherHead, featureStores[t], rows);
        }
        var trainer = new DistillationTrainer(environment, layout, (store, batch) => BodyHeadNetwork.Bind(body, qHead, store, batch), teachers, options, accelerator,
            new ActorMimicFeatures((store, batch) => BodyHeadNetwork.Bind(body, featureHead, store, batch), teacherFeatures));
        return (trainer, teacherStores, featureStores,
            store => (BodyHeadNetwork.Bind(body, qHead, store, rows), BodyHeadNetwork.Bind(body, featureHead, store, rows)), teacherFeatures);
    }

    private static DistillationOptions ActorMimicOptions => new()
    {
        Method = DistillationMethod.ActorMimic, Temperature = 0.1f, FeatureWeight = 0.3f, LearningRate = 3e-3f, BatchSize = 16, Warmup = 64,
        TrainEvery = 4, EpsilonDecaySteps = 1_000, ReplayCapacity = 4_000, Seed = 6,
    };

    [Fact]
    public void FeatureRegressionAddsItsWeightedGradientThroughTheSharedBody()
    {
        var options = ActorMimicOptions with { TaskWeights = [1.0, 0.25] };
        var (trainer, _, _, bind, teacherFeatures) = ActorMimicWithFeatures(options);
        float[]? gradients = null;
        var replica = new ParameterStore(trainer.Parameters.Layout);
        trainer.BeforeOptimizerStep = () =>
        {
            gradients = (float[])trainer.Parameters.Gradients.Clone();
            Array.Copy(trainer.Parameters.Values, replica.Values, replica.Values.Length);
        };
        while (trainer.Updates == 0) trainer.Step();

        // The same update written out: the policy loss on the Q head, 2β·(f − h_E)/B on the feature head, rows weighted by task.
        var batch = trainer.LastBatch;
        var size = batch.Size;
        var cells = batch.Observations.Length / size;
        var inputs = new NetworkInputs(batch.Observations.AsSpan(0, size * cells), default, batch.TaskIds.AsSpan(0, size), size);
        var teacherQ = new float[size * 4];
        var expert = new float[size * 3];
        for (var b = 0; b < size; b++)
        {
            var row = new NetworkInputs(batch.Observations.AsSpan(b * cells, cells), default, batch.TaskIds.AsSpan(b, 1), 1);
            teacherFeatures[batch.TaskIds[b]].Forward(row).CopyTo(expert.AsSpan(b * 3));
        }
        var teacherTables = DistillationAgents.OptimalQ(DistillationAgents.GridOptions(DistillationAgents.SmallRoom()), Gamma);
        for (var b = 0; b < size; b++)
        {
            var cell = Array.IndexOf(batch.Observations, 1f, b * cells, cells) - b * cells;
            teacherTables[batch.TaskIds[b]].AsSpan(cell * 4, 4).CopyTo(teacherQ.AsSpan(b * 4));
        }
        var (student, predictor) = bind(replica);
        var policyGradient = new float[size * 4];
        DistillationLoss.PolicyRegression(student.Forward(inputs), teacherQ, policyGradient, size, 4, options.Temperature);
        var featureGradient = new float[size * 3];
        DistillationLoss.FeatureRegression(predictor.Forward(inputs), expert, featureGradient, size, 3, 2f * options.FeatureWeight);
        for (var b = 0; b < size; b++)
        {
            var w = (float)options.TaskWeights![batch.TaskIds[b]];
            for (var a = 0; a < 4; a++) policyGradient[b * 4 + a] *= w;
            for (var j = 0; j < 3; j++) featureGradient[b * 3 + j] *= w;
        }
        replica.ZeroGradients();
        student.Backward(policyGradient);
        predictor.Backward(featureGradient);

        Assert.Contains(replica.Gradients, g => g != 0f);
        var featureSlices = replica.Layout.Slices.Where(s => s.Name.StartsWith("features", StringComparison.Ordinal)).ToList();
        Assert.Contains(featureSlices, s => replica.GradientsOf(s).ToArray().Any(g => g != 0f));
        for (var i = 0; i < replica.Gradients.Length; i++)
        {
            Assert.True(Math.Abs(gradients![i] - replica.Gradients[i]) <= 1e-6f + 1e-4f * Math.Abs(replica.Gradients[i]), $"gradient {i}: {gradients[i]} vs {replica.Gradients[i]}");
        }
        Assert.True(trainer.LastFeatureLoss > 0);
    }

    [Fact]
    public void TeachersAndTheirFeatureNetworksAreNeverChanged()
    {
        var (trainer, teacherStores, featureStores, _, _) = ActorMimicWithFeatures(ActorMimicOptions);
        var stores = teacherStores.Concat(featureStores).ToArray();
        foreach (var store in stores) store.Gradients.AsSpan().Fill(0.25f);
        var values = stores.Select(s => (float[])s.Values.Clone()).ToArray();
        var studentBefore = (float[])trainer.Parameters.Values.Clone();

        trainer.Train(1_000);

        Assert.True(trainer.Updates > 100);
        Assert.NotEqual(studentBefore, trainer.Parameters.Values);
        for (var s = 0; s < stores.Length; s++)
        {
            Assert.True(values[s].AsSpan().SequenceEqual(stores[s].Values), $"teacher store {s} changed");
            Assert.All(stores[s].Gradients, g => Assert.Equal(0.25f, g));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TeachersWithLittleBatchRoomAnswerInChunksWithTheSameResult(bool perTask)
    {
        // Teachers that take 3 rows a call answer 16-row batches and 8-environment steps in chunks; the
        // run equals the one whose teachers take everything at once. One teacher for both tasks as well.
        var grid = DistillationAgents.GridOptions(DistillationAgents.SmallRoom());
        var options = Quick(DistillationMethod.Kl) with { Collector = DistillationCollector.Teacher, BatchSize = 16, Warmup = 100 };
        DistillationTrainer Create(int teacherRoom)
        {
            var environment = DistillationAgents.GridWorld(8, grid);
            var cells = environment.ObservationSize;
            var (teachers, _) = DistillationAgents.TableTeachers(grid, Gamma, teacherRoom);
            var builder = new ParameterLayoutBuilder();
            var chain = new SequentialBuilder(builder, "student", cells).TaskLinear(4, 2);
            return new DistillationTrainer(environment, builder.Build(), (store, batch) => new SequentialQNetwork(chain.Bind(store, batch), cells),
                perTask ? teachers : [teachers[1]], options);
        }
        var whole = Create(64);
        var chunked = Create(3);
        whole.Train(800);
        chunked.Train(800);
        Assert.True(whole.Updates > 300);
        Assert.Equal(whole.Parameters.Values, chunked.Parameters.Values);
        Assert.Equal(whole.Episodes.MeanReturn, chunked.Episodes.MeanReturn);
    }

    [Fact]
    public void TheTeacherCollectorActsWithTheTeachers()
    {
        var grid = DistillationAgents.GridOptions(DistillationAgents.SmallRoom());
        var options = Quick(DistillationMethod.Nll) with { Collector = DistillationCollector.Teacher, Warmup = 0, EpsilonStart = 0, EpsilonEnd = 0 };
        var (trainer, _) = Tabular(grid, 4, options);
        trainer.Train(1_000);
        Assert.True(trainer.Episodes.Episodes > 50);
        Assert.Equal(1.0, trainer.Episodes.TerminationRate);
        for (var t = 0; t < 2; t++) Assert.Equal(1.0, trainer.TaskEpisodes[t].TerminationRate);
    }

    [Fact]
    public void AResumedRunContinuesBitForBit()
    {
        var directory = Directory.CreateTempSubdirectory("mtrl-distill-").FullName;
        try
        {
            var options = ActorMimicOptions with { Sampling = ReplaySampling.TaskBalanced };
            DistillationTrainer Create() => ActorMimicWithFeatures(options).Trainer;
            var uninterrupted = Create();
            var stopped = Create();
            uninterrupted.Train(800);
            stopped.Train(800);

            var resumed = TrainerStates.SaveAndResume(stopped, Create(), directory);
            uninterrupted.Train(2_000);
            resumed.Train(2_000);

            Assert.True(uninterrupted.Updates > 400);
            TrainerStates.AssertSameRun(uninterrupted, resumed);
            Assert.Equal(BitConverter.DoubleToInt64Bits(uninterrupted.LastFeatureLoss), BitConverter.DoubleToInt64Bits(((DistillationTrainer)resumed).LastFeatureLoss));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void RestoringACheckpointReproducesTheStudent()
    {
        var (trained, _) = Tabular(DistillationAgents.GridOptions(DistillationAgents.SmallRoom()), 4, Quick(DistillationMethod.Kl) with { Warmup = 100 });
        trained.Train(600);
        var (fresh, _) = Tabular(DistillationAgents.GridOptions(DistillationAgents.SmallRoom()), 4, Quick(DistillationMethod.Kl) with { Warmup = 100, Seed = 77 });
        fresh.Restore(trained.CreateCheckpoint());
        Assert.Equal(trained.Parameters.Values, fresh.Parameters.Values);
        Assert.Equal(trained.Optimizer.SecondMoment, fresh.Optimizer.SecondMoment);
        Assert.Equal(trained.Optimizer.Steps, fresh.Optimizer.Steps);
        Assert.Equal(0, fresh.Transitions); // Restore leaves the counters
    }

    [Theory]
    [InlineData(DistillationCollector.Student)]
    [InlineData(DistillationCollector.Teacher)]
    public void AStepAllocatesNothingOnceLearningRuns(DistillationCollector collector)
    {
        var (trainer, _, _, _, _) = ActorMimicWithFeatures(ActorMimicOptions with { TrainEvery = 1, Collector = collector, TaskWeights = [1.0, 2.0] });
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
        var a = ActorMimicWithFeatures(ActorMimicOptions, one).Trainer;
        var b = ActorMimicWithFeatures(ActorMimicOptions, two).Trainer;
        a.Train(1_500);
        b.Train(1_500);
        Assert.True(a.Updates > 300);
        Assert.Equal(a.Parameters.Values, b.Parameters.Values);
        Assert.Equal(a.Episodes.MeanReturn, b.Episodes.MeanReturn);
    }

    [Fact]
    public void ReinitializedSlicesStartAfreshWithClearedMoments()
    {
        var (trainer, _, _, _, _) = ActorMimicWithFeatures(ActorMimicOptions);
        var (initial, _, _, _, _) = ActorMimicWithFeatures(ActorMimicOptions);
        trainer.Train(600);
        var head = trainer.Parameters.Layout.Slices.Where(s => s.Name.StartsWith("q.", StringComparison.Ordinal)).ToList();
        trainer.Reinitialize(head, ActorMimicOptions.Seed);
        foreach (var slice in head)
        {
            Assert.True(initial.Parameters.ValuesOf(slice).SequenceEqual(trainer.Parameters.ValuesOf(slice)));
            Assert.All(trainer.Optimizer.FirstMoment.AsSpan(slice.Offset, slice.Length).ToArray(), m => Assert.Equal(0f, m));
        }
        Assert.Equal(2, trainer.NetworksOf<BodyHeadNetwork>().Count()); // the student and its predictor
        Assert.Empty(trainer.NetworksOf<SequentialQNetwork>()); // never a teacher
    }

    [Fact]
    public void TeachersMustBeOnePerTaskOrOneAndFitTheEnvironment()
    {
        var grid = DistillationAgents.GridOptions();
        var environment = DistillationAgents.GridWorld(4, grid);
        var (teachers, _) = DistillationAgents.TableTeachers(grid, Gamma, 64);
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "student", environment.ObservationSize).Linear(4);
        var layout = builder.Build();
        IQNetwork Student(ParameterStore store, int batch) => new SequentialQNetwork(chain.Bind(store, batch), environment.ObservationSize);

        var error = Assert.Throws<ArgumentException>(() => new DistillationTrainer(environment, layout, Student, teachers.Take(2).ToArray(), new DistillationOptions { BatchSize = 64 }));
        Assert.Contains("2 teachers for 4 task(s)", error.Message);
        var small = DistillationAgents.TableTeacher(new float[20 * 4], 20, 64).Network;
        error = Assert.Throws<ArgumentException>(() => new DistillationTrainer(environment, layout, Student, [small], new DistillationOptions { BatchSize = 64 }));
        Assert.Contains("teacher 0 reads observations 20 wide but the environment's are 169 wide", error.Message);
        // One teacher for every task is accepted.
        _ = new DistillationTrainer(environment, layout, Student, [teachers[0]], new DistillationOptions { BatchSize = 64 });
    }

    [Fact]
    public void OptionsOutsideTheirRangesAreRejectedByName()
    {
        Assert.Equal("Temperature", Assert.Throws<ArgumentOutOfRangeException>(() => new DistillationOptions { Temperature = 0f }.Validate()).ParamName);
        Assert.Equal("FeatureWeight", Assert.Throws<ArgumentOutOfRangeException>(() => new DistillationOptions { FeatureWeight = -1f }.Validate()).ParamName);
        Assert.Equal("EpsilonEnd", Assert.Throws<ArgumentOutOfRangeException>(() => new DistillationOptions { EpsilonEnd = 2 }.Validate()).ParamName);
        Assert.Equal("Sampling", Assert.Throws<ArgumentException>(() => new DistillationOptions { Sampling = ReplaySampling.Prioritized }.Validate()).ParamName);
        Assert.Equal("Gradients", Assert.Throws<ArgumentException>(() => new DistillationOptions { Gradients = TaskGradientMethod.PcGrad }.Validate()).ParamName);
    }

    private static double[] Softmax(double[] x, double inverseTemperature)
    {
        var max = x.Max();
        var e = x.Select(v => Math.Exp(inverseTemperature * (v - max))).ToArray();
        var sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    private static int ArgMax(double[] x)
    {
        var best = 0;
        for (var i = 1; i < x.Length; i++)
        {
            if (x[i] > x[best]) best = i;
        }
        return best;
    }
}

/// <summary>Saving and resuming any trainer the way a run directory does, and comparing two runs bit for bit.</summary>
internal static class TrainerStates
{
    public static ITrainer SaveAndResume(ITrainer trainer, ITrainer fresh, string directory)
    {
        var checkpoint = Path.Combine(directory, "state.ckpt");
        var replay = Path.Combine(directory, "state.replay");
        CheckpointFile.Save(checkpoint, trainer.CreateCheckpoint());
        trainer.Replay.Save(replay);
        fresh.Resume(CheckpointFile.Load(checkpoint));
        ReplayBufferFile.LoadInto(replay, fresh.Replay);
        return fresh;
    }

    public static void AssertSameRun(ITrainer expected, ITrainer actual)
    {
        Assert.Equal(expected.Transitions, actual.Transitions);
        Assert.Equal(expected.Updates, actual.Updates);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.LastLoss), BitConverter.DoubleToInt64Bits(actual.LastLoss));
        Assert.Equal((expected.Episodes.Episodes, expected.Episodes.MeanReturn), (actual.Episodes.Episodes, actual.Episodes.MeanReturn));
        for (var t = 0; t < expected.TaskEpisodes.Length; t++)
        {
            Assert.Equal(expected.TaskEpisodes[t].Episodes, actual.TaskEpisodes[t].Episodes);
            Assert.Equal(expected.TaskEpisodes[t].MeanReturn, actual.TaskEpisodes[t].MeanReturn);
        }
        var a = expected.CreateCheckpoint();
        var b = actual.CreateCheckpoint();
        Assert.Equal(a.Arrays.Keys.Order(), b.Arrays.Keys.Order());
        foreach (var (name, values) in a.Arrays) Assert.True(values.AsSpan().SequenceEqual(b.Arrays[name]), $"array '{name}' differs");
        foreach (var (name, values) in a.Integers) Assert.True(values.AsSpan().SequenceEqual(b.Integers[name]), $"integers '{name}' differ");
        Assert.Equal(a.Counters.OrderBy(c => c.Key), b.Counters.OrderBy(c => c.Key));
    }
}
