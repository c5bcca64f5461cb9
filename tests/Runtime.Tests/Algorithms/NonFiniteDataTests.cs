using System;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Losses;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Runtime.Tests.Algorithms;

/// <summary>Which buffer a <see cref="PoisonedEnvironment"/> writes its bad value into.</summary>
public enum PoisonedField
{
    Reward,
    Observation,
    AchievedGoal,
    DesiredGoal,
}

/// <summary>
/// A goal environment that, after chosen vector steps, overwrites one value of the step's
/// buffers with NaN or ±∞ — the way a buggy or diverging simulator would report it. The value
/// lands where the loop reads it: the reward, s′ (the final observation of a finished episode,
/// else the current one), the achieved goal after the step, or the desired goal of the next step.
/// </summary>
internal sealed class PoisonedEnvironment : IDiscreteVectorEnvironment, IContinuousVectorEnvironment, IGoalVectorEnvironment
{
    private readonly IGoalVectorEnvironment _inner;
    private long _steps;

    public PoisonedEnvironment(IGoalVectorEnvironment inner) => _inner = inner;

    public PoisonedField Field { get; init; }

    public int Environment { get; init; }

    public int Element { get; init; }

    public float Value { get; init; } = float.NaN;

    /// <summary>Decides after each step (0-based index, buffers) whether to poison it.</summary>
    public Func<long, VectorStepBuffers, bool> When { get; init; } = (_, _) => false;

    /// <summary>Vector steps poisoned so far.</summary>
    public long[] Poisoned => _poisoned.ToArray();

    private readonly System.Collections.Generic.List<long> _poisoned = [];

    public int EnvironmentCount => _inner.EnvironmentCount;

    public int ObservationSize => _inner.ObservationSize;

    public ActionSpace ActionSpace => _inner.ActionSpace;

    public int TaskCount => _inner.TaskCount;

    public VectorStepBuffers Buffers => _inner.Buffers;

    public ulong Seed => _inner.Seed;

    public int GoalSize => _inner.GoalSize;

    public void Reset(ulong seed)
    {
        _inner.Reset(seed);
        _steps = 0;
    }

    public void Step(ReadOnlySpan<int> actions)
    {
        ((IDiscreteVectorEnvironment)_inner).Step(actions);
        AfterStep();
    }

    public void Step(ReadOnlySpan<float> actions)
    {
        ((IContinuousVectorEnvironment)_inner).Step(actions);
        AfterStep();
    }

    public void ComputeReward(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, Span<float> rewards)
        => _inner.ComputeReward(achievedGoals, desiredGoals, rewards);

    public void ComputeTerminated(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, Span<bool> terminated)
        => _inner.ComputeTerminated(achievedGoals, desiredGoals, terminated);

    private void AfterStep()
    {
        var step = _steps++;
        var b = Buffers;
        if (!When(step, b)) return;
        _poisoned.Add(step);
        var finished = b.Finished[Environment];
        switch (Field)
        {
            case PoisonedField.Reward:
                b.Rewards[Environment] = Value;
                break;
            case PoisonedField.Observation:
                (finished ? b.FinalObservations : b.Observations)[Environment * ObservationSize + Element] = Value;
                break;
            case PoisonedField.AchievedGoal:
                (finished ? b.FinalAchievedGoals : b.AchievedGoals)[Environment * GoalSize + Element] = Value;
                break;
            case PoisonedField.DesiredGoal:
                b.DesiredGoals[Environment * GoalSize + Element] = Value;
                break;
        }
    }
}

public sealed class NonFiniteDataTests
{
    private static DqnOptions Dqn(NonFinitePolicy policy) => new()
    {
        Gamma = 0.9,
        LearningRate = 1e-3f,
        BatchSize = 32,
        Warmup = 64,
        ReplayCapacity = 4_000,
        TargetUpdateEvery = 100,
        Her = new HerOptions(HerGoalStrategy.Future, 2),
        NonFinite = policy,
        Seed = 5,
    };

