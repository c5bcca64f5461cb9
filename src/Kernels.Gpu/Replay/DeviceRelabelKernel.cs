using System;
using ILGPU;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Random;
using Mtrl.Kernels.Replay;

namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// Hindsight relabeling of a gathered device batch, the twin of <see cref="HerRelabel"/> followed
/// by <see cref="ThresholdGoalReward.Compute"/>: relabeled row i takes as desired goal the next
/// achieved goal of the step its strategy picks in its own episode (word 0 of Philox block
/// counter + i, <see cref="HerGoalSelection.GoalStep"/>'s arithmetic), and its reward (and, for a
/// reward that defines it, termination) is recomputed from its next achieved goal and the new goal.
/// </summary>
internal static class DeviceRelabelKernel
{
    /// <summary>One thread per relabeled row: rows [firstRow, firstRow + launch length).</summary>
    public static void Relabel(
        Index1D index, DeviceRingViews ring, DeviceLedgerViews ledger, DeviceBatchViews batch, int firstRow, int strategy,
        float threshold, int terminateOnSuccess, ulong seed, ulong stream, ulong counter)
    {
        int row = firstRow + index;
        int slot = batch.Slots[row];
        if (slot < 0)
        {
            // Nothing was sampled (the row is poisoned already).
            batch.GoalSlots[row] = -1;
            return;
        }

        uint bits = DevicePhilox.Generate(seed, stream, counter + (ulong)row).X0;
        int goalSlot = GoalSlot(ledger, slot, strategy, bits);
        batch.GoalSlots[row] = goalSlot;
        int g = ring.GoalWidth;
        float squares = 0f;
        for (int k = 0; k < g; k++)
        {
            float goal = ring.NextAchievedGoals[(goalSlot * g) + k];
            batch.DesiredGoals[(row * g) + k] = goal;
            float difference = batch.NextAchievedGoals[(row * g) + k] - goal;
            squares += difference * difference;
        }

        bool success = MathF.Sqrt(squares) <= threshold;
        batch.Rewards[row] = success ? 0f : -1f;
        if (terminateOnSuccess != 0)
        {
            batch.Terminated[row] = success ? 1f : 0f;
        }
    }

    /// <summary>The goal slot for a sampled slot, as <see cref="HerRelabel.GoalSlot(in EpisodeIndex, int, HerGoalStrategy, uint)"/>.</summary>
    private static int GoalSlot(DeviceLedgerViews ledger, int slot, int strategy, uint bits)
    {
        int envs = ledger.Envs;
        int rows = ledger.Rows;
        int start = ledger.EpisodeStarts[slot];
        int length = ledger.EpisodeLengths[slot];
        int ringRow = slot / envs;
        int env = slot - (ringRow * envs);
        int step = ringRow - start;
        if (step < 0)
        {
            step += rows;
        }

        int goalStep = strategy == (int)HerGoalStrategy.Future
            ? step + SmallIndex(bits, length - step)
            : strategy == (int)HerGoalStrategy.Final ? length - 1 : SmallIndex(bits, length);
        int goalRow = start + goalStep;
        if (goalRow >= rows)
        {
            goalRow -= rows;
        }

        return (goalRow * envs) + env;
    }

    /// <summary><see cref="RandomBits.ToSmallIndex"/>: ⌊bits · n / 2^32⌋.</summary>
    private static int SmallIndex(uint bits, int n) => (int)(((ulong)bits * (uint)n) >> 32);
}
