using System;
using Mtrl.Kernels.Replay;
using Xunit;

namespace Mtrl.Kernels.Tests.Replay;

public sealed class ThresholdGoalRewardTests
{
    [Fact]
    public void BitFlipRewardIsZeroOnlyForAnExactMatchAndTerminatesThen()
    {
        float[] achieved = [1, 0, 1, 1, 0, 1, 0, 0, 0];
        float[] desired = [1, 0, 1, 1, 1, 1, 0, 0, 0];
        var rewards = new float[3];
        float[] terminated = [9, 9, 9];
        new ThresholdGoalReward(0f, terminateOnSuccess: true).Compute(achieved, desired, 3, rewards, terminated);
        Assert.Equal(new[] { 0f, -1f, 0f }, rewards);
        Assert.Equal(new[] { 1f, 0f, 1f }, terminated);

        new ThresholdGoalReward(0f, terminateOnSuccess: false).Compute(achieved, desired, 3, rewards, terminated = [9, 9, 9]);
        Assert.Equal(new[] { 9f, 9f, 9f }, terminated);
    }

    [Fact]
    public void DistanceThresholdIsInclusive()
    {
        var rewards = new float[2];
        new ThresholdGoalReward(0.05f, terminateOnSuccess: false).Compute([0.03f, 0.04f, 0.04f, 0.04f], [0, 0, 0, 0], 2, rewards, default);
        Assert.Equal(new[] { 0f, -1f }, rewards);
        Assert.Equal("threshold", Assert.Throws<ArgumentOutOfRangeException>(() => new ThresholdGoalReward(-1f, false)).ParamName);
        Assert.Throws<ArgumentException>(() => new ThresholdGoalReward(0f, false).Compute(new float[3], new float[4], 2, new float[2], default));
    }
}
