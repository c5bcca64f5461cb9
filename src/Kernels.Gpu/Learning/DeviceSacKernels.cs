using System;
using ILGPU;

namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>
/// The row-wise steps of one SAC update on the device, the twins of <c>SacTrainer.Update</c>'s
/// loops (and <c>ActorCriticTrainer</c>'s critic loss and row weights): the same float and float64
/// operations in the same order, so on the ILGPU CPU accelerator targets, row gradients, losses
/// and the temperature gradient have the CPU's bits for the same inputs. Task ids outside [0, T)
/// make a row's weight and temperature NaN, so its losses are NaN and the optimizers skip the
/// step (kernels cannot throw).
/// </summary>
internal static class DeviceSacKernels
{
    /// <summary>One thread per temperature slot: α = (float)exp(log α), the CPU's <c>AlphaOf</c>.</summary>
    public static void Temperatures(Index1D slot, ArrayView<float> logAlpha, ArrayView<float> alphas)
        => alphas[slot] = (float)Math.Exp(logAlpha[slot]);

    /// <summary>
    /// One thread: Soft-Module's task weights T·softmax(−log α) in float64, from the per-task
    /// temperatures as they are at the start of the update (<c>ComputeTaskWeights</c>).
    /// </summary>
    public static void SoftmaxTaskWeights(Index1D thread, ArrayView<float> logAlpha, ArrayView<double> taskWeights, int tasks)
    {
        double max = double.NegativeInfinity;
        for (int t = 0; t < tasks; t++)
        {
            max = Math.Max(max, -logAlpha[t]);
        }

        double sum = 0;
        for (int t = 0; t < tasks; t++)
        {
            taskWeights[t] = Math.Exp(-logAlpha[t] - max);
            sum += taskWeights[t];
        }

        for (int t = 0; t < tasks; t++)
        {
            taskWeights[t] = tasks * taskWeights[t] / sum;
        }
    }

    /// <summary>One thread per row: the row's weight, (float) of its task's weight (<c>PrepareRowWeights</c> without importance weights).</summary>
    public static void RowWeights(Index1D row, ArrayView<int> tasks, ArrayView<double> taskWeights, ArrayView<float> rowWeights, DeviceSacSettings s)
    {
        int task = tasks[row];
        rowWeights[row] = task >= 0 && task < s.Tasks ? (float)taskWeights[task] : float.NaN;
    }

    /// <summary>One thread per row: y = r + γ(1 − terminated)·(min(Q̄₁, Q̄₂) − α_task·log π(a′|s′)).</summary>
    public static void Targets(
        Index1D row, ArrayView<float> rewards, ArrayView<float> terminated, ArrayView<int> tasks, ArrayView<float> q, ArrayView<float> twinQ,
        ArrayView<float> logProbability, ArrayView<float> alphas, ArrayView<float> targets, DeviceSacSettings s)
    {
        float value = Min(q[row], twinQ[row]) - (Alpha(alphas, tasks[row], s) * logProbability[row]);
        targets[row] = rewards[row] + (s.Gamma * (1f - terminated[row]) * value);
    }

    /// <summary>
    /// One thread per row of one critic: the error e = Q − y, the row's loss term w·e² in float64
    /// and ∂L/∂Q = 2w·e / B (<c>UpdateCritic</c>'s loop).
    /// </summary>
    public static void CriticRows(
        Index1D row, ArrayView<float> q, ArrayView<float> targets, ArrayView<float> rowWeights, ArrayView<float> gradient, ArrayView<double> rowLosses, DeviceSacSettings s)
    {
        float error = q[row] - targets[row];
        float weight = rowWeights[row];
        rowLosses[row] = (double)weight * error * error;
        gradient[row] = 2f * weight * error / s.Count;
    }

