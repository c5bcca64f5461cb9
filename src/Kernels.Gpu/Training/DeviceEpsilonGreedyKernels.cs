using System;
using ILGPU;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>ε-greedy action choice on the device: the CPU <c>DqnTrainer.ChooseActions</c>, one thread per environment.</summary>
internal static class DeviceEpsilonGreedyKernels
{
    /// <summary>
    /// Env i acts randomly when uniform 2i is below ε — action ⌊u_{2i+1}·A⌋ (at most A − 1) — and
    /// otherwise takes the first action of largest Q value, as <c>TemporalDifference.ArgMax</c>.
    /// </summary>
    /// <param name="env">The environment.</param>
    /// <param name="uniforms">2N uniforms in [0, 1) (the CPU's Philox fill).</param>
    /// <param name="q">N × A Q values; never read when ε ≥ 1.</param>
    /// <param name="actions">N actions to write.</param>
    /// <param name="epsilon">The exploration rate.</param>
    /// <param name="actionCount">A.</param>
    public static void Choose(Index1D env, ArrayView<float> uniforms, ArrayView<float> q, ArrayView<int> actions, double epsilon, int actionCount)
    {
        if (uniforms[2 * env] < epsilon)
        {
            actions[env] = Math.Min((int)(uniforms[(2 * env) + 1] * actionCount), actionCount - 1);
            return;
        }

        int row = env * actionCount;
        int best = 0;
        for (int a = 1; a < actionCount; a++)
        {
            if (q[row + a] > q[row + best])
            {
                best = a;
            }
        }

        actions[env] = best;
    }
}
