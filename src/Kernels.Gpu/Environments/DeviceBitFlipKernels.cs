using ILGPU;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Random;

namespace Mtrl.Kernels.Gpu.Environments;

/// <summary>
/// BitFlip(n) on the device, one thread per environment: the twins of <see cref="BitFlipResetKernel"/>
/// and <see cref="BitFlipStepKernel"/> (action i flips bit i, reward 0 on reaching the goal and −1
/// otherwise, terminated on success, truncated at the time limit, same-step autoreset), with state
/// and goal drawn from block 0 of <see cref="EnvironmentRandom"/>'s stream as <see cref="BitFlipRules.StartEpisode"/>.
/// </summary>
internal static class DeviceBitFlipKernels
{
    /// <summary>Starts episode 0 of environment <paramref name="env"/>.</summary>
    public static void Reset(Index1D env, DeviceBitFlipViews s, ulong seed)
    {
        Start(s, env, seed, 0, out ulong state, out ulong goal);
        s.States[env] = state;
        s.Goals[env] = goal;
        s.Steps[env] = 0;
        s.Episodes[env] = 0;
        Write(s, env, state, goal, s.Observations, s.AchievedGoals, s.DesiredGoals);
        s.Rewards[env] = 0f;
        s.Terminated[env] = 0f;
        s.Truncated[env] = 0f;
    }

    /// <summary>Flips bit actions[env] of environment <paramref name="env"/>, autoresetting a finished episode.</summary>
    public static void Step(Index1D env, DeviceBitFlipViews s, ArrayView<int> actions, ulong seed)
    {
        ulong state = s.States[env] ^ (1UL << actions[env]);
        ulong goal = s.Goals[env];
        int steps = s.Steps[env] + 1;
        bool success = state == goal;
        bool truncated = steps >= s.MaxSteps;
        s.Rewards[env] = success ? BitFlipRules.SuccessReward : BitFlipRules.FailureReward;
        s.Terminated[env] = success ? 1f : 0f;
        s.Truncated[env] = truncated ? 1f : 0f;
        if (success || truncated)
        {
            Write(s, env, state, goal, s.FinalObservations, s.FinalAchievedGoals, s.FinalDesiredGoals);
            uint episode = s.Episodes[env] + 1;
            s.Episodes[env] = episode;
            Start(s, env, seed, episode, out state, out goal);
            s.Goals[env] = goal;
            steps = 0;
        }

        s.States[env] = state;
        s.Steps[env] = steps;
        Write(s, env, state, goal, s.Observations, s.AchievedGoals, s.DesiredGoals);
    }

    private static void Start(DeviceBitFlipViews s, int env, ulong seed, uint episode, out ulong state, out ulong goal)
    {
        PhiloxBlock block = DevicePhilox.Generate(seed, (uint)env, (ulong)episode << 32);
        ulong mask = s.Bits >= BitFlipRules.MaxBits ? ulong.MaxValue : (1UL << s.Bits) - 1;
        state = (((ulong)block.X1 << 32) | block.X0) & mask;
        goal = (((ulong)block.X3 << 32) | block.X2) & mask;
    }

    /// <summary>The state as the observation and achieved goal, the goal as the desired goal: bit b of a value is element b (0 or 1).</summary>
    private static void Write(
        DeviceBitFlipViews s, int env, ulong state, ulong goal, ArrayView<float> observations, ArrayView<float> achieved, ArrayView<float> desired)
    {
        int n = s.Bits;
        for (int b = 0; b < n; b++)
        {
            float stateBit = (float)((state >> b) & 1UL);
            observations[(env * n) + b] = stateBit;
            achieved[(env * n) + b] = stateBit;
            desired[(env * n) + b] = (float)((goal >> b) & 1UL);
        }
    }
}
