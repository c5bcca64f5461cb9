using System;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Profiling;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Runtime.Tests.Algorithms;

/// <summary>
/// A profile sees every phase of every step and update exactly as often as it runs, and attaching
/// one changes no result.
/// </summary>
public sealed class TrainingProfileTests
{
    private static DqnTrainer BitFlipDqn(bool doubleQ)
    {
        const int Bits = 8;
        var environment = new BitFlipVectorEnvironment(4, Bits);
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "q", 2 * Bits).Mlp(new[] { 32 }).Linear(Bits);
        var options = new DqnOptions
        {
            BatchSize = 32, Warmup = 200, TrainEvery = 4, TargetUpdateEvery = 160, EpsilonDecaySteps = 1_000, ReplayCapacity = 5_000,
            Her = new HerOptions(HerGoalStrategy.Future, 4), Double = doubleQ, Seed = 5,
        };
        return new DqnTrainer(environment, builder.Build(), (store, batch) => new SequentialQNetwork(chain.Bind(store, batch), Bits, Bits), options);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void DqnPhasesAreCountedOncePerStepOrUpdateAndTheBitsDoNotChange(bool doubleQ)
    {
        var plain = BitFlipDqn(doubleQ);
        var profiled = BitFlipDqn(doubleQ);
        var profile = new TrainingProfile();
        profiled.Profile = profile;
        Assert.Same(profile, profiled.Profile);

        plain.Train(1_200);
        profiled.Train(1_200);

        Assert.Equal(plain.Parameters.Values, profiled.Parameters.Values);
        Assert.Equal(plain.TargetParameters.Values, profiled.TargetParameters.Values);
        const long Steps = 1_200 / 4;
        var updates = profiled.Updates;
        Assert.Equal(Steps, profile.Calls(TrainingPhase.Act));
        Assert.Equal(Steps, profile.Calls(TrainingPhase.EnvironmentStep));
        Assert.Equal(Steps, profile.Calls(TrainingPhase.Store));
        foreach (var phase in new[] { TrainingPhase.Sample, TrainingPhase.ForwardTarget, TrainingPhase.ForwardOnline, TrainingPhase.Loss, TrainingPhase.Backward, TrainingPhase.Optimizer })
        {
            Assert.Equal(updates, profile.Calls(phase));
            Assert.True(profile.Time(phase) > TimeSpan.Zero, phase.ToString());
        }
        Assert.Equal(doubleQ ? updates : 0, profile.Calls(TrainingPhase.ForwardNextOnline));
        Assert.Equal(1_200 / 160, profile.Calls(TrainingPhase.TargetUpdate));
        Assert.Equal(0, profile.Calls(TrainingPhase.ForwardPolicy));
        var sum = Enum.GetValues<TrainingPhase>().Aggregate(TimeSpan.Zero, (total, p) => total + profile.Time(p));
        Assert.True(Math.Abs((sum - profile.Total).TotalMilliseconds) < 0.01, $"{sum} vs {profile.Total}");

        profile.Reset();
        Assert.Equal(TimeSpan.Zero, profile.Total);
        Assert.All(Enum.GetValues<TrainingPhase>(), p => Assert.Equal(0, profile.Calls(p)));
    }

    [Fact]
    public void SacPhasesCoverBothCriticsTheActorAndTheTemperaturesAndTheBitsDoNotChange()
    {
        var options = new SacOptions { BatchSize = 32, Warmup = 100, Seed = 3, ReplayCapacity = 2_000, Gamma = 0.98, Alpha = TemperatureMode.PerTask };
        var plain = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 2), options, hidden: 16);
        var profiled = ActorCriticAgents.Sac(ActorCriticAgents.PointMass(4, 2), options, hidden: 16);
        var profile = new TrainingProfile();
        profiled.Profile = profile;

        plain.Train(400);
        profiled.Train(400);

        Assert.Equal(plain.Parameters.Values, profiled.Parameters.Values);
        Assert.Equal(plain.TwinParameters.Values, profiled.TwinParameters.Values);
        var updates = profiled.Updates;
        Assert.True(updates > 0);
        Assert.Equal(100, profile.Calls(TrainingPhase.Act));
        Assert.Equal(updates, profile.Calls(TrainingPhase.Sample));
        Assert.Equal(updates, profile.Calls(TrainingPhase.ForwardNextOnline));
        Assert.Equal(updates, profile.Calls(TrainingPhase.ForwardTarget));
        // Critic and twin: a forward, a loss and a backward each; the target computation is a loss too.
        Assert.Equal(2 * updates, profile.Calls(TrainingPhase.ForwardOnline));
        Assert.Equal(3 * updates, profile.Calls(TrainingPhase.Loss));
        Assert.Equal(2 * updates, profile.Calls(TrainingPhase.Backward));
        // Every update moves the actor: its forward, the critics' input gradients and the actor's backward.
        Assert.Equal(updates, profile.Calls(TrainingPhase.ForwardPolicy));
        Assert.Equal(2 * updates, profile.Calls(TrainingPhase.BackwardPolicy));
        // Critic, twin, actor and the temperatures.
        Assert.Equal(4 * updates, profile.Calls(TrainingPhase.Optimizer));
        Assert.Equal(updates, profile.Calls(TrainingPhase.TargetUpdate));
    }

    [Fact]
    public void EveryPhaseHasItsOwnLabel()
    {
        var labels = Enum.GetValues<TrainingPhase>().Select(TrainingProfile.Label).ToList();
        Assert.Equal(labels.Count, labels.Distinct().Count());
        Assert.All(labels, l => Assert.False(string.IsNullOrWhiteSpace(l)));
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingProfile.Label((TrainingPhase)99));
    }
}
