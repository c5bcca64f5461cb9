using System;
using Mtrl.Kernels;
using Mtrl.Runtime.Environments;

namespace Mtrl.GpuBenchmarks;

/// <summary>
/// Environments whose observations and rewards are standard-normal draws, environment i running
/// task i mod T, episodes truncated every <see cref="EpisodeSteps"/> steps: replay filler for the
/// SAC update case (the update's cost does not depend on the values).
/// </summary>
internal sealed class RandomTaskTransitions : IContinuousVectorEnvironment
{
    /// <summary>Steps per episode.</summary>
    public const int EpisodeSteps = 25;

    private long _steps;

    public RandomTaskTransitions(int environments, int observation, int actions, int tasks)
    {
        Buffers = new VectorStepBuffers(environments, observation);
        ActionSpace = ActionSpace.Continuous(actions, -1f, 1f);
        TaskCount = tasks;
        for (int i = 0; i < environments; i++)
        {
            Buffers.TaskIds[i] = i % tasks;
        }
    }

    public int EnvironmentCount => Buffers.EnvironmentCount;

    public int ObservationSize => Buffers.ObservationSize;

    public ActionSpace ActionSpace { get; }

    public int TaskCount { get; }

    public VectorStepBuffers Buffers { get; }

    public ulong Seed { get; private set; }

    public void Reset(ulong seed)
    {
        Seed = seed;
        _steps = 0;
        PhiloxFill.Normal(Buffers.Observations, seed, 0, 0);
    }

    public void Step(ReadOnlySpan<float> actions)
    {
        _steps++;
        bool finished = _steps % EpisodeSteps == 0;
        if (finished)
        {
            Buffers.Observations.CopyTo(Buffers.FinalObservations, 0);
        }

        PhiloxFill.Normal(Buffers.Observations, Seed, 1, (ulong)_steps * 64);
        PhiloxFill.Normal(Buffers.Rewards, Seed, 2, (ulong)_steps);
        Array.Fill(Buffers.Truncated, finished);
        Array.Fill(Buffers.Finished, finished);
        Array.Clear(Buffers.Terminated);
    }
}
