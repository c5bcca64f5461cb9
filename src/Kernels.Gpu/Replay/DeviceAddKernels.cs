using System;
using ILGPU;
using ILGPU.Runtime;

namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// The three launches of one <see cref="DeviceReplay.Add"/>: check the step (one thread per env),
/// write it into the ring and update the episode bookkeeping (one thread per env, the CPU ledger's
/// BeginRow / write / EndRow for that env's column), and advance the ring position (one thread).
/// A step that fails the check is not written at all, as on the CPU.
/// </summary>
internal static class DeviceAddKernels
{
    /// <summary>Field numbers reported with <see cref="DeviceReplayFault.NonFinite"/> and <see cref="DeviceReplayFault.FlagNotBinary"/>.</summary>
    public const int FieldObservations = 0;

    /// <summary>See <see cref="FieldObservations"/>.</summary>
    public const int FieldActions = 1;

    /// <summary>See <see cref="FieldObservations"/>.</summary>
    public const int FieldRewards = 2;

    /// <summary>See <see cref="FieldObservations"/>.</summary>
    public const int FieldNextObservations = 3;

    /// <summary>See <see cref="FieldObservations"/>.</summary>
    public const int FieldAchievedGoals = 4;

    /// <summary>See <see cref="FieldObservations"/>.</summary>
    public const int FieldNextAchievedGoals = 5;

    /// <summary>See <see cref="FieldObservations"/>.</summary>
    public const int FieldDesiredGoals = 6;

    /// <summary>See <see cref="FieldObservations"/>.</summary>
    public const int FieldTerminated = 7;

    /// <summary>See <see cref="FieldObservations"/>.</summary>
    public const int FieldTruncated = 8;

    /// <summary>The step's name of each field number, for error messages.</summary>
    public static string FieldName(int field) => field switch
    {
        FieldObservations => "Observations",
        FieldActions => "Actions",
        FieldRewards => "Rewards",
        FieldNextObservations => "NextObservations",
        FieldAchievedGoals => "AchievedGoals",
        FieldNextAchievedGoals => "NextAchievedGoals",
        FieldDesiredGoals => "DesiredGoals",
        FieldTerminated => "Terminated",
        FieldTruncated => "Truncated",
        _ => $"field {field}",
    };

    /// <summary>Checks env <paramref name="env"/>'s part of the step: task id in range and unchanged mid-episode, floats finite, flags 0 or 1.</summary>
    public static void Validate(Index1D env, DeviceRingViews ring, DeviceLedgerViews ledger, DeviceReplayStep step)
    {
        int task = step.TaskIds[env];
        if (task < 0 || task >= ledger.Tasks)
        {
            Raise(ledger, DeviceReplayFault.TaskOutOfRange, env, task);
            return;
        }

        if (ledger.CurrentLengths[env] > 0 && ledger.CurrentTasks[env] != task)
        {
            Raise(ledger, DeviceReplayFault.TaskChangedMidEpisode, env, task);
            return;
        }

        int field = -1;
        field = CheckFinite(step.Observations, env, ring.ObservationWidth, FieldObservations, field);
        field = CheckFinite(step.Actions, env, ring.ActionWidth, FieldActions, field);
        field = CheckFinite(step.Rewards, env, 1, FieldRewards, field);
        field = CheckFinite(step.NextObservations, env, ring.ObservationWidth, FieldNextObservations, field);
        field = CheckFinite(step.AchievedGoals, env, ring.GoalWidth, FieldAchievedGoals, field);
        field = CheckFinite(step.NextAchievedGoals, env, ring.GoalWidth, FieldNextAchievedGoals, field);
        field = CheckFinite(step.DesiredGoals, env, ring.GoalWidth, FieldDesiredGoals, field);
        if (field >= 0)
        {
            Raise(ledger, DeviceReplayFault.NonFinite, env, field);
            return;
        }

        float terminated = step.Terminated[env];
        float truncated = step.Truncated[env];
        if (terminated != 0f && terminated != 1f)
        {
            Raise(ledger, DeviceReplayFault.FlagNotBinary, env, FieldTerminated);
        }
        else if (truncated != 0f && truncated != 1f)
        {
            Raise(ledger, DeviceReplayFault.FlagNotBinary, env, FieldTruncated);
        }
    }

