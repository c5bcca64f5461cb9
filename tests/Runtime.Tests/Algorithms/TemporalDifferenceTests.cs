using System;
using Mtrl.Kernels;
using Mtrl.Runtime.Algorithms;
using Xunit;

namespace Mtrl.Runtime.Tests.Algorithms;

public sealed class TemporalDifferenceTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TargetsMatchTheDefinitionInFloat64(bool doubleDqn)
    {
        const int Batch = 37, Actions = 5;
        const float Gamma = 0.97f;
        var rewards = new float[Batch];
        var flags = new float[Batch];
        var targetNext = new float[Batch * Actions];
        var onlineNext = new float[Batch * Actions];
        PhiloxFill.Normal(rewards, 3, 0, 0);
        PhiloxFill.Uniform(flags, 3, 1, 0);
        PhiloxFill.Normal(targetNext, 3, 2, 0);
        PhiloxFill.Normal(onlineNext, 3, 3, 0);
        for (var i = 0; i < Batch; i++) flags[i] = flags[i] < 0.3f ? 1f : 0f;
        var targets = new float[Batch];
        targets.AsSpan().Fill(float.NaN);

        TemporalDifference.Targets(rewards, flags, targetNext, doubleDqn ? onlineNext : default, Batch, Actions, Gamma, targets);

        for (var i = 0; i < Batch; i++)
        {
            int pick = 0;
            var scores = doubleDqn ? onlineNext : targetNext;
            for (var a = 1; a < Actions; a++) if (scores[i * Actions + a] > scores[i * Actions + pick]) pick = a;
            double expected = rewards[i] + (flags[i] == 1f ? 0.0 : (double)Gamma * targetNext[i * Actions + pick]);
            Assert.True(Math.Abs(expected - targets[i]) <= 1e-6 * (1 + Math.Abs(expected)), $"row {i}: {targets[i]} vs {expected}");
        }
    }

    [Fact]
    public void ScatterPutsEachGradientOnTheTakenActionOnly()
    {
        var gradient = new float[3 * 4];
        gradient.AsSpan().Fill(float.NaN);
        TemporalDifference.Scatter(new[] { 1f, 2f, 3f }, new[] { 3, 0, 2 }, 3, 4, gradient);
        Assert.Equal(new[] { 0f, 0f, 0f, 1f, 2f, 0f, 0f, 0f, 0f, 0f, 3f, 0f }, gradient);
    }

    [Fact]
    public void ArgMaxTakesTheFirstOfTies() => Assert.Equal(1, TemporalDifference.ArgMax(new[] { 0f, 2f, 2f, -1f }));
}
