using System;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Runtime.Tests.Replay;

public sealed class ReplayInputValidationTests
{
    [Theory]
    [InlineData("Capacity", 0, "[EnvCount = 1, 536870912]")]
    [InlineData("EnvCount", 0, "[1, 536870912]")]
    [InlineData("ObservationWidth", 0, "ObservationWidth must be in [1, ")]
    [InlineData("ActionWidth", -1, "ActionWidth must be in [1, ")]
    [InlineData("GoalWidth", -1, "GoalWidth must be in [0, ")]
    [InlineData("TaskCount", 0, "[1, 65536]")]
    public void OptionsOutOfRangeNameTheFieldAndItsRange(string field, int value, string range)
    {
        ReplayBufferOptions options = field switch
        {
            "Capacity" => Base() with { Capacity = value },
            "EnvCount" => Base() with { EnvCount = value },
            "ObservationWidth" => Base() with { ObservationWidth = value },
            "ActionWidth" => Base() with { ActionWidth = value },
            "GoalWidth" => Base() with { GoalWidth = value },
            _ => Base() with { TaskCount = value },
        };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayBuffer(options));
        Assert.Equal(field, error.ParamName);
        Assert.Contains(range, error.Message);
    }

    [Fact]
    public void OtherBadOptionsAreRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new ReplayBuffer(Base() with { Capacity = 10, EnvCount = 3 }));
        Assert.Equal("Capacity", error.ParamName);
        Assert.Contains("multiple of EnvCount", error.Message);
        Assert.Equal("PriorityExponent", Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayBuffer(Base() with { PriorityExponent = float.NaN })).ParamName);
        Assert.Equal("PriorityEpsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayBuffer(Base() with { PriorityEpsilon = 0f })).ParamName);

        // A column may not exceed the largest .NET array.
        var tooWide = Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayBuffer(Base() with { Capacity = 10_000_000, ObservationWidth = 1000 }));
        Assert.Equal("ObservationWidth", tooWide.ParamName);
        Assert.Contains("[1, 214]", tooWide.Message);
        Assert.Equal("size", Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayBatch(Base(), 0)).ParamName);
    }

    [Fact]
    public void MalformedStepsAreRefusedBeforeAnythingIsWritten()
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(20, 2, tasks: 2));
        var error = Assert.Throws<ArgumentException>(() => buffer.Add(Step(observations: 7)));
        Assert.Equal("step", error.ParamName);
        Assert.Contains("step.Observations must hold envs × observation width = 2 × 4 = 8 elements, got 7", error.Message);
        Assert.Contains("step.Actions", Assert.Throws<ArgumentException>(() => buffer.Add(Step(actions: 3))).Message);
        Assert.Contains("step.DesiredGoals", Assert.Throws<ArgumentException>(() => buffer.Add(Step(goals: 2))).Message);
        var task = Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Add(Step(task: 2)));
        Assert.Contains("task ids must be in [0, 2)", task.Message);
        Assert.Equal(0, buffer.StepsAdded);

        buffer.Add(Step(task: 1));
        var switched = Assert.Throws<ArgumentException>(() => buffer.Add(Step(task: 0)));
        Assert.Contains("in the middle of an episode", switched.Message);
        Assert.Equal(1, buffer.StepsAdded);
        buffer.Add(Step(task: 1, done: true));
        buffer.Add(Step(task: 0)); // a new episode may switch
        Assert.Equal(4, buffer.SampleableCount);

        ReplayBatch other = new(ReplayTestBuffers.Options(20, 2, tasks: 2) with { ObservationWidth = 5 }, 4);
        Assert.Equal("batch", Assert.Throws<ArgumentException>(() => buffer.SampleUniform(other)).ParamName);
    }

    private static ReplayBufferOptions Base() => new() { Capacity = 100, ObservationWidth = 3 };

    [Theory]
    [InlineData("observation", 4, float.NaN)]
    [InlineData("next observation", 4, float.PositiveInfinity)]
    [InlineData("action", 2, float.NegativeInfinity)]
    [InlineData("reward", 1, float.NaN)]
    [InlineData("achieved goal", 2, float.NaN)]
    [InlineData("next achieved goal", 2, float.PositiveInfinity)]
    [InlineData("desired goal", 2, float.NaN)]
    public void NonFiniteValuesAreNeverStored(string field, int width, float value)
    {
        ReplayBuffer buffer = ReplayTestBuffers.Create(ReplayTestBuffers.Options(20, 2, tasks: 2));
        buffer.Add(Step(task: 1));
        float[] values = new float[2 * width];
        int element = width - 1;
        values[width + element] = value; // env 1, last element
        ReplayStep step = Step(task: 1);
        step = field switch
        {
            "observation" => step with { Observations = values },
            "next observation" => step with { NextObservations = values },
            "action" => step with { Actions = values },
            "reward" => step with { Rewards = values },
            "achieved goal" => step with { AchievedGoals = values },
            "next achieved goal" => step with { NextAchievedGoals = values },
            _ => step with { DesiredGoals = values },
        };
        NonFiniteDataException? error = null;
        try
        {
            buffer.Add(step);
        }
        catch (NonFiniteDataException exception)
        {
            error = exception;
        }

        Assert.NotNull(error);
        Assert.Equal(new NonFiniteValue("replay insert", field, 1, 1, field == "reward" ? 0 : element, value, 1), error.Value);
        Assert.Contains($"of environment 1 (task 1) is {value.ToString(System.Globalization.CultureInfo.InvariantCulture)} at vector step 1", error.Message);
        Assert.Equal(1, buffer.StepsAdded);
        Assert.Equal(-1, NonFinite.IndexOf(buffer.Store.Observations));
    }

    [Fact]
    public void NonFiniteIndexOfFindsTheFirstNaNOrInfinityAtAnyPosition()
    {
        float[] special = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.Int32BitsToSingle(0x7FC0_1234), BitConverter.Int32BitsToSingle(unchecked((int)0xFF80_0001))];
        for (int length = 0; length < 70; length++)
        {
            float[] values = new float[length];
            for (int i = 0; i < length; i++) values[i] = i % 3 == 0 ? float.MaxValue : i % 3 == 1 ? -float.Epsilon : -1e-30f;
            Assert.Equal(-1, NonFinite.IndexOf(values));
            for (int at = 0; at < length; at++)
            {
                float[] bad = (float[])values.Clone();
                bad[at] = special[(at + length) % special.Length];
                if (at + 5 < length) bad[at + 5] = float.NaN;
                Assert.Equal(at, NonFinite.IndexOf(bad));
            }
        }
    }

    private static ReplayStep Step(int observations = 8, int actions = 4, int goals = 4, int task = 0, bool done = false) => new()
    {
        Observations = new float[observations],
        NextObservations = new float[8],
        Actions = new float[actions],
        Rewards = new float[2],
        Terminated = new bool[2],
        Truncated = new[] { done, done },
        TaskIds = new[] { task, task },
        AchievedGoals = new float[4],
        NextAchievedGoals = new float[4],
        DesiredGoals = new float[goals],
    };
}
