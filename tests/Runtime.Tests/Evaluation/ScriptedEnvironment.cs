using System;
using Mtrl.Runtime.Environments;

namespace Mtrl.Runtime.Tests.Evaluation;

/// <summary>
/// A deterministic discrete environment whose numbers evaluation tests can compute by hand:
/// environment i runs task i mod T; an episode of task t lasts t + 2 steps; each step pays
/// action + 100·i + 10·(episode of environment i); the last step terminates when the action is 1
/// and truncates otherwise. Observation = (task, step in episode).
/// </summary>
internal sealed class ScriptedEnvironment : IDiscreteVectorEnvironment
{
    private readonly int[] _steps;
    private readonly int[] _episodes;

    public ScriptedEnvironment(int environments, int tasks, SuccessSignal signal = SuccessSignal.Termination, bool endless = false)
    {
        EnvironmentCount = environments;
        TaskCount = tasks;
        SuccessSignal = signal;
        Endless = endless;
        Buffers = new VectorStepBuffers(environments, 2);
        _steps = new int[environments];
        _episodes = new int[environments];
    }

    public int EnvironmentCount { get; }

    public int ObservationSize => 2;

    public ActionSpace ActionSpace { get; } = ActionSpace.Discrete(3);

    public int TaskCount { get; }

    public SuccessSignal SuccessSignal { get; }

    public bool Endless { get; }

    public VectorStepBuffers Buffers { get; }

    public ulong Seed { get; private set; }

    public int Resets { get; private set; }

    public static int LengthOf(int task) => task + 2;

    public void Reset(ulong seed)
    {
        Seed = seed;
        Resets++;
        Array.Clear(_steps);
        Array.Clear(_episodes);
        for (var i = 0; i < EnvironmentCount; i++)
        {
            Buffers.TaskIds[i] = i % TaskCount;
            Observe(i);
        }
        Array.Clear(Buffers.Rewards);
        Array.Clear(Buffers.Terminated);
        Array.Clear(Buffers.Truncated);
        Array.Clear(Buffers.Finished);
    }

    public void Step(ReadOnlySpan<int> actions)
    {
        for (var i = 0; i < EnvironmentCount; i++)
        {
            var task = Buffers.TaskIds[i];
            _steps[i]++;
            Buffers.Rewards[i] = actions[i] + 100 * i + 10 * _episodes[i];
            var last = !Endless && _steps[i] == LengthOf(task);
            Buffers.Terminated[i] = last && actions[i] == 1;
            Buffers.Truncated[i] = last && actions[i] != 1;
            Buffers.Finished[i] = last;
            if (last)
            {
                _steps[i] = 0;
                _episodes[i]++;
            }
            Observe(i);
        }
    }

    private void Observe(int i)
    {
        Buffers.Observations[2 * i] = Buffers.TaskIds[i];
        Buffers.Observations[2 * i + 1] = _steps[i];
    }
}
