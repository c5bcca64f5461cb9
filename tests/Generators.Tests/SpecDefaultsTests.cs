using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl;
using Mtrl.Dsl.Model;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Replay;
using Mtrl.Runtime.Transfer;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// A spec that leaves a setting out trains like code that leaves the option unset: both start
/// from <see cref="TrainingDefaults"/>, and the replay limit is the same on both sides.
/// </summary>
public class SpecDefaultsTests
{
    private static AgentModel Agent(string action, string networks, string train)
    {
        var result = SpecCompiler.Compile("defaults.mtrl", $"agent A {{\n  tasks: 2\n  input obs: 3\n  action: {action}\n  {networks}\n  {train}\n}}\n");
        Assert.False(result.HasErrors, string.Join("\n", result.Diagnostics));
        return Assert.Single(result.Model.Agents);
    }

    private static void SharedSettingsMatch(AgentModel agent, OffPolicyOptions options)
    {
        var t = agent.Training;
        Assert.Equal(options.Gamma, t.Gamma);
        Assert.Equal(options.LearningRate, (float)t.LearningRate);
        Assert.Equal(options.BatchSize, t.BatchSize);
        Assert.Equal(options.Steps, t.Steps);
        Assert.Equal(options.Warmup, t.Warmup);
        Assert.Equal(options.TrainEvery, t.TrainEvery);
        Assert.Equal(options.GradientSteps, t.GradientSteps);
        Assert.Equal(options.GradientClip, (float)t.GradientClip);
        Assert.Equal(options.ReplayCapacity, agent.Replay.Capacity);
        Assert.Equal(options.CaGradC, t.Gradients.CaGradC);
        Assert.Equal(options.GradNormAlpha, t.Gradients.GradNormAlpha);
        Assert.Equal(options.GradNormLearningRate, t.Gradients.GradNormLearningRate);
        Assert.Equal(options.GradientReduction, t.Gradients.Reduction);
    }

    [Fact]
    public void AnEmptyDqnSectionMeansDqnOptionsDefaults()
    {
        var agent = Agent("discrete(2)", "network q { out q = q_values(obs) }", "train dqn { }");
        var options = new DqnOptions();
        SharedSettingsMatch(agent, options);
        var dqn = agent.Training.Dqn!;
        Assert.Equal(options.Tau, (float)agent.Training.Tau);
        Assert.Equal(options.TargetUpdateEvery, dqn.TargetUpdateEvery);
        Assert.Equal(options.EpsilonStart, dqn.EpsilonStart);
        Assert.Equal(options.EpsilonEnd, dqn.EpsilonEnd);
        Assert.Equal(options.Loss, dqn.Loss);
    }

    [Fact]
    public void AnEmptySacSectionMeansSacOptionsDefaults()
    {
        var agent = Agent("continuous(2)", "network pi { out pi = gaussian(obs) }\n network q { out q = q_values(concat(obs, action)) }", "train sac { }");
        var options = new SacOptions();
        SharedSettingsMatch(agent, options);
        var sac = agent.Training.Sac!;
        Assert.Equal(options.Tau, (float)agent.Training.Tau);
        // The temperature mode differs on purpose: a multi-task spec defaults to one α per task (mtrl).
        Assert.Equal(TemperatureMode.PerTask, sac.AlphaMode);
        Assert.Equal(options.AlphaInit, sac.AlphaInit);
        Assert.Equal(options.ActorUpdateEvery, sac.ActorUpdateEvery);
        Assert.Equal(options.TargetUpdateEvery, sac.TargetUpdateEvery);
    }

    [Fact]
    public void AnEmptyTd3SectionMeansTd3OptionsDefaults()
    {
        var agent = Agent("continuous(2)", "network pi { out pi = deterministic(obs) }\n network q { out q = q_values(concat(obs, action)) }", "train td3 { }");
        var options = new Td3Options();
        SharedSettingsMatch(agent, options);
        var td3 = agent.Training.Td3!;
        Assert.Equal(options.PolicyNoise, td3.PolicyNoise);
        Assert.Equal(options.NoiseClip, td3.NoiseClip);
        Assert.Equal(options.PolicyDelay, td3.PolicyDelay);
        Assert.Equal(options.ExplorationNoise, td3.ExplorationNoise);
    }

    [Fact]
    public void AnEmptyDistralSectionMeansDistralOptionsDefaults()
    {
        var agent = Agent("discrete(2)", "network q { out q = q_values(obs) }\n network pi { out pi = categorical(obs) }", "train distral { }");
        var options = new DistralOptions();
        SharedSettingsMatch(agent, options);
        var distral = agent.Training.Distral!;
        Assert.Equal(options.KlCoefficient, (float)distral.KlCoefficient);
        Assert.Equal(options.EntropyCoefficient, (float)distral.EntropyCoefficient);
        Assert.Equal(options.TargetUpdateEvery, distral.TargetUpdateEvery);
        Assert.Equal(options.Loss, distral.Loss);
    }

    [Fact]
    public void PriorityAndEvolutionDefaultsAgree()
    {
        var priority = new PriorityOptions();
        var agent = Agent("discrete(2)", "network q { out q = q_values(obs) }", "train dqn { }\n  replay { priority: proportional() }");
        var spec = agent.Replay.Priority!;
        Assert.Equal(priority.Alpha, (float)spec.Alpha);
        Assert.Equal(priority.Beta, (float)spec.Beta);
        Assert.Equal(priority.BetaFinal, (float)spec.BetaFinal);
        Assert.Equal(priority.Epsilon, (float)spec.Epsilon);
        var evolution = new PathNetEvolutionOptions();
        Assert.Equal((TrainingDefaults.PathNetPopulation, TrainingDefaults.PathNetTournament, TrainingDefaults.PathNetMutationShift, TrainingDefaults.PathNetStepsPerEvaluation),
            (evolution.Population, evolution.Tournament, evolution.MutationShift, evolution.StepsPerEvaluation));
    }

    [Fact]
    public void TheSpecAndTheReplayBufferShareOneCapacityLimit()
    {
        Assert.Equal(ReplayBufferOptions.MaxCapacity, SpecLimits.MaxReplayCapacity);
        Assert.Equal(ReplayLimits.MaxCapacity, SpecLimits.MaxReplayCapacity);
    }
}
