using System;
using System.IO;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Runtime.Tests.Algorithms;

/// <summary>
/// A run stopped, saved (checkpoint file and replay file) and resumed in a fresh trainer continues
/// bit for bit as the run that never stopped: parameters, targets, optimizers, counters, losses,
/// episode statistics and the environments.
/// </summary>
public sealed class ResumeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("mtrl-resume-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static DqnTrainer BitFlip(DqnOptions options)
    {
        var environment = new BitFlipVectorEnvironment(4, 8);
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "q", 16).Mlp(new[] { 32 }).Linear(8);
        return new DqnTrainer(environment, builder.Build(), (store, batch) => new SequentialQNetwork(chain.Bind(store, batch), 8, 8), options);
    }

    private static DqnOptions Dqn => new()
    {
        Gamma = 0.9, LearningRate = 1e-3f, BatchSize = 32, Warmup = 200, TrainEvery = 2, TargetUpdateEvery = 100,
        EpsilonDecaySteps = 2_000, ReplayCapacity = 4_000, Her = new HerOptions(HerGoalStrategy.Future, 4), Seed = 21,
    };

    /// <summary>Saves <paramref name="trainer"/> the way a run directory does and resumes it into <paramref name="fresh"/>.</summary>
    private ITrainer SaveAndResume(ITrainer trainer, ITrainer fresh)
    {
        var checkpoint = Path.Combine(_directory, "state.ckpt");
        var replay = Path.Combine(_directory, "state.replay");
        CheckpointFile.Save(checkpoint, trainer.CreateCheckpoint());
        trainer.Replay.Save(replay);
        fresh.Resume(CheckpointFile.Load(checkpoint));
        ReplayBufferFile.LoadInto(replay, fresh.Replay);
        return fresh;
    }

    private static void AssertSameRun(ITrainer expected, ITrainer actual)
    {
        Assert.Equal(expected.Transitions, actual.Transitions);
        Assert.Equal(expected.Updates, actual.Updates);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.LastLoss), BitConverter.DoubleToInt64Bits(actual.LastLoss));
        Assert.Equal((expected.Episodes.Episodes, expected.Episodes.MeanReturn, expected.Episodes.MeanLength), (actual.Episodes.Episodes, actual.Episodes.MeanReturn, actual.Episodes.MeanLength));
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

    [Fact]
    public void AResumedDqnRunWithHindsightRelabelingContinuesBitForBit()
    {
        var uninterrupted = BitFlip(Dqn);
        var stopped = BitFlip(Dqn);
        uninterrupted.Train(1_000);
        stopped.Train(1_000);

        var resumed = SaveAndResume(stopped, BitFlip(Dqn));
        uninterrupted.Train(2_600);
        resumed.Train(2_600);

        Assert.True(uninterrupted.Updates > 500);
        AssertSameRun(uninterrupted, resumed);
    }

    [Theory]
    [InlineData(TaskGradientMethod.GradNorm)]
    [InlineData(TaskGradientMethod.PcGrad)]
    public void AResumedMultiTaskSacRunContinuesBitForBit(TaskGradientMethod gradients)
    {
        var options = new SacOptions
        {
            BatchSize = 32, Warmup = 200, Seed = 8, ReplayCapacity = 4_000, Alpha = TemperatureMode.PerTask,
            Sampling = ReplaySampling.TaskBalanced, Gradients = gradients,
        };
        SacTrainer Create() => ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 2), options, hidden: 16);
        var uninterrupted = Create();
        var stopped = Create();
        uninterrupted.Train(1_200);
        stopped.Train(1_200);

        var resumed = SaveAndResume(stopped, Create());
        uninterrupted.Train(2_400);
        resumed.Train(2_400);

        Assert.True(uninterrupted.Updates > 1_000);
        AssertSameRun(uninterrupted, resumed);
    }

    [Fact]
    public void AResumedTd3RunContinuesBitForBit()
    {
        var options = new Td3Options { BatchSize = 32, Warmup = 200, Seed = 9, ReplayCapacity = 4_000, PolicyDelay = 3, Sampling = ReplaySampling.Prioritized };
        Td3Trainer Create() => ActorCriticAgents.Td3(ActorCriticAgents.PointMass(4, 1), options, hidden: 16);
        var uninterrupted = Create();
        var stopped = Create();
        uninterrupted.Train(1_000);
        stopped.Train(1_000);

        var resumed = SaveAndResume(stopped, Create());
        uninterrupted.Train(2_000);
        resumed.Train(2_000);

        AssertSameRun(uninterrupted, resumed);
    }

    [Fact]
    public void ACheckpointOfOtherEnvironmentsIsRefused()
    {
        var trainer = BitFlip(Dqn);
        trainer.Train(400);
        var checkpoint = trainer.CreateCheckpoint();
        checkpoint.Counters["loop.vector_steps"] += 1;
        var error = Assert.Throws<CheckpointException>(() => BitFlip(Dqn).Resume(checkpoint));
        Assert.Contains("do not fit 4 environments", error.Message);
    }
}
