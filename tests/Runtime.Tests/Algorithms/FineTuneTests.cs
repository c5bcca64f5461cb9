using System;
using System.IO;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Optimization;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Runtime.Tests.Algorithms;

/// <summary>
/// Fine-tuning: frozen slices (<see cref="OffPolicyOptions.Freeze"/>) keep their values and Adam
/// moments bit for bit while the rest trains; <see cref="ITrainer.InitializeFrom"/> starts a fresh
/// trainer from a checkpoint of the same layout or, slice by slice, of another.
/// </summary>
public sealed class FineTuneTests : IDisposable
{
    private const int Bits = 6;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-finetune-" + Guid.NewGuid().ToString("N"));

    public FineTuneTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static DqnOptions Dqn => new()
    {
        Gamma = 0.9,
        LearningRate = 1e-3f,
        BatchSize = 32,
        Warmup = 100,
        TrainEvery = 2,
        TargetUpdateEvery = 100,
        EpsilonDecaySteps = 500,
        ReplayCapacity = 2_000,
        Her = new HerOptions(HerGoalStrategy.Future, 4),
        Seed = 5,
    };

    /// <summary>A BitFlip Q network "q": an MLP with <paramref name="hidden"/> layers, then a readout (slices q.fc0 … q.fcN).</summary>
    private static DqnTrainer BitFlip(DqnOptions options, int[]? hidden = null, string name = "q")
    {
        var environment = new BitFlipVectorEnvironment(4, Bits);
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, name, 2 * Bits).Mlp(hidden ?? new[] { 16 }).Linear(Bits);
        return new DqnTrainer(environment, builder.Build(), (store, batch) => new SequentialQNetwork(chain.Bind(store, batch), Bits, Bits), options);
    }

    private static SacOptions Sac => new() { BatchSize = 32, Warmup = 100, Seed = 3, LearningRate = 1e-3f, ReplayCapacity = 2_000 };

    private static float[] Values(ParameterStore store, string prefix) => store.Layout.SlicesCoveredBy(prefix).SelectMany(s => store.ValuesOf(s).ToArray()).ToArray();

    private static float[] Moments(float[] moments, ParameterStore store, string prefix) =>
        store.Layout.SlicesCoveredBy(prefix).SelectMany(s => moments.AsSpan(s.Offset, s.Length).ToArray()).ToArray();

    private static void AssertBitIdentical(float[] expected, float[] actual, string what)
    {
        Assert.True(expected.Length > 0, what);
        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{what} changed");
    }

    [Fact]
    public void DqnLeavesFrozenSlicesAndTheirMomentsBitIdenticalAndTrainsTheRest()
    {
        var trainer = BitFlip(Dqn with { Freeze = ["q.fc0"] });
        var frozenBefore = Values(trainer.Parameters, "q.fc0");
        var trainedBefore = Values(trainer.Parameters, "q.fc2");

        trainer.Train(600);

        Assert.True(trainer.Updates > 100, $"{trainer.Updates} updates");
        Assert.True(trainer.Parameters.Layout.SlicesCoveredBy("q.fc0").All(trainer.Parameters.IsFrozen));
        AssertBitIdentical(frozenBefore, Values(trainer.Parameters, "q.fc0"), "q.fc0");
        Assert.All(Moments(trainer.Optimizer.FirstMoment, trainer.Parameters, "q.fc0"), m => Assert.Equal(0f, m));
        Assert.All(Moments(trainer.Optimizer.SecondMoment, trainer.Parameters, "q.fc0"), m => Assert.Equal(0f, m));
        Assert.False(trainedBefore.AsSpan().SequenceEqual(Values(trainer.Parameters, "q.fc2")), "q.fc2 did not train");
        Assert.Contains(Moments(trainer.Optimizer.SecondMoment, trainer.Parameters, "q.fc2"), m => m != 0f);
        // With tau 1 the target is a copy, so it holds the frozen values exactly too.
        AssertBitIdentical(frozenBefore, Values(trainer.TargetParameters, "q.fc0"), "the target's q.fc0");
    }

    [Fact]
    public void SacFreezesASliceInBothCriticsAndAFrozenActorStaysPut()
    {
        var environment = ActorCriticAgents.PointMass(4, 1);
        var trainer = ActorCriticAgents.Sac(environment, Sac with { Freeze = ["critic.fc0", "actor"] }, hidden: 16);
        var critic = Values(trainer.Parameters, "critic.fc0");
        var twin = Values(trainer.TwinParameters, "critic.fc0");
        var actor = Values(trainer.Parameters, "actor");
        var head = Values(trainer.Parameters, "critic.fc4");
        var twinHead = Values(trainer.TwinParameters, "critic.fc4");

        // PointMass episodes last up to 100 steps, and replay samples finished episodes only.
        trainer.Train(800);

        Assert.True(trainer.Updates > 200, $"{trainer.Updates} updates");
        AssertBitIdentical(critic, Values(trainer.Parameters, "critic.fc0"), "critic.fc0");
        AssertBitIdentical(twin, Values(trainer.TwinParameters, "critic.fc0"), "the twin's critic.fc0");
        AssertBitIdentical(actor, Values(trainer.Parameters, "actor"), "the actor");
        Assert.All(Moments(trainer.CriticOptimizer.SecondMoment, trainer.Parameters, "critic.fc0"), m => Assert.Equal(0f, m));
        Assert.All(Moments(trainer.TwinOptimizer.FirstMoment, trainer.TwinParameters, "critic.fc0"), m => Assert.Equal(0f, m));
        Assert.All(trainer.ActorOptimizer.SecondMoment, m => Assert.Equal(0f, m));
        Assert.False(head.AsSpan().SequenceEqual(Values(trainer.Parameters, "critic.fc4")), "critic.fc4 did not train");
        Assert.False(twinHead.AsSpan().SequenceEqual(Values(trainer.TwinParameters, "critic.fc4")), "the twin's critic.fc4 did not train");
        Assert.Contains(Moments(trainer.CriticOptimizer.SecondMoment, trainer.Parameters, "critic.fc2"), m => m != 0f);
        // The temperature still learns.
        Assert.NotEqual(0f, trainer.LogAlpha[0]);
    }

    [Fact]
    public void APrefixThatCoversNoSliceIsNamedWithTheNamesThereAre()
    {
        var error = Assert.Throws<ArgumentException>(() => BitFlip(Dqn with { Freeze = ["q.fc0", "q.fc9"] }));
        Assert.Contains("'q.fc9' names no parameter slice", error.Message);
        Assert.Contains("'q.fc0', 'q.fc2'", error.Message);
        // 'q.f' is not a prefix at a '.': it covers nothing.
        Assert.Contains("'q.f'", Assert.Throws<ArgumentException>(() => BitFlip(Dqn with { Freeze = ["q.f"] })).Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".q")]
    [InlineData("q.")]
    [InlineData("q..fc0")]
    [InlineData("q fc0")]
    public void MalformedPrefixesAreRefusedByValidate(string prefix)
    {
        var error = Assert.Throws<ArgumentException>(() => (Dqn with { Freeze = [prefix] }).Validate());
        Assert.Equal("Freeze", error.ParamName);
        Assert.Throws<ArgumentNullException>(() => (Dqn with { Freeze = null! }).Validate());
    }

    [Fact]
    public void TheSameLayoutLoadsEverySliceWithFreshTargetsOptimizerAndCounters()
    {
        var source = BitFlip(Dqn);
        source.Train(650); // the target was last copied at 600
        var path = Path.Combine(_directory, "source.ckpt");
        CheckpointFile.Save(path, source.CreateCheckpoint());

        var fresh = BitFlip(Dqn with { Seed = 99, Freeze = ["q.fc0"] });
        var result = fresh.InitializeFrom(CheckpointFile.Load(path));

        Assert.True(result.SameLayout);
        Assert.Equal(new[] { "q.fc0.weight", "q.fc0.bias", "q.fc2.weight", "q.fc2.bias" }, result.Loaded);
        Assert.Empty(result.Skipped);
        Assert.Equal("loaded all 4 slices (same layout)", result.Summary());
        Assert.Equal(source.Parameters.Values, fresh.Parameters.Values);
        // The target is a copy of the loaded parameters, not the source's (older) target.
        Assert.Equal(source.Parameters.Values, fresh.TargetParameters.Values);
        Assert.NotEqual(source.TargetParameters.Values, fresh.TargetParameters.Values);
        Assert.Equal((0L, 0L, 0L), (fresh.Transitions, fresh.Updates, fresh.Optimizer.Steps));
        Assert.All(fresh.Optimizer.SecondMoment, m => Assert.Equal(0f, m));

        // It trains on from there, the frozen slice staying as loaded.
        var loaded = Values(fresh.Parameters, "q.fc0");
        fresh.Train(300);
        AssertBitIdentical(loaded, Values(fresh.Parameters, "q.fc0"), "q.fc0");
        Assert.Throws<InvalidOperationException>(() => fresh.InitializeFrom(source.CreateCheckpoint()));
    }

    [Fact]
    public void AnotherLayoutLoadsTheSlicesWhoseNameAndShapeAgree()
    {
        var source = BitFlip(Dqn, hidden: [16]);
        source.Train(300);
        // q.fc0 agrees; q.fc2 is 16×16 here but 16×6 there; q.fc4 is new (activations take the odd indices).
        var target = BitFlip(Dqn with { Seed = 42 }, hidden: [16, 16]);
        var untouched = BitFlip(Dqn with { Seed = 42 }, hidden: [16, 16]);

        var result = target.InitializeFrom(source.CreateCheckpoint());

        Assert.False(result.SameLayout);
        Assert.Equal(new[] { "q.fc0.weight", "q.fc0.bias" }, result.Loaded);
        Assert.Equal(new[] { "q.fc2.weight", "q.fc2.bias", "q.fc4.weight", "q.fc4.bias" }, result.Skipped.Select(s => s.Name));
        Assert.Equal("16×6 in the checkpoint, 16×16 here", result.Skipped[0].Reason);
        Assert.Equal("not in the checkpoint", result.Skipped[2].Reason);
        Assert.Empty(result.Unused);
        Assert.StartsWith("loaded 2 of 6 slices by name and shape; kept as initialised: q.fc2.weight (16×6 in the checkpoint, 16×16 here)", result.Summary());
        Assert.Equal(Values(source.Parameters, "q.fc0"), Values(target.Parameters, "q.fc0"));
        Assert.Equal(Values(untouched.Parameters, "q.fc2"), Values(target.Parameters, "q.fc2"));
        Assert.Equal(Values(untouched.Parameters, "q.fc4"), Values(target.Parameters, "q.fc4"));
        Assert.Equal(target.Parameters.Values, target.TargetParameters.Values);

        // The other way round: the checkpoint's deeper slices go unused.
        var back = BitFlip(Dqn, hidden: [16]).InitializeFrom(target.CreateCheckpoint());
        Assert.Equal(new[] { "q.fc0.weight", "q.fc0.bias" }, back.Loaded);
        Assert.Equal(new[] { "q.fc4.weight", "q.fc4.bias" }, back.Unused);
    }

    [Fact]
    public void ACheckpointSharingNoSliceIsRefusedAndChangesNothing()
    {
        var source = BitFlip(Dqn, name: "other");
        var target = BitFlip(Dqn);
        var before = (float[])target.Parameters.Values.Clone();
        var error = Assert.Throws<CheckpointException>(() => target.InitializeFrom(source.CreateCheckpoint()));
        Assert.Contains("no parameter slice of the checkpoint matches this agent by name and shape", error.Message);
        Assert.Contains("'other.fc0.weight'", error.Message);
        Assert.Contains("'q.fc0.weight'", error.Message);
        Assert.Equal(before, target.Parameters.Values);
    }

    [Fact]
    public void ACheckpointWithoutSliceNamesLoadsOnlyIntoItsOwnLayout()
    {
        var source = BitFlip(Dqn);
        var checkpoint = source.CreateCheckpoint();
        checkpoint.Strings.Clear(); // as written before format version 4
        Assert.True(BitFlip(Dqn with { Seed = 8 }).InitializeFrom(checkpoint).SameLayout);
        var error = Assert.Throws<CheckpointException>(() => BitFlip(Dqn, hidden: [16, 16]).InitializeFrom(checkpoint));
        Assert.Contains("does not record its slice names", error.Message);
        Assert.Contains("format version 4", error.Message);

        var noParameters = new Checkpoint(1);
        Assert.Contains("has no 'parameters' section", Assert.Throws<CheckpointException>(() => BitFlip(Dqn).InitializeFrom(noParameters)).Message);
    }

    [Fact]
    public void ACheckpointWhoseLayoutSectionsDisagreeIsRefused()
    {
        var checkpoint = BitFlip(Dqn).CreateCheckpoint();
        checkpoint.Integers[Checkpoint.LayoutShapesSection] = [0, 1];
        Assert.Contains("three numbers", Assert.Throws<CheckpointException>(() => BitFlip(Dqn, hidden: [8]).InitializeFrom(checkpoint)).Message);
        checkpoint.Integers[Checkpoint.LayoutShapesSection] = [0, 12, 16, 1_000_000, 1, 16, 0, 16, 6, 0, 1, 6];
        Assert.Contains("past the", Assert.Throws<CheckpointException>(() => BitFlip(Dqn, hidden: [8]).InitializeFrom(checkpoint)).Message);
    }

    [Fact]
    public void SacStartsBothCriticsFromTheCheckpointWithFreshOptimizersAndTemperatures()
    {
        var source = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 1), Sac, hidden: 16);
        source.Train(600);
        var fresh = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 1), Sac with { Seed = 77 }, hidden: 16);

        var result = fresh.InitializeFrom(source.CreateCheckpoint());

        Assert.True(result.SameLayout);
        Assert.Equal(source.Parameters.Values, fresh.Parameters.Values);
        Assert.Equal(source.TwinParameters.Values, fresh.TwinParameters.Values);
        Assert.Equal(source.Parameters.Values, fresh.TargetParameters.Values);
        Assert.Equal(source.TwinParameters.Values, fresh.TwinTargetParameters.Values);
        Assert.Equal(0L, fresh.ActorOptimizer.Steps + fresh.CriticOptimizer.Steps + fresh.TwinOptimizer.Steps);
        Assert.NotEqual(source.LogAlpha[0], fresh.LogAlpha[0]);
        Assert.Equal(0f, fresh.LogAlpha[0]); // alpha_init 1
        fresh.Train(600);
        Assert.True(fresh.Updates > 0);
    }

    [Fact]
    public void AdamResetForgetsMomentsAndSteps()
    {
        var trainer = BitFlip(Dqn);
        trainer.Train(400);
        Adam adam = trainer.Optimizer;
        Assert.True(adam.Steps > 0);
        adam.Reset();
        Assert.Equal((0L, 0L), (adam.Steps, adam.SkippedSteps));
        Assert.All(adam.FirstMoment, m => Assert.Equal(0f, m));
        Assert.All(adam.SecondMoment, m => Assert.Equal(0f, m));
    }
}
