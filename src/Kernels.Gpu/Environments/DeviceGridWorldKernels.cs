using ILGPU;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Random;

namespace Mtrl.Kernels.Gpu.Environments;

/// <summary>
/// GridWorld on the device, one thread per environment: the twins of <see cref="GridWorldResetKernel"/>
/// and <see cref="GridWorldStepKernel"/> (table successor, goal reward and termination on entering
/// the task's goal, −StepCost otherwise, truncation at the time limit, same-step autoreset), with
/// start cells drawn as <see cref="GridWorldRules.StartCell"/>. All integer arithmetic and the
/// CPU's one float division per coordinate, so results equal the CPU's bit for bit.
/// </summary>
internal static class DeviceGridWorldKernels
{
    /// <summary>Starts episode 0 of environment <paramref name="env"/> and clears its reward and flags.</summary>
    public static void Reset(Index1D env, DeviceGridWorldViews s, ulong seed)
    {
        int cell = StartCell(s, s.TaskIds[env], seed, env, 0);
        s.Cells[env] = cell;
        s.Steps[env] = 0;
        s.Episodes[env] = 0;
        WriteObservation(s, s.Observations, env, cell);
        s.Rewards[env] = 0f;
        s.Terminated[env] = 0f;
        s.Truncated[env] = 0f;
    }

    /// <summary>
    /// Checks environment <paramref name="env"/>'s action is in [0, 4); the first bad one is kept in
    /// the fault cell and the whole step is then skipped, as the CPU environment refuses the whole step.
    /// </summary>
    public static void CheckActions(Index1D env, DeviceGridWorldViews s, ArrayView<int> actions)
    {
        int action = actions[env];
        if ((uint)action >= GridWorldRules.ActionCount && Atomic.CompareExchange(ref s.Fault[0], 0, 1) == 0)
        {
            s.Fault[1] = env;
            s.Fault[2] = action;
        }
    }

    /// <summary>Moves environment <paramref name="env"/> by actions[env], autoresetting a finished episode (nothing if the step was refused).</summary>
    public static void Step(Index1D env, DeviceGridWorldViews s, ArrayView<int> actions, ulong seed)
    {
        if (s.Fault[0] != 0)
        {
            return;
        }

        int task = s.TaskIds[env];
        int cell = s.Transitions[(s.Cells[env] * GridWorldRules.ActionCount) + actions[env]];
        int steps = s.Steps[env] + 1;
        bool terminated = cell == s.TaskGoals[task];
        bool truncated = steps >= s.MaxSteps;
        s.Rewards[env] = terminated ? s.GoalReward : -s.StepCost;
        s.Terminated[env] = terminated ? 1f : 0f;
        s.Truncated[env] = truncated ? 1f : 0f;
        if (terminated | truncated)
        {
            WriteObservation(s, s.FinalObservations, env, cell);
            uint episode = s.Episodes[env] + 1;
            s.Episodes[env] = episode;
            cell = StartCell(s, task, seed, env, episode);
            steps = 0;
        }

        s.Cells[env] = cell;
        s.Steps[env] = steps;
        WriteObservation(s, s.Observations, env, cell);
    }

    /// <summary><see cref="GridWorldRules.StartCell"/>: word 0 of block 0 of the episode's stream picks among the task's start cells.</summary>
    private static int StartCell(DeviceGridWorldViews s, int task, ulong seed, int env, uint episode)
    {
        int first = s.StartOffsets[task];
        int count = s.StartOffsets[task + 1] - first;
        PhiloxBlock block = DevicePhilox.Generate(seed, (uint)env, (ulong)episode << 32);
        return s.StartCells[first + (int)(((ulong)block.X0 * (uint)count) >> 32)];
    }

    /// <summary><see cref="GridWorldRules.WriteObservation"/> into row <paramref name="env"/> of <paramref name="target"/>.</summary>
    private static void WriteObservation(DeviceGridWorldViews s, ArrayView<float> target, int env, int cell)
    {
        int offset = env * s.ObservationWidth;
        if (s.OneHot != 0)
        {
            for (int k = 0; k < s.ObservationWidth; k++)
            {
                target[offset + k] = k == cell ? 1f : 0f;
            }
        }
        else
        {
            int row = cell / s.Width;
            int column = cell - (row * s.Width);
            target[offset] = row / (float)(s.Height - 1);
            target[offset + 1] = column / (float)(s.Width - 1);
        }
    }
}
