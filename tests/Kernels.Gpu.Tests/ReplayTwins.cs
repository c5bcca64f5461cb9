using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Replay;
using Mtrl.Runtime.Replay;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>
/// A CPU <see cref="ReplayBuffer"/> and a <see cref="DeviceReplay"/> of the same shape fed the same
/// random steps, so every sample and every piece of bookkeeping can be held side by side.
/// Episodes have random lengths (some longer than the ring), random tasks and random ends.
/// </summary>
internal sealed class ReplayTwins : IDisposable
{
    private readonly System.Random _random;
    private readonly int[] _episodeLeft;
    private readonly int[] _episodeTask;
    private readonly int _maxEpisode;
    private readonly int _usedTasks;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _stepFloats;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _stepTasks;

    public ReplayTwins(
        GpuDevice device, int envs, int rows, int tasks, int usedTasks, int maxEpisode, int goalWidth, int seed,
        bool prioritized = false, bool taskBalancedPriorities = false, float priorityExponent = 0.6f)
    {
        Device = device;
        _random = new System.Random(seed);
        _maxEpisode = maxEpisode;
        _usedTasks = usedTasks;
        _episodeLeft = new int[envs];
        _episodeTask = new int[envs];
        Cpu = new ReplayBuffer(new ReplayBufferOptions
        {
            Capacity = envs * rows, EnvCount = envs, ObservationWidth = 3, ActionWidth = 2, GoalWidth = goalWidth, TaskCount = tasks, Seed = (ulong)seed,
            Prioritized = prioritized, TaskBalancedPriorities = taskBalancedPriorities, PriorityExponent = priorityExponent,
        });
        Options = new DeviceReplayOptions
        {
            Capacity = envs * rows, EnvCount = envs, ObservationWidth = 3, ActionWidth = 2, GoalWidth = goalWidth, TaskCount = tasks, Seed = (ulong)seed,
            Prioritized = prioritized, TaskBalancedPriorities = taskBalancedPriorities, PriorityExponent = priorityExponent,
        };
        Gpu = new DeviceReplay(device, Options);
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        _stepFloats =
        [
            accelerator.Allocate1D<float>(envs * 3), accelerator.Allocate1D<float>(envs * 2), accelerator.Allocate1D<float>(envs),
            accelerator.Allocate1D<float>(envs * 3), accelerator.Allocate1D<float>(envs), accelerator.Allocate1D<float>(envs),
            accelerator.Allocate1D<float>(Math.Max(1, envs * goalWidth)), accelerator.Allocate1D<float>(Math.Max(1, envs * goalWidth)),
            accelerator.Allocate1D<float>(Math.Max(1, envs * goalWidth)),
        ];
        _stepTasks = accelerator.Allocate1D<int>(envs);
    }

    public GpuDevice Device { get; }

    public ReplayBuffer Cpu { get; }

    public DeviceReplay Gpu { get; }

    public DeviceReplayOptions Options { get; }

    /// <summary>Adds one random vector step to both replays.</summary>
    public void Step()
    {
        int envs = Options.EnvCount;
        int g = Options.GoalWidth;
        float[] observations = Values(envs * 3);
        float[] actions = Values(envs * 2);
        float[] rewards = Values(envs);
        float[] next = Values(envs * 3);
        // Goals on a small integer grid, so relabeled goals often match and distances are exact.
        float[] achieved = GridValues(envs * g);
        float[] nextAchieved = GridValues(envs * g);
        float[] desired = GridValues(envs * g);
        var terminated = new bool[envs];
        var truncated = new bool[envs];
        var tasks = new int[envs];
        for (int env = 0; env < envs; env++)
        {
            if (_episodeLeft[env] == 0)
            {
                _episodeLeft[env] = _random.Next(1, _maxEpisode + 1);
                _episodeTask[env] = _random.Next(_usedTasks);
            }

            tasks[env] = _episodeTask[env];
            if (--_episodeLeft[env] == 0)
            {
                bool byTimeLimit = _random.Next(2) == 0;
                terminated[env] = !byTimeLimit;
                truncated[env] = byTimeLimit;
            }
        }

        Cpu.Add(new ReplayStep
        {
            Observations = observations, Actions = actions, Rewards = rewards, NextObservations = next,
            Terminated = terminated, Truncated = truncated, TaskIds = tasks,
            AchievedGoals = achieved, NextAchievedGoals = nextAchieved, DesiredGoals = desired,
        });
        AddToDevice(observations, actions, rewards, next, Flags(terminated), Flags(truncated), tasks, achieved, nextAchieved, desired);
    }

