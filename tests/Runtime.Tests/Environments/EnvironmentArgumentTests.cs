using System;
using Mtrl.Kernels.Environments;
using Mtrl.Runtime.Environments;
using Xunit;

namespace Mtrl.Runtime.Tests.Environments;

public sealed class EnvironmentArgumentTests
{
    [Fact]
    public void ConstructorsRejectBadSizesNamingTheArgument()
    {
        Assert.Equal("environmentCount", Assert.Throws<ArgumentOutOfRangeException>(() => new BitFlipVectorEnvironment(0, 4)).ParamName);
        Assert.Equal("bits", Assert.Throws<ArgumentOutOfRangeException>(() => new BitFlipVectorEnvironment(1, 65)).ParamName);
        Assert.Equal("bits", Assert.Throws<ArgumentOutOfRangeException>(() => new BitFlipVectorEnvironment(1, 0)).ParamName);
        Assert.Equal("maxEpisodeSteps", Assert.Throws<ArgumentOutOfRangeException>(() => new BitFlipVectorEnvironment(1, 4, 0)).ParamName);
        Assert.Equal("environmentCount", Assert.Throws<ArgumentOutOfRangeException>(() => new CartPoleVectorEnvironment(-3)).ParamName);
        Assert.Equal("environmentCount", Assert.Throws<ArgumentOutOfRangeException>(() => new PointMassVectorEnvironment(0)).ParamName);
        Assert.Equal("environmentCount", Assert.Throws<ArgumentOutOfRangeException>(() => new GridWorldVectorEnvironment(0)).ParamName);
    }

    [Fact]
    public void OptionsOutOfRangeAreRejectedNamingTheSetting()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new CartPoleVectorEnvironment(1, new CartPoleOptions { MassPole = new UniformRange(0.2f, 0.1f) }));
        Assert.Equal("MassPole", error.ParamName);
        Assert.Contains("Low <= High", error.Message);
        Assert.Equal("ForceMagnitude", Assert.Throws<ArgumentOutOfRangeException>(
            () => new CartPoleVectorEnvironment(1, new CartPoleOptions { ForceMagnitude = new UniformRange(0f, 1f) })).ParamName);
        Assert.Equal("MaxEpisodeSteps", Assert.Throws<ArgumentOutOfRangeException>(
            () => new CartPoleVectorEnvironment(1, new CartPoleOptions { MaxEpisodeSteps = 0 })).ParamName);
        Assert.Equal("SuccessRadius", Assert.Throws<ArgumentOutOfRangeException>(
            () => new PointMassVectorEnvironment(1, new PointMassOptions { SuccessRadius = -1f })).ParamName);
        var heavy = new PointMassTask(0f, 0f, 0f, 0f, 0f, 0f, 0.1f, 0.5f, 0.5f, 0.1f);
        Assert.Equal("Tasks[0].Mass", Assert.Throws<ArgumentOutOfRangeException>(
            () => new PointMassVectorEnvironment(1, new PointMassOptions { Tasks = [heavy] })).ParamName);
        var outside = heavy with { Mass = 1f, GoalX = 0.95f };
        Assert.Equal("Tasks", Assert.Throws<ArgumentOutOfRangeException>(
            () => new PointMassVectorEnvironment(1, new PointMassOptions { Tasks = [outside] })).ParamName);
        Assert.Equal("StepCost", Assert.Throws<ArgumentOutOfRangeException>(
            () => new GridWorldVectorEnvironment(1, new GridWorldOptions { StepCost = -0.1f })).ParamName);
    }

    [Fact]
    public void TaskAssignmentsAndLayoutsAreValidated()
    {
        Assert.Equal("taskIds", Assert.Throws<ArgumentException>(() => new PointMassVectorEnvironment(3, taskIds: [0, 1])).ParamName);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new GridWorldVectorEnvironment(2, taskIds: [0, 4]));
        Assert.Equal("taskIds", error.ParamName);
        Assert.Contains("[0, 4)", error.Message);
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => new GridWorldLayout(["###", "#.", "###"], [new GridCell(1, 1)])).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => new GridWorldLayout(["#x#", "#.#", "###"], [new GridCell(1, 1)])).ParamName);
        Assert.Equal("taskGoals", Assert.Throws<ArgumentException>(() => new GridWorldLayout(["###", "#.#", "#.#", "###"], [new GridCell(0, 0)])).ParamName);
        Assert.Equal("taskGoals", Assert.Throws<ArgumentOutOfRangeException>(() => new GridWorldLayout(["###", "#.#", "#.#", "###"], [new GridCell(5, 1)])).ParamName);
    }

    [Fact]
    public void StepRejectsBadActionsAndAStepBeforeReset()
    {
        var cartPole = new CartPoleVectorEnvironment(4);
        Assert.Throws<InvalidOperationException>(() => cartPole.Step(new int[4]));
        cartPole.Reset(1);
        Assert.Equal("actions", Assert.Throws<ArgumentException>(() => cartPole.Step(new int[3])).ParamName);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => cartPole.Step([0, 1, 2, 0]));
        Assert.Equal("actions", range.ParamName);
        Assert.Contains("[0, 2)", range.Message);
        Assert.Equal("actions", Assert.Throws<ArgumentOutOfRangeException>(() => cartPole.Step([0, -1, 0, 0])).ParamName);

        var pointMass = new PointMassVectorEnvironment(2);
        pointMass.Reset(1);
        Assert.Equal("actions", Assert.Throws<ArgumentException>(() => pointMass.Step(new float[3])).ParamName);
        Assert.Equal("actions", Assert.Throws<ArgumentException>(() => pointMass.Step([0f, float.NaN, 0f, 0f])).ParamName);
        pointMass.Step([float.PositiveInfinity, -5f, 0f, 0f]); // out of bounds is clipped, not rejected
        Assert.All(pointMass.Buffers.Observations, v => Assert.True(float.IsFinite(v)));

        var bitFlip = new BitFlipVectorEnvironment(2, 8);
        bitFlip.Reset(1);
        Assert.Equal("actions", Assert.Throws<ArgumentOutOfRangeException>(() => bitFlip.Step([0, 8])).ParamName);
    }

    [Fact]
    public void GoalRewardBatchesMustAgreeInLength()
    {
        var env = new BitFlipVectorEnvironment(1, 4);
        Assert.Equal("achievedGoals", Assert.Throws<ArgumentException>(() => env.ComputeReward(new float[6], new float[6], new float[1])).ParamName);
        Assert.Equal("desiredGoals", Assert.Throws<ArgumentException>(() => env.ComputeReward(new float[8], new float[4], new float[2])).ParamName);
        Assert.Equal("rewards", Assert.Throws<ArgumentException>(() => env.ComputeReward(new float[8], new float[8], new float[3])).ParamName);
        Assert.Equal("terminated", Assert.Throws<ArgumentException>(() => env.ComputeTerminated(new float[8], new float[8], new bool[1])).ParamName);
        env.ComputeReward([], [], []); // an empty batch is fine
    }

    [Fact]
    public void ActionSpacesValidateTheirShape()
    {
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => ActionSpace.Discrete(0)).ParamName);
        Assert.Equal("dimensions", Assert.Throws<ArgumentOutOfRangeException>(() => ActionSpace.Continuous(0, -1f, 1f)).ParamName);
        Assert.Equal("high", Assert.Throws<ArgumentOutOfRangeException>(() => ActionSpace.Continuous(2, 1f, -1f)).ParamName);
        Assert.Equal("Discrete(3)", ActionSpace.Discrete(3).ToString());
        Assert.Equal(2, ActionSpace.Continuous(2, -1f, 1f).Width);
    }
}