    /// <summary>Writes env <paramref name="env"/>'s transition into row Position and keeps its episodes' bookkeeping, as the CPU ledger does.</summary>
    public static void Write(Index1D env, DeviceRingViews ring, DeviceLedgerViews ledger, DeviceReplayStep step)
    {
        if (ledger.Fault[0] != DeviceReplayFault.None)
        {
            return;
        }

        int envs = ledger.Envs;
        int rows = ledger.Rows;
        int row = ledger.Position[0];
        int slot = (row * envs) + env;

        // Before overwriting: the oldest sampleable episode starting on this row is lost whole;
        // an unfinished episode that already fills the ring is about to lose its first step.
        if (ledger.ValidCounts[env] > 0 && ledger.ValidStarts[env] == row)
        {
            int length = ledger.EpisodeLengths[slot];
            int oldTask = ring.TaskIds[slot];
            SetLengths(ledger, row, length, env, 0, oldTask);
            ledger.ValidStarts[env] = Wrap(row + length, rows);
            ledger.ValidCounts[env] -= length;
            ledger.TaskEnvCounts[(oldTask * envs) + env] -= length;
        }

        if (ledger.CurrentLengths[env] == rows)
        {
            ledger.Broken[env] = 1;
        }

        Copy(step.Observations, env, ring.Observations, slot, ring.ObservationWidth);
        Copy(step.NextObservations, env, ring.NextObservations, slot, ring.ObservationWidth);
        Copy(step.Actions, env, ring.Actions, slot, ring.ActionWidth);
        Copy(step.AchievedGoals, env, ring.AchievedGoals, slot, ring.GoalWidth);
        Copy(step.NextAchievedGoals, env, ring.NextAchievedGoals, slot, ring.GoalWidth);
        Copy(step.DesiredGoals, env, ring.DesiredGoals, slot, ring.GoalWidth);
        ring.Rewards[slot] = step.Rewards[env];
        ring.Terminated[slot] = step.Terminated[env];
        ring.Truncated[slot] = step.Truncated[env];
        ring.TaskIds[slot] = step.TaskIds[env];

        if (ledger.CurrentLengths[env] == 0)
        {
            ledger.CurrentStarts[env] = row;
            ledger.CurrentTasks[env] = step.TaskIds[env];
        }

        ledger.EpisodeStarts[slot] = ledger.CurrentStarts[env];
        ledger.EpisodeLengths[slot] = 0;
        ledger.CurrentLengths[env] += 1;
        if (step.Terminated[env] != 0f || step.Truncated[env] != 0f)
        {
            FinishEpisode(ledger, env);
        }
    }

    /// <summary>Moves the ring to its next row, unless the step was refused.</summary>
    public static void Advance(Index1D index, DeviceLedgerViews ledger)
    {
        if (index == 0 && ledger.Fault[0] == DeviceReplayFault.None)
        {
            ledger.Position[0] = Wrap(ledger.Position[0] + 1, ledger.Rows);
            ledger.Position[1] = Math.Min(ledger.Position[1] + 1, ledger.Rows);
        }
    }

    /// <summary>Ends env <paramref name="env"/>'s unfinished episode on the last written row: unless it outgrew the ring, it becomes sampleable.</summary>
    private static void FinishEpisode(DeviceLedgerViews ledger, int env)
    {
        int length = ledger.CurrentLengths[env];
        int start = ledger.CurrentStarts[env];
        if (length > 0 && ledger.Broken[env] == 0)
        {
            SetLengths(ledger, start, length, env, length, ledger.CurrentTasks[env]);
            if (ledger.ValidCounts[env] == 0)
            {
                ledger.ValidStarts[env] = start;
            }

            ledger.ValidCounts[env] += length;
            ledger.TaskEnvCounts[(ledger.CurrentTasks[env] * ledger.Envs) + env] += length;
        }

        ledger.CurrentLengths[env] = 0;
        ledger.Broken[env] = 0;
    }

    /// <summary>
    /// Gives every slot of an episode the same length (0 = unsampleable) and, with priorities, its
    /// leaf: the largest priority so far to the power α when it becomes sampleable, 0 when it stops
    /// being (the CPU index's Activate / Deactivate; the episode's slots all hold <paramref name="task"/>).
    /// </summary>
    private static void SetLengths(DeviceLedgerViews ledger, int startRow, int count, int env, int length, int task)
    {
        double weight = ledger.Prioritized != 0 && length > 0
            ? Math.Pow(Interop.IntAsFloat((ulong)ledger.PriorityState[DevicePriorityKernels.MaxPriorityBits]), ledger.PriorityExponent)
            : 0d;
        long capacity = (long)ledger.Rows * ledger.Envs;
        long taskTree = task * 2 * capacity;
        int row = startRow;
        for (int i = 0; i < count; i++)
        {
            int slot = (row * ledger.Envs) + env;
            ledger.EpisodeLengths[slot] = length;
            if (ledger.Prioritized != 0)
            {
                ledger.PriorityTree[capacity + slot] = weight;
                if (ledger.TaskPriorities != 0)
                {
                    ledger.TaskPriorityTrees[taskTree + capacity + slot] = weight;
                }
            }

            row = Wrap(row + 1, ledger.Rows);
        }
    }

    private static void Copy(ArrayView<float> source, int sourceRow, ArrayView<float> destination, int destinationRow, int width)
    {
        for (int k = 0; k < width; k++)
        {
            destination[(destinationRow * width) + k] = source[(sourceRow * width) + k];
        }
    }

    private static int CheckFinite(ArrayView<float> values, int row, int width, int field, int found)
    {
        if (found >= 0)
        {
            return found;
        }

        for (int k = 0; k < width; k++)
        {
            // Exponent all ones: NaN or ±∞.
            if ((Interop.FloatAsInt(values[(row * width) + k]) & 0x7F80_0000) == 0x7F80_0000)
            {
                return field;
            }
        }

        return -1;
    }

    private static void Raise(DeviceLedgerViews ledger, int code, int env, int detail)
    {
        if (Atomic.CompareExchange(ref ledger.Fault[0], DeviceReplayFault.None, code) == DeviceReplayFault.None)
        {
            ledger.Fault[1] = env;
            ledger.Fault[2] = detail;
        }
    }

    private static int Wrap(int row, int rows) => row >= rows ? row - rows : row;
}