    /// <summary>Uploads a step (host arrays) and adds it to the device replay only.</summary>
    public void AddToDevice(
        float[] observations, float[] actions, float[] rewards, float[] next, float[] terminated, float[] truncated, int[] tasks,
        float[] achieved, float[] nextAchieved, float[] desired)
    {
        float[][] fields = [observations, actions, rewards, next, terminated, truncated, achieved, nextAchieved, desired];
        for (int f = 0; f < fields.Length; f++)
        {
            if (fields[f].Length > 0)
            {
                _stepFloats[f].View.SubView(0, fields[f].Length).CopyFromCPU(fields[f]);
            }
        }

        _stepTasks.CopyFromCPU(tasks);
        Gpu.Add(StepViews());
    }

    /// <summary>Views of the uploaded step, each the length the replay expects.</summary>
    public DeviceReplayStep StepViews()
    {
        bool goals = Options.GoalWidth > 0;
        return new DeviceReplayStep
        {
            Observations = _stepFloats[0].View,
            Actions = _stepFloats[1].View,
            Rewards = _stepFloats[2].View,
            NextObservations = _stepFloats[3].View,
            Terminated = _stepFloats[4].View,
            Truncated = _stepFloats[5].View,
            TaskIds = _stepTasks.View,
            AchievedGoals = goals ? _stepFloats[6].View : default,
            NextAchievedGoals = goals ? _stepFloats[7].View : default,
            DesiredGoals = goals ? _stepFloats[8].View : default,
        };
    }

    /// <summary>The device bookkeeping equals the CPU buffer's.</summary>
    public void AssertSameEpisodes()
    {
        DeviceEpisodeSnapshot device = Gpu.ReadEpisodes();
        Mtrl.Kernels.Replay.EpisodeIndex cpu = Cpu.Episodes;
        Assert.Equal(cpu.EpisodeLengths.ToArray(), device.EpisodeLengths);
        Assert.Equal(cpu.EpisodeStarts.ToArray(), device.EpisodeStarts);
        Assert.Equal(cpu.ValidStarts.ToArray(), device.ValidStarts);
        Assert.Equal(cpu.ValidCounts.ToArray(), device.ValidCounts);
        Assert.Equal(Cpu.Position, device.Position);
        Assert.Equal(Cpu.Count, device.FilledRows * Options.EnvCount);
        for (int t = 0; t < Options.TaskCount; t++)
        {
            int sum = 0;
            for (int env = 0; env < Options.EnvCount; env++)
            {
                sum += device.TaskEnvCounts[(t * Options.EnvCount) + env];
            }

            Assert.Equal(Cpu.SampleableCountOf(t), sum);
        }
    }

