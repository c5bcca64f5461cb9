using System;
using ILGPU;

namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>
/// A Q-learning update's loss on the device, the twin of the CPU <c>TemporalDifference</c>
/// (targets, chosen Q, scatter) and <c>Loss.Huber</c> / <c>Loss.MeanSquaredError</c>, with the
/// same float operations in the same order, so targets, row gradients and the float64 loss
/// have the CPU's bits.
/// </summary>
internal static class DeviceTdKernels
{
    /// <summary>
    /// One thread per row i: y = r + γ·(1 − terminated)·V(s′) with V(s′) = Q_target(s′, argmax_a
    /// Q_online(s′, a)) for double DQN or max_a Q_target(s′, a) (first index on ties); the row's
    /// loss term in float64; and row i of ∂L/∂Q: the loss gradient at the taken action, 0 elsewhere.
    /// A taken action that is not an integer in [0, actions) makes the row's loss NaN (so the
    /// optimizer skips the step) and its gradient 0: kernels cannot throw.
    /// </summary>
    public static void Rows(
        Index1D row, ArrayView<float> rewards, ArrayView<float> terminated, ArrayView<float> takenActions, ArrayView<float> q,
        ArrayView<float> targetNext, ArrayView<float> onlineNext, ArrayView<float> targets, ArrayView<double> rowLosses, ArrayView<float> qGradient,
        DeviceTdSettings s)
    {
        long offset = (long)(int)row * s.Actions;
        ArrayView<float> chooser = s.Double != 0 ? onlineNext : targetNext;
        int best = 0;
        for (int a = 1; a < s.Actions; a++)
        {
            if (chooser[offset + a] > chooser[offset + best])
            {
                best = a;
            }
        }

        float target = rewards[row] + (s.Gamma * (1f - terminated[row]) * targetNext[offset + best]);
        targets[row] = target;

        for (int a = 0; a < s.Actions; a++)
        {
            qGradient[offset + a] = 0f;
        }

        float taken = takenActions[row];
        int action = (int)taken;
        if (!(taken >= 0f && taken < s.Actions) || action != taken)
        {
            rowLosses[row] = double.NaN;
            return;
        }

        float difference = q[offset + action] - target;
        if (s.Loss == (int)DeviceTdLossKind.Huber)
        {
            float magnitude = Math.Abs(difference);
            rowLosses[row] = magnitude <= s.Delta ? 0.5 * difference * difference : s.Delta * (magnitude - (0.5 * s.Delta));

            // Math.Clamp's rule: NaN passes through.
            float clamped = difference < -s.Delta ? -s.Delta : difference > s.Delta ? s.Delta : difference;
            qGradient[offset + action] = s.Scale * clamped / s.Count;
        }
        else
        {
            rowLosses[row] = (double)difference * difference;
            float factor = 2f * s.Scale / s.Count;
            qGradient[offset + action] = factor * difference;
        }
    }

    /// <summary>One thread: loss[0] = scale · Σ_i rowLosses[i] / count, summed in row order as the CPU loss.</summary>
    public static void Reduce(Index1D thread, ArrayView<double> rowLosses, ArrayView<double> loss, int count, float scale)
    {
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += rowLosses[i];
        }

        loss[0] = scale * sum / count;
    }
}