    private static DqnTrainer BitFlip(PoisonedEnvironment environment, DqnOptions options)
    {
        var bits = environment.ObservationSize;
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "q", 2 * bits).Mlp(new[] { 32 }).Linear(bits);
        return new DqnTrainer(environment, builder.Build(), (store, batch) => new SequentialQNetwork(chain.Bind(store, batch), bits, bits), options);
    }

    private static PoisonedEnvironment PoisonedBitFlip(PoisonedField field, float value, Func<long, VectorStepBuffers, bool> when, int environment = 2, int element = 3)
        => new(new BitFlipVectorEnvironment(4, 6))
        {
            Field = field,
            Value = value,
            When = when,
            Environment = environment,
            Element = element,
        };

    private static SacOptions Sac(NonFinitePolicy policy) => new()
    {
        BatchSize = 32,
        Warmup = 64,
        ReplayCapacity = 4_000,
        LearningRate = 1e-3f,
        NonFinite = policy,
        Seed = 3,
    };

    private static PoisonedEnvironment PoisonedPointMass(PoisonedField field, float value, Func<long, VectorStepBuffers, bool> when)
        => new(ActorCriticAgents.PointMass(4, 2))
        {
            Field = field,
            Value = value,
            When = when,
            Environment = 3,
            Element = 1,
        };

    public static TheoryData<PoisonedField, float, string, long> FailCases => new()
    {
        { PoisonedField.Reward, float.NaN, "reward", 40 },
        { PoisonedField.Reward, float.PositiveInfinity, "reward", 40 },
        { PoisonedField.Observation, float.NegativeInfinity, "next observation", 40 },
        { PoisonedField.AchievedGoal, float.NaN, "next achieved goal", 40 },

        // The desired goal is read when the next step begins.
        { PoisonedField.DesiredGoal, float.PositiveInfinity, "desired goal", 41 },
    };

    [Theory]
    [MemberData(nameof(FailCases))]
    public void DqnFailsNamingTheEnvironmentStepFieldAndElement(PoisonedField field, float value, string name, long reportedStep)
    {
        var environment = PoisonedBitFlip(field, value, (step, _) => step == 40);
        var trainer = BitFlip(environment, Dqn(NonFinitePolicy.Fail));
        var error = Assert.Throws<NonFiniteDataException>(() => trainer.Train(2_000));
        var where = error.Value;
        Assert.Equal(name, where.Field);
        Assert.Equal(2, where.Environment);
        Assert.Equal(0, where.Task);
        Assert.Equal(field == PoisonedField.Reward ? 0 : 3, where.Element);
        Assert.Equal(reportedStep, where.VectorStep);
        Assert.Equal("environment", where.Origin);
        Assert.Equal(value, where.Value);
        Assert.Contains($"{name}{(field == PoisonedField.Reward ? "" : " element 3")} of environment 2 (task 0) is {value.ToString(System.Globalization.CultureInfo.InvariantCulture)} at vector step {reportedStep}", error.Message);
        Assert.Contains("OffPolicyOptions.NonFinite", error.Message);
        Assert.Equal(0, trainer.SkippedTransitions);
    }

    [Theory]
    [InlineData(PoisonedField.Reward)]
    [InlineData(PoisonedField.Observation)]
    [InlineData(PoisonedField.AchievedGoal)]
    [InlineData(PoisonedField.DesiredGoal)]
    public void DqnSkipsCountsAndNeverStoresNonFiniteData(PoisonedField field)
    {
        var environment = PoisonedBitFlip(field, float.NaN, (step, _) => step % 37 == 5);
        var trainer = BitFlip(environment, Dqn(NonFinitePolicy.Skip));
        trainer.Train(3_000);

        var poisoned = environment.Poisoned.Length;
        Assert.True(poisoned >= 15, $"{poisoned} poisoned steps");

        // A bad s′ is also the next step's s (unless the episode ended), so it can cost two steps.
        var skippedSteps = trainer.SkippedTransitions / 4;
        Assert.Equal(skippedSteps, trainer.NonFiniteTransitions);
        Assert.InRange(skippedSteps, poisoned, 2 * poisoned);
        Assert.Equal(trainer.Transitions / 4 - skippedSteps, trainer.Replay.StepsAdded);
        Assert.NotNull(trainer.LastNonFinite);
        Assert.Equal(2, trainer.LastNonFinite!.Environment);
        AssertReplayFinite(trainer.Replay);
        Assert.True(double.IsFinite(trainer.Episodes.MeanReturn), $"mean return {trainer.Episodes.MeanReturn}");
        Assert.True(trainer.Updates > 0 && double.IsFinite(trainer.LastLoss), $"{trainer.Updates} updates, loss {trainer.LastLoss}");
        Assert.Equal(0, trainer.SkippedUpdates);
    }

    private static void AssertReplayFinite(ReplayBuffer replay)
    {
        var slots = replay.Count;
        var store = replay.Store;
        var o = replay.Options.ObservationWidth;
        var g = replay.Options.GoalWidth;
        Assert.Equal(-1, NonFinite.IndexOf(store.Observations[..(slots * o)]));
        Assert.Equal(-1, NonFinite.IndexOf(store.NextObservations[..(slots * o)]));
        Assert.Equal(-1, NonFinite.IndexOf(store.Rewards[..slots]));
        Assert.Equal(-1, NonFinite.IndexOf(store.AchievedGoals[..(slots * g)]));
        Assert.Equal(-1, NonFinite.IndexOf(store.NextAchievedGoals[..(slots * g)]));
        Assert.Equal(-1, NonFinite.IndexOf(store.DesiredGoals[..(slots * g)]));
        if (!replay.Options.DiscreteActions) Assert.Equal(-1, NonFinite.IndexOf(store.Actions[..(slots * replay.Options.ActionWidth)]));
    }

    [Fact]
    public void ASkippedStepEndsTheStoredEpisodesOfEnvironmentsThatFinishedInIt()
    {
        // Poison env 0's reward in the first step after warm-up where env 1 finishes an episode.
        // Neither env may have finished the step before, so both have stored steps in their current episodes.
        bool[] before = [true, true];
        var environment = PoisonedBitFlip(PoisonedField.Reward, float.NaN, (step, b) =>
        {
            var chosen = step >= 20 && b.Finished[1] && !b.Finished[0] && !before[0] && !before[1];
            before[0] = b.Finished[0];
            before[1] = b.Finished[1];
            return chosen;
        }, environment: 0);
        var trainer = BitFlip(environment, Dqn(NonFinitePolicy.Skip) with { Her = null });
        var replay = trainer.Replay;
        while (environment.Poisoned.Length == 0)
        {
            trainer.Step();
        }

        Assert.Equal(1, trainer.NonFiniteTransitions);
        Assert.Equal(4, trainer.SkippedTransitions);
        var ledger = replay.Ledger;
        var n = replay.Options.EnvCount;
        var lastRow = (replay.Position + replay.Options.Rows - 1) % replay.Options.Rows;
        var lastOfEnv1 = lastRow * n + 1;

        // Env 1's episode lost its final step; what was stored became a complete, truncated episode.
        Assert.Equal(0, ledger.CurrentLengths[1]);
        Assert.Equal((byte)1, replay.Store.Truncated[lastOfEnv1]);
        Assert.True(ledger.EpisodeLengths[lastOfEnv1] > 0, "the truncated episode is sampleable");

        // Env 0 did not finish: its episode simply goes on in the next stored row.
        Assert.True(ledger.CurrentLengths[0] > 0);
        var env0Start = ledger.CurrentStarts[0];

        // The next step starts env 1's new episode on the next row and continues env 0's.
        trainer.Step();
        var row = (replay.Position + replay.Options.Rows - 1) % replay.Options.Rows;
        Assert.Equal(row, ledger.EpisodeStarts[row * n + 1]);
        Assert.Equal(env0Start, ledger.EpisodeStarts[row * n]);
        Assert.Equal(env0Start, ledger.CurrentStarts[0]);
    }

    [Fact]
    public void SacFailsOnANonFiniteRewardNamingEnvironmentAndTask()
    {
        var environment = PoisonedPointMass(PoisonedField.Reward, float.PositiveInfinity, (step, _) => step == 30);
        var trainer = ActorCriticAgents.Sac(environment, Sac(NonFinitePolicy.Fail), hidden: 16);
        var error = Assert.Throws<NonFiniteDataException>(() => trainer.Train(1_000));
        Assert.Equal("reward", error.Value.Field);
        Assert.Equal(3, error.Value.Environment);
        Assert.Equal(environment.Buffers.TaskIds[3], error.Value.Task);
        Assert.Equal(30, error.Value.VectorStep);
        Assert.Contains($"reward of environment 3 (task {environment.Buffers.TaskIds[3]}) is Infinity at vector step 30", error.Message);
    }

    [Theory]
    [InlineData(PoisonedField.Reward)]
    [InlineData(PoisonedField.Observation)]
    [InlineData(PoisonedField.DesiredGoal)]
    public void SacSkipsAndCountsNonFiniteData(PoisonedField field)
    {
        var environment = PoisonedPointMass(field, float.NaN, (step, _) => step % 29 == 3);
        var trainer = ActorCriticAgents.Sac(environment, Sac(NonFinitePolicy.Skip), hidden: 16);
        trainer.Train(1_600);
        var poisoned = environment.Poisoned.Length;
        Assert.True(poisoned >= 10, $"{poisoned} poisoned steps");
        Assert.InRange(trainer.NonFiniteTransitions, poisoned, 2 * poisoned);
        Assert.Equal(4 * trainer.NonFiniteTransitions, trainer.SkippedTransitions);
        Assert.Equal(trainer.Transitions / 4 - trainer.NonFiniteTransitions, trainer.Loop.Replay.StepsAdded);
        AssertReplayFinite(trainer.Loop.Replay);
        Assert.True(trainer.Updates > 0 && double.IsFinite(trainer.LastLoss), $"{trainer.Updates} updates, loss {trainer.LastLoss}");
        Assert.True(double.IsFinite(trainer.Episodes.MeanReturn));
        Assert.Equal(0, trainer.SkippedUpdates);
    }

    [Fact]
    public void ADivergedPolicyIsReportedAsThePolicysActionUnderFail()
    {
        var environment = PoisonedPointMass(PoisonedField.Reward, 0f, (_, _) => false);
        var trainer = ActorCriticAgents.Sac(environment, Sac(NonFinitePolicy.Fail), hidden: 16);
        trainer.Train(200);
        trainer.Parameters.Values.AsSpan().Fill(float.NaN);
        var error = Assert.Throws<NonFiniteDataException>(() => trainer.Step());
        Assert.Equal("policy", error.Value.Origin);
        Assert.Equal("action", error.Value.Field);
        Assert.Contains("policy network itself produced it", error.Message);
    }

    [Fact]
    public void SacCountsSkippedUpdatesAndReplacesNonFiniteActionsUnderSkip()
    {
        var environment = PoisonedPointMass(PoisonedField.Reward, 0f, (_, _) => false);
        var trainer = ActorCriticAgents.Sac(environment, Sac(NonFinitePolicy.Skip), hidden: 16);
        trainer.Train(200);
        Assert.Equal(0, trainer.SkippedUpdates);
        var updatesBefore = trainer.Updates;
        var stepsBefore = trainer.Loop.VectorSteps;
        trainer.Parameters.Values.AsSpan().Fill(float.NaN);
        trainer.Train(400);

        // Every later action was NaN (replaced by 0 before the environments saw it), every update's loss too.
        Assert.Equal(4 * (trainer.Loop.VectorSteps - stepsBefore), trainer.NonFiniteTransitions);
        Assert.Equal("action", trainer.LastNonFinite!.Field);
        Assert.Equal(trainer.Updates - updatesBefore, trainer.SkippedUpdates);
        Assert.True(trainer.SkippedUpdates > 0);
        Assert.Equal(-1, NonFinite.IndexOf(environment.Buffers.Observations));
        AssertReplayFinite(trainer.Loop.Replay);
    }

    [Fact]
    public void DqnCountsUpdatesSkippedForANonFiniteLossWithoutThrowing()
    {
        var environment = PoisonedBitFlip(PoisonedField.Reward, 0f, (_, _) => false);
        var trainer = BitFlip(environment, Dqn(NonFinitePolicy.Fail) with { TargetUpdateEvery = 1_000_000 });
        trainer.Train(400);
        var updatesBefore = trainer.Updates;
        Assert.True(updatesBefore > 0);
        Assert.Equal(0, trainer.SkippedUpdates);

        // A NaN in the target network only: Huber sees NaN targets (it used to throw from Math.Sign).
        trainer.TargetParameters.Values.AsSpan().Fill(float.NaN);
        var online = trainer.Parameters.Values.ToArray();
        trainer.Train(600);
        Assert.Equal(trainer.Updates - updatesBefore, trainer.SkippedUpdates);
        Assert.True(trainer.SkippedUpdates > 0);
        Assert.Equal(online, trainer.Parameters.Values);
    }

    [Fact]
    public void ANonFiniteTaskGradientLeavesGradNormsWeightsAsTheyWere()
    {
        var builder = new ParameterLayoutBuilder();
        builder.Add("body.weight", ParameterOwner.Shared, 3, 2, Initializer.Constant(0.5f));
        var store = new ParameterStore(builder.Build());
        store.Initialize(1);
        var combiner = new TaskGradientCombiner(store, 2, new DqnOptions { Gradients = TaskGradientMethod.GradNorm }, stream: 1);
        void Update(float task1Gradient, double task1Loss)
        {
            combiner.BeginStep();
            store.Gradients.AsSpan().Fill(1f);
            combiner.Capture(0);
            store.Gradients.AsSpan().Fill(task1Gradient);
            combiner.Capture(1);
            combiner.Apply([4, 4], [1.0, task1Loss], 0);
        }

        Update(2f, 1.0);
        Update(3f, 0.5);
        var weights = combiner.LossWeights.ToArray();
        Assert.NotEqual(1.0, weights[0]);

        // Before, GradNorm's weight step threw ArgumentOutOfRangeException on the NaN norm (or left NaN weights).
        Update(float.NaN, 0.5);
        Update(2f, double.NaN);
        Update(float.PositiveInfinity, 0.5);
        Assert.Equal(weights, combiner.LossWeights.ToArray());
        Update(3f, 0.5);
        Assert.True(combiner.LossWeights.ToArray().All(double.IsFinite));
    }

    [Theory]
    [InlineData(TaskGradientMethod.PcGrad, float.NaN)]
    [InlineData(TaskGradientMethod.PcGrad, float.PositiveInfinity)]
    [InlineData(TaskGradientMethod.CaGrad, float.NaN)]
    [InlineData(TaskGradientMethod.CaGrad, float.NegativeInfinity)]
    [InlineData(TaskGradientMethod.GradNorm, float.NaN)]
    public void EveryTaskGradientMethodPassesANonFiniteGradientOnToTheOptimizer(TaskGradientMethod method, float value)
    {
        var builder = new ParameterLayoutBuilder();
        builder.Add("body.weight", ParameterOwner.Shared, 3, 2, Initializer.Constant(0.5f));
        var store = new ParameterStore(builder.Build());
        store.Initialize(1);
        var combiner = new TaskGradientCombiner(store, 2, new DqnOptions { Gradients = method }, stream: 1);
        combiner.BeginStep();
        store.Gradients.AsSpan().Fill(1f);
        combiner.Capture(0);
        store.Gradients.AsSpan().Fill(-1f);
        store.Gradients[2] = value;
        combiner.Capture(1);
        combiner.Apply([4, 4], [1.0, 1.0], 0);

        // Not finite, so Adam skips the step and the trainer counts it.
        Assert.NotEqual(-1, NonFinite.IndexOf(store.Gradients));
        var adam = new Mtrl.Runtime.Optimization.Adam(store, new Mtrl.Runtime.Optimization.AdamOptions());
        var before = store.Values.ToArray();
        adam.Step();
        Assert.Equal(1, adam.SkippedSteps);
        Assert.Equal(before, store.Values);
    }

    [Fact]
    public void HuberLossPassesNaNThroughInsteadOfThrowing()
    {
        var gradient = new float[3];
        var loss = Loss.Huber([0f, 1f, 2f], [float.NaN, 0f, 0f], gradient, 3);
        Assert.True(double.IsNaN(loss));
        Assert.True(float.IsNaN(gradient[0]));
        Assert.Equal(1f / 3, gradient[1]);
        Assert.Equal(1f / 3, gradient[2]);

        // +∞ targets give an infinite loss: DQN then skips the update.
        Assert.True(double.IsPositiveInfinity(Loss.Huber([0f], [float.PositiveInfinity], gradient, 1)));
        Assert.Equal(-1f, gradient[0]);
    }

    [Fact]
    public void TheNonFinitePolicyIsValidated()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DqnOptions { NonFinite = (NonFinitePolicy)7 }.Validate());
        Assert.Equal("NonFinite", error.ParamName);
        Assert.Contains("Fail or Skip", error.Message);
        Assert.Equal(NonFinitePolicy.Fail, new SacOptions().NonFinite);
    }
}