    /// <summary>Samples both (uniform or balanced) into a poisoned device batch and asserts the same slots and rows.</summary>
    public void AssertSameSample(int size, bool balanced)
    {
        ReplayBatch cpu = Cpu.CreateBatch(size);
        using DeviceBatch device = Gpu.CreateBatch(size);
        Poison(device);
        Assert.Equal(Cpu.RandomCounter, Gpu.RandomCounter);
        if (balanced)
        {
            Cpu.SampleBalanced(cpu);
            Gpu.SampleBalanced(device);
        }
        else
        {
            Cpu.SampleUniform(cpu);
            Gpu.SampleUniform(device);
        }

        Gpu.ThrowIfFaulted();
        Assert.Equal(cpu.Slots, device.Slots.GetAsArray1D());
        Assert.Equal(cpu.Observations, device.Observations.GetAsArray1D());
        Assert.Equal(cpu.NextObservations, device.NextObservations.GetAsArray1D());
        Assert.Equal(cpu.Actions, device.Actions.GetAsArray1D());
        Assert.Equal(cpu.Rewards, device.Rewards.GetAsArray1D());
        Assert.Equal(cpu.Terminated, device.Terminated.GetAsArray1D());
        Assert.Equal(cpu.Truncated, device.Truncated.GetAsArray1D());
        Assert.Equal(cpu.TaskIds, device.TaskIds.GetAsArray1D());
        Assert.Equal(cpu.Weights, device.Weights.GetAsArray1D());
        if (Options.GoalWidth > 0)
        {
            Assert.Equal(cpu.AchievedGoals, device.AchievedGoals.GetAsArray1D());
            Assert.Equal(cpu.NextAchievedGoals, device.NextAchievedGoals.GetAsArray1D());
            Assert.Equal(cpu.DesiredGoals, device.DesiredGoals.GetAsArray1D());
        }

        if (balanced)
        {
            Assert.Equal(cpu.TaskRowStarts, device.TaskRowStarts.GetAsArray1D());
        }
    }

    /// <summary>HER-samples both with the same strategy, k and reward and asserts the same slots, goal slots, goals, rewards and flags.</summary>
    public void AssertSameHerSample(int size, HerGoalStrategy strategy, int k, Mtrl.Kernels.Replay.ThresholdGoalReward reward)
    {
        ReplayBatch cpu = Cpu.CreateBatch(size);
        using DeviceBatch device = Gpu.CreateBatch(size);
        Poison(device);
        Cpu.SampleHer(cpu, new HerOptions(strategy, k), reward);
        Gpu.SampleHer(device, strategy, k, reward);
        Gpu.ThrowIfFaulted();
        Assert.Equal(Cpu.RandomCounter, Gpu.RandomCounter);
        Assert.Equal(cpu.RelabeledStart, device.RelabeledStart);
        Assert.Equal(cpu.Slots, device.Slots.GetAsArray1D());
        Assert.Equal(cpu.GoalSlots, device.GoalSlots.GetAsArray1D());
        Assert.Equal(cpu.DesiredGoals, device.DesiredGoals.GetAsArray1D());
        Assert.Equal(cpu.NextAchievedGoals, device.NextAchievedGoals.GetAsArray1D());
        Assert.Equal(cpu.Rewards, device.Rewards.GetAsArray1D());
        Assert.Equal(cpu.Terminated, device.Terminated.GetAsArray1D());
        Assert.Equal(cpu.Truncated, device.Truncated.GetAsArray1D());
        Assert.Equal(cpu.Observations, device.Observations.GetAsArray1D());
    }

    /// <summary>Fills every field of a device batch with NaN (ints with −7), so an unwritten element fails the comparison.</summary>
    public static void Poison(DeviceBatch batch)
    {
        foreach (MemoryBuffer1D<float, Stride1D.Dense> field in new[]
        {
            batch.Observations, batch.NextObservations, batch.Actions, batch.Rewards, batch.Terminated, batch.Truncated,
            batch.AchievedGoals, batch.NextAchievedGoals, batch.DesiredGoals, batch.Weights,
        })
        {
            var nan = new float[field.Length];
            Array.Fill(nan, float.NaN);
            field.CopyFromCPU(nan);
        }

        foreach (MemoryBuffer1D<int, Stride1D.Dense> field in new[] { batch.TaskIds, batch.Slots, batch.GoalSlots, batch.TaskRowStarts })
        {
            var bad = new int[field.Length];
            Array.Fill(bad, -7);
            field.CopyFromCPU(bad);
        }
    }

    public void Dispose()
    {
        Gpu.Dispose();
        foreach (MemoryBuffer1D<float, Stride1D.Dense> field in _stepFloats)
        {
            field.Dispose();
        }

        _stepTasks.Dispose();
    }

    private static float[] Flags(bool[] flags) => Array.ConvertAll(flags, f => f ? 1f : 0f);

    private float[] GridValues(int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = _random.Next(3);
        }

        return values;
    }

    private float[] Values(int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)((_random.NextDouble() * 2) - 1);
        }

        return values;
    }
}
