using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Evaluation;
using Xunit;

namespace Mtrl.Runtime.Tests.Evaluation;

public sealed class PolicyEvaluatorTests
{
    /// <summary>Chooses action = task mod 3 from the observation, recording the rows each call saw.</summary>
    private sealed class TaskActionPolicy(int maxRows) : IDiscreteGreedyPolicy
    {
        public int MaxRows { get; } = maxRows;

        public List<int> CallSizes { get; } = new();

        public void Act(in NetworkInputs inputs, Span<int> actions)
        {
            CallSizes.Add(inputs.Count);
            for (var r = 0; r < inputs.Count; r++)
            {
                Assert.Equal(inputs.Tasks[r], (int)inputs.Observations[2 * r]);
                actions[r] = inputs.Tasks[r] % 3;
            }
        }
    }

    [Fact]
    public void EachTaskCountsItsFirstEpisodesInEnvironmentOrder()
    {
        // 6 environments, 3 tasks: environments t and t + 3 run task t; 3 episodes per task.
        var environment = new ScriptedEnvironment(6, 3);
        var evaluator = new PolicyEvaluator(environment, new EvaluationOptions { EpisodesPerTask = 3, Seed = 42 });

        var result = evaluator.Evaluate(new TaskActionPolicy(64), transitions: 1234);

        Assert.Equal(1234, result.Transitions);
        Assert.Equal(42UL, environment.Seed);
        Assert.Equal(3, result.Tasks.Count);
        for (var t = 0; t < 3; t++)
        {
            var length = ScriptedEnvironment.LengthOf(t);
            var action = t % 3;
            // Counted: environment t's episode 0, environment t+3's episode 0, environment t's episode 1.
            double EpisodeReturn(int env, int episode) => length * (action + 100 * env + 10 * episode);
            var returns = new[] { EpisodeReturn(t, 0), EpisodeReturn(t + 3, 0), EpisodeReturn(t, 1) };
            var task = result.Tasks[t];
            Assert.Equal(t, task.Task);
            Assert.Equal(3, task.Episodes);
            Assert.Equal(returns.Average(), task.MeanReturn, 9);
            Assert.Equal(Math.Sqrt(returns.Select(r => (r - returns.Average()) * (r - returns.Average())).Average()), task.ReturnStdDev, 6);
            Assert.Equal(length, task.MeanLength);
            Assert.Equal(action == 1 ? 1.0 : 0.0, task.SuccessRate);
        }
        var means = result.Tasks.Select(t => t.MeanReturn).OrderBy(v => v).ToArray();
        Assert.Equal(means.Average(), result.Return.Average, 9);
        Assert.Equal(means[1], result.Return.Median);
        Assert.Equal(means[0], result.Return.Worst);
        Assert.Equal(new AcrossTasks(1.0 / 3, 0, 0), result.Success);
    }

    [Fact]
    public void RowsAreSplitIntoCallsTheNetworksHaveRoomFor()
    {
        var whole = new TaskActionPolicy(64);
        var split = new TaskActionPolicy(4);
        var a = new PolicyEvaluator(new ScriptedEnvironment(10, 5)).Evaluate(whole);
        var b = new PolicyEvaluator(new ScriptedEnvironment(10, 5)).Evaluate(split);

        Assert.Equal(a.Tasks, b.Tasks);
        Assert.All(whole.CallSizes, size => Assert.Equal(10, size));
        Assert.Equal(new[] { 4, 4, 2 }, split.CallSizes.Take(3));
    }

    [Fact]
    public void SurvivalEnvironmentsCountEpisodesThatReachTheTimeLimit()
    {
        var result = new PolicyEvaluator(new ScriptedEnvironment(3, 3, SuccessSignal.Survival)).Evaluate(new TaskActionPolicy(8));
        Assert.Equal(new[] { 1.0, 0.0, 1.0 }, result.Tasks.Select(t => t.SuccessRate));

        var none = new PolicyEvaluator(new ScriptedEnvironment(3, 3, SuccessSignal.None)).Evaluate(new TaskActionPolicy(8));
        Assert.All(none.Tasks, t => Assert.True(double.IsNaN(t.SuccessRate)));
        Assert.True(double.IsNaN(none.Success.Average));
        Assert.False(double.IsNaN(none.Return.Average));
    }

    [Fact]
    public void EveryEvaluationStartsFromTheSameSeedAndGivesTheSameResult()
    {
        var environment = new ScriptedEnvironment(4, 2);
        var evaluator = new PolicyEvaluator(environment, new EvaluationOptions { EpisodesPerTask = 5 });
        var first = evaluator.Evaluate(new TaskActionPolicy(8));
        var second = evaluator.Evaluate(new TaskActionPolicy(8));

        Assert.Equal(2, environment.Resets);
        Assert.Equal(first.Tasks, second.Tasks);
    }

    [Fact]
    public void AnEnvironmentThatLeavesATaskOutIsRefusedByName()
    {
        var evaluator = new PolicyEvaluator(new ScriptedEnvironment(2, 4));
        var error = Assert.Throws<ArgumentException>(() => evaluator.Evaluate(new TaskActionPolicy(8)));
        Assert.Contains("task(s) 2, 3", error.Message);
        Assert.Contains("at least 4 environments", error.Message);
    }

    [Fact]
    public void EpisodesThatNeverEndStopTheEvaluationWithAMessage()
    {
        var evaluator = new PolicyEvaluator(new ScriptedEnvironment(2, 2, endless: true), new EvaluationOptions { MaxVectorSteps = 50 });
        var error = Assert.Throws<InvalidOperationException>(() => evaluator.Evaluate(new TaskActionPolicy(8)));
        Assert.Contains("50 vector steps", error.Message);
        Assert.Contains("0 (0 of 10)", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100_001)]
    public void EpisodeCountsOutOfRangeAreRefused(int episodes)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new PolicyEvaluator(new ScriptedEnvironment(2, 2), new EvaluationOptions { EpisodesPerTask = episodes }));
        Assert.Contains("[1, 100000]", error.Message);
    }

    [Fact]
    public void ContinuousPoliciesAreRefusedOnDiscreteEnvironments()
    {
        var evaluator = new PolicyEvaluator(new ScriptedEnvironment(2, 2));
        Assert.Throws<ArgumentException>(() => evaluator.Evaluate(new ConstantContinuousPolicy()));
    }

    private sealed class ConstantContinuousPolicy : IContinuousGreedyPolicy
    {
        public int MaxRows => 8;

        public int ActionSize => 2;

        public void Act(scoped in NetworkInputs inputs, Span<float> actions) => actions.Clear();
    }

    [Fact]
    public void AcrossTasksTakesAverageMedianAndWorst()
    {
        Assert.Equal(new AcrossTasks(2.5, 2.5, 1), AcrossTasks.Of(new double[] { 4, 1, 3, 2 }));
        Assert.Equal(new AcrossTasks(3, 3, 1), AcrossTasks.Of(new double[] { 5, 1, 3 }));
        Assert.True(double.IsNaN(AcrossTasks.Of(Array.Empty<double>()).Average));
    }
}