    /// <summary>
    /// One thread per row of the actor loss: the row's term w·(α·log π − min(Q₁, Q₂)), ∂L/∂log π =
    /// w·α / B, and ∂L/∂Q = −w / B into the smaller critic only (the first on ties).
    /// </summary>
    public static void ActorRows(
        Index1D row, ArrayView<float> q, ArrayView<float> twinQ, ArrayView<float> logProbability, ArrayView<int> tasks, ArrayView<float> alphas,
        ArrayView<float> rowWeights, ArrayView<float> logProbabilityGradient, ArrayView<float> criticGradient, ArrayView<float> twinGradient,
        ArrayView<double> rowLosses, DeviceSacSettings s)
    {
        float alpha = Alpha(alphas, tasks[row], s);
        bool first = q[row] <= twinQ[row];
        float rowLoss = (alpha * logProbability[row]) - (first ? q[row] : twinQ[row]);
        float weight = rowWeights[row];
        rowLosses[row] = weight * rowLoss;
        logProbabilityGradient[row] = weight * alpha / s.Count;
        criticGradient[row] = first ? -weight / s.Count : 0f;
        twinGradient[row] = first ? 0f : -weight / s.Count;
    }

    /// <summary>One thread: loss[index] = Σ_i rowLosses[i] / count, summed in row order from +0 as the CPU's float64 loss.</summary>
    public static void MeanLoss(Index1D thread, ArrayView<double> rowLosses, ArrayView<double> loss, int index, int count)
    {
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += rowLosses[i];
        }

        loss[index] = sum / count;
    }

    /// <summary>
    /// One thread: ∂L/∂log α for the loss −log α_t·(log π + H̄) averaged over the batch, each row
    /// pushing its own task's slot (float accumulation in row order, as the CPU), and the loss.
    /// gate[0] is the loss when the actor loss (actorLoss[0]) is finite and NaN otherwise: the
    /// CPU leaves the temperatures alone when the actor update was skipped.
    /// </summary>
    public static void TemperatureGradient(
        Index1D thread, ArrayView<float> logProbability, ArrayView<int> tasks, ArrayView<float> logAlpha, ArrayView<float> gradient,
        ArrayView<double> alphaLoss, ArrayView<double> actorLoss, DeviceSacSettings s)
    {
        for (int slot = 0; slot < s.Slots; slot++)
        {
            gradient[slot] = 0f;
        }

        double loss = 0;
        for (int i = 0; i < s.Count; i++)
        {
            int slot = s.Slots == 1 ? 0 : tasks[i];
            if (slot < 0 || slot >= s.Slots)
            {
                loss = double.NaN;
                continue;
            }

            double excess = logProbability[i] + s.TargetEntropy;
            gradient[slot] -= (float)(excess / s.Count);
            loss -= logAlpha[slot] * excess;
        }

        double mean = loss / s.Count;
        alphaLoss[0] = mean;
        alphaLoss[1] = double.IsFinite(actorLoss[0]) ? mean : double.NaN;
    }

    /// <summary>One thread per (row, dimension): ∂L/∂a = the twin critic's plus the critic's input gradient at the action's columns.</summary>
    public static void ActionGradients(
        Index1D element, ArrayView<float> twinInputGradient, ArrayView<float> inputGradient, ArrayView<float> actionGradient, int actions, int width)
    {
        int row = element / actions;
        long column = (long)row * width + (width - actions) + (element - (row * actions));
        actionGradient[element] = twinInputGradient[column] + inputGradient[column];
    }

    /// <summary>α of a row's task (the single temperature when there is one slot); NaN for a task outside [0, T).</summary>
    private static float Alpha(ArrayView<float> alphas, int task, DeviceSacSettings s)
        => task < 0 || task >= s.Tasks ? float.NaN : alphas[s.Slots == 1 ? 0 : task];

    /// <summary>MathF.Min's rule written out (NaN if either is NaN), so a GPU's min instruction, which drops NaN, cannot change it.</summary>
    private static float Min(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : a <= b ? a : b;
}
