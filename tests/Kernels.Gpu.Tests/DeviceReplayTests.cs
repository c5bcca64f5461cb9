using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Replay;
using Mtrl.Kernels.Replay;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class DeviceReplayTests(IlgpuCpuFixture fixture)
{
    [Theory]
    // envs, rows, tasks, tasks that get episodes, longest episode, goal width, batch
    [InlineData(1, 16, 1, 1, 6, 0, 37)]
    [InlineData(3, 16, 4, 3, 20, 2, 37)]
    [InlineData(5, 12, 2, 2, 9, 0, 129)]
    [InlineData(17, 8, 3, 3, 5, 1, 1)]
    public void SamplesAndBookkeepingEqualTheCpuBufferThroughRingWraps(
        int envs, int rows, int tasks, int usedTasks, int maxEpisode, int goalWidth, int batch)
    {
        using var twins = new ReplayTwins(fixture.Device, envs, rows, tasks, usedTasks, maxEpisode, goalWidth, seed: envs * 31 + rows);
        for (int step = 1; step <= 4 * rows; step++)
        {
            twins.Step();
            if (step % 5 == 0)
            {
                twins.AssertSameEpisodes();
                if (twins.Cpu.SampleableCount > 0)
                {
                    twins.AssertSameSample(batch, balanced: false);
                    twins.AssertSameSample(batch, balanced: true);
                }
            }
        }

        // Several balanced calls in a row: the remainder rows rotate over the tasks.
        for (int call = 0; call < 3; call++)
        {
            twins.AssertSameSample(batch + call, balanced: true);
        }
    }

    [Theory]
    [InlineData(HerGoalStrategy.Future, 4, 0f, true, 37)]
    [InlineData(HerGoalStrategy.Future, 1, 1.5f, false, 65)]
    [InlineData(HerGoalStrategy.Final, 4, 0f, true, 33)]
    [InlineData(HerGoalStrategy.Episode, 3, 1f, true, 1)]
    [InlineData(HerGoalStrategy.Future, 0, 0f, true, 9)]
    public void HerSampleEqualsTheCpuBuffersThroughRingWraps(HerGoalStrategy strategy, int k, float threshold, bool terminate, int batch)
    {
        using var twins = new ReplayTwins(fixture.Device, envs: 3, rows: 16, tasks: 2, usedTasks: 2, maxEpisode: 20, goalWidth: 2, seed: 77);
        var reward = new ThresholdGoalReward(threshold, terminate);
        int samples = 0;
        for (int step = 1; step <= 64; step++)
        {
            twins.Step();
            if (step % 8 == 0 && twins.Cpu.SampleableCount > 0)
            {
                twins.AssertSameHerSample(batch, strategy, k, reward);
                samples++;
            }
        }

        Assert.True(samples >= 6);
    }

    [Fact]
    public void HerRewardsIncludeSuccessesAndRefuseAReplayWithoutGoals()
    {
        using var twins = new ReplayTwins(fixture.Device, envs: 2, rows: 16, tasks: 1, usedTasks: 1, maxEpisode: 5, goalWidth: 1, seed: 4);
        for (int step = 0; step < 20; step++)
        {
            twins.Step();
        }

        using DeviceBatch batch = twins.Gpu.CreateBatch(50);
        twins.Gpu.SampleHer(batch, HerGoalStrategy.Future, 4, new ThresholdGoalReward(0f, terminateOnSuccess: true));
        float[] rewards = batch.Rewards.GetAsArray1D();
        float[] terminated = batch.Terminated.GetAsArray1D();
        Assert.Equal(10, batch.RelabeledStart);
        Assert.Contains(0f, rewards[10..]);
        Assert.Contains(-1f, rewards[10..]);
        for (int row = 10; row < 50; row++)
        {
            Assert.Equal(rewards[row] == 0f ? 1f : 0f, terminated[row]);
        }

        using var plain = new ReplayTwins(fixture.Device, envs: 1, rows: 4, tasks: 1, usedTasks: 1, maxEpisode: 2, goalWidth: 0, seed: 4);
        using DeviceBatch plainBatch = plain.Gpu.CreateBatch(2);
        var error = Assert.Throws<InvalidOperationException>(() => plain.Gpu.SampleHer(plainBatch, HerGoalStrategy.Future, 4, new ThresholdGoalReward(0f, true)));
        Assert.Contains("GoalWidth > 0", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => twins.Gpu.SampleHer(batch, HerGoalStrategy.Future, -1, new ThresholdGoalReward(0f, true)));
        Assert.Throws<ArgumentOutOfRangeException>(() => twins.Gpu.SampleHer(batch, (HerGoalStrategy)7, 4, new ThresholdGoalReward(0f, true)));
    }

    [Fact]
    public void RareTaskInAMixedEnvMatchesCpuThroughRetriesAndTheEpisodeWalk()
    {
        // One env, 64 rows: task 1 owns three slots in 64, so about a quarter of its rows miss all
        // 31 random draws and take the walk over the env's episodes; the rest hit on a retry.
        using var twins = new ReplayTwins(fixture.Device, envs: 1, rows: 64, tasks: 2, usedTasks: 2, maxEpisode: 1, goalWidth: 0, seed: 5);
        var options = twins.Options;
        for (int step = 0; step < 64; step++)
        {
            // Episodes of length 1: task 1 at rows 10, 30 and 50, task 0 everywhere else.
            int task = step is 10 or 30 or 50 ? 1 : 0;
            AddBoth(twins, task, end: true);
        }

        twins.AssertSameEpisodes();
        twins.AssertSameSample(65, balanced: true);
        twins.AssertSameSample(64, balanced: true);
        Assert.Equal(1, options.EnvCount);
    }

    [Fact]
    public void SampleBeforeAnyEpisodeEndsPoisonsRowsAndReportsIt()
    {
        using var twins = new ReplayTwins(fixture.Device, envs: 2, rows: 8, tasks: 1, usedTasks: 1, maxEpisode: 8, goalWidth: 0, seed: 1);
        AddBoth(twins, task: 0, end: false);
        using DeviceBatch batch = twins.Gpu.CreateBatch(5);
        twins.Gpu.SampleUniform(batch);
        Assert.All(batch.Slots.GetAsArray1D(), slot => Assert.Equal(-1, slot));
        Assert.All(batch.Observations.GetAsArray1D(), value => Assert.True(float.IsNaN(value)));
        Assert.All(batch.TaskIds.GetAsArray1D(), task => Assert.Equal(-1, task));
        var error = Assert.Throws<InvalidOperationException>(twins.Gpu.ThrowIfFaulted);
        Assert.Contains("no sampleable transition yet", error.Message, StringComparison.Ordinal);
        twins.Gpu.ThrowIfFaulted(); // reported once

        twins.Gpu.SampleBalanced(batch);
        Assert.Throws<InvalidOperationException>(twins.Gpu.ThrowIfFaulted);
        Assert.Throws<InvalidOperationException>(() => twins.Cpu.SampleBalanced(twins.Cpu.CreateBatch(5)));
    }

    [Theory]
    [InlineData("task", "step.TaskIds[1] is 3; task ids must be in [0, 2) (TaskCount)")]
    [InlineData("task-change", "step.TaskIds[1] is 1, but env 1's unfinished episode has another task")]
    [InlineData("nan", "step.NextObservations of env 1 holds NaN or ±∞")]
    [InlineData("flag", "step.Truncated[1] is neither 0 nor 1")]
    public void RefusedStepIsNotWrittenAndIsReported(string fault, string message)
    {
        using var twins = new ReplayTwins(fixture.Device, envs: 2, rows: 8, tasks: 2, usedTasks: 1, maxEpisode: 3, goalWidth: 0, seed: 2);
        AddBoth(twins, task: 0, end: false);
        DeviceEpisodeSnapshot before = twins.Gpu.ReadEpisodes();
        float[] next = new float[6];
        float[] truncated = new float[2];
        int[] tasks = [0, 0];
        switch (fault)
        {
            case "task": tasks[1] = 3; break;
            case "task-change": tasks[1] = 1; break;
            case "nan": next[4] = float.NaN; break;
            default: truncated[1] = 0.5f; break;
        }

        twins.AddToDevice(new float[6], new float[4], new float[2], next, new float[2], truncated, tasks, [], [], []);
        // A refused step blocks later adds until it is reported.
        AddDeviceOnly(twins, task: 0, end: true);
        DeviceEpisodeSnapshot after = twins.Gpu.ReadEpisodes();
        Assert.Equal(before, after with { EpisodeStarts = before.EpisodeStarts, EpisodeLengths = before.EpisodeLengths, ValidStarts = before.ValidStarts, ValidCounts = before.ValidCounts, TaskEnvCounts = before.TaskEnvCounts });
        Assert.Equal(before.EpisodeLengths, after.EpisodeLengths);
        Assert.Equal(before.ValidCounts, after.ValidCounts);
        var error = Assert.Throws<ArgumentException>(twins.Gpu.ThrowIfFaulted);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);

        // Reported and cleared: the replay goes on exactly as the CPU buffer.
        AddBoth(twins, task: 0, end: true);
        twins.AssertSameEpisodes();
        twins.AssertSameSample(9, balanced: false);
    }

    [Fact]
    public void WrongViewLengthsAndOptionsNameTheFieldAndRange()
    {
        using var twins = new ReplayTwins(fixture.Device, envs: 2, rows: 4, tasks: 1, usedTasks: 1, maxEpisode: 2, goalWidth: 0, seed: 3);
        DeviceReplayStep step = twins.StepViews();
        var error = Assert.Throws<ArgumentException>(() => twins.Gpu.Add(step with { Actions = step.Actions.SubView(0, 3) }));
        Assert.Contains("step.Actions has 3 elements; it needs EnvCount × width = 2 × 2 = 4", error.Message, StringComparison.Ordinal);
        using var goal = fixture.Device.Accelerator.Allocate1D<float>(2);
        error = Assert.Throws<ArgumentException>(() => twins.Gpu.Add(step with { DesiredGoals = goal.View }));
        Assert.Contains("step.DesiredGoals has 2 elements; this replay has no goals (GoalWidth 0), so it must be empty", error.Message, StringComparison.Ordinal);

        var capacity = Assert.Throws<ArgumentException>(() => new DeviceReplayOptions { Capacity = 10, EnvCount = 4, ObservationWidth = 1 }.Validate());
        Assert.Contains("Capacity (10) must be a multiple of EnvCount (4)", capacity.Message, StringComparison.Ordinal);
        var width = Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceReplayOptions { Capacity = 8, ObservationWidth = 0 }.Validate());
        Assert.Contains("ObservationWidth must be in [1, ", width.Message, StringComparison.Ordinal);
        var tasks = Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceReplayOptions { Capacity = 8, ObservationWidth = 1, TaskCount = 0 }.Validate());
        Assert.Contains("TaskCount must be in [1, 65536]", tasks.Message, StringComparison.Ordinal);

        using DeviceBatch foreign = new DeviceReplay(fixture.Device, twins.Options with { Seed = 99 }).CreateBatch(3);
        Assert.Throws<ArgumentException>(() => twins.Gpu.SampleUniform(foreign));
    }

    private static void AddBoth(ReplayTwins twins, int task, bool end)
    {
        int envs = twins.Options.EnvCount;
        var tasks = new int[envs];
        Array.Fill(tasks, task);
        var flags = new bool[envs];
        Array.Fill(flags, end);
        var observations = new float[envs * 3];
        for (int i = 0; i < observations.Length; i++)
        {
            observations[i] = (twins.Cpu.StepsAdded * 100) + i;
        }

        twins.Cpu.Add(new Mtrl.Runtime.Replay.ReplayStep
        {
            Observations = observations, Actions = new float[envs * 2], Rewards = new float[envs], NextObservations = observations,
            Terminated = flags, Truncated = new bool[envs], TaskIds = tasks,
        });
        twins.AddToDevice(observations, new float[envs * 2], new float[envs], observations, Array.ConvertAll(flags, f => f ? 1f : 0f), new float[envs], tasks, [], [], []);
    }

    private static void AddDeviceOnly(ReplayTwins twins, int task, bool end)
    {
        int envs = twins.Options.EnvCount;
        var tasks = new int[envs];
        Array.Fill(tasks, task);
        var flags = new float[envs];
        Array.Fill(flags, end ? 1f : 0f);
        twins.AddToDevice(new float[envs * 3], new float[envs * 2], new float[envs], new float[envs * 3], flags, new float[envs], tasks, [], [], []);
    }
}
