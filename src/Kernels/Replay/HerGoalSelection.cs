using System;
using System.Runtime.CompilerServices;
using Mtrl.Contracts;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// The arithmetic of hindsight relabeling that every HER sampler shares: how many rows of a batch
/// are relabeled and which step of the episode supplies a row's new goal. Pure functions of their
/// arguments, so a kernel can call them per row on any thread.
/// </summary>
public static class HerGoalSelection
{
    /// <summary>
    /// Rows of a batch of <paramref name="batchSize"/> that get a substitute goal when
    /// <paramref name="goalsPerTransition"/> (k) relabeled goals accompany each real one:
    /// ⌊batch · k / (k + 1)⌋, the integer form of SB3's <c>int(her_ratio * batch_size)</c> with
    /// her_ratio = 1 − 1/(1 + k), free of floating-point rounding.
    /// </summary>
    /// <param name="batchSize">Rows in the batch; at least 0.</param>
    /// <param name="goalsPerTransition">k, at least 0 (0 relabels nothing).</param>
    public static int RelabeledCount(int batchSize, int goalsPerTransition)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(goalsPerTransition);
        return (int)((long)batchSize * goalsPerTransition / (goalsPerTransition + 1L));
    }

    /// <summary>
    /// The step t' in [0, <paramref name="episodeLength"/>) whose next achieved goal becomes the
    /// new desired goal of sampled step <paramref name="step"/>, drawn from one random word.
    /// </summary>
    /// <param name="strategy">Where the goal comes from.</param>
    /// <param name="step">Index t of the sampled transition within its episode, in [0, length).</param>
    /// <param name="episodeLength">L, the length of the finished episode; at least 1.</param>
    /// <param name="bits">A random word; ranges are at most an episode long, so the 32-bit
    /// multiply-shift of <see cref="RandomBits.ToSmallIndex"/> has no measurable bias.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GoalStep(HerGoalStrategy strategy, int step, int episodeLength, uint bits) => strategy switch
    {
        HerGoalStrategy.Future => step + RandomBits.ToSmallIndex(bits, episodeLength - step),
        HerGoalStrategy.Final => episodeLength - 1,
        _ => RandomBits.ToSmallIndex(bits, episodeLength),
    };
}
