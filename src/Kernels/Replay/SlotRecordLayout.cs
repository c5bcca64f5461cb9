using System;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// The layout of a slot record: everything a sampler and a hindsight relabeler read for one slot
/// — the action, reward, task id, episode start and length, the two flags and the five observation
/// and goal rows in their stored encoding — packed into one 32- or 64-byte record on a cache-line
/// boundary. A buffer whose rows are that small (bit-packed BitFlip: 47 bytes) keeps such a record
/// per slot next to its struct-of-arrays columns, so a sampled row costs one random cache line
/// instead of about a dozen (one per column). Offsets are in bytes from the record's start.
/// </summary>
/// <remarks>
/// Order: the action (4 bytes per element), reward, task id, episode start, episode length (all
/// 4 bytes), the observation, next observation, achieved, next achieved and desired goal rows
/// (<see cref="ColumnEncoding.RowBytes"/> each; absent goals take 0 bytes), then the terminated and
/// truncated bytes. A layout that does not fit in <see cref="MaxBytes"/> has <see cref="Stride"/> 0:
/// the buffer keeps no records and kernels read the columns.
/// </remarks>
public readonly record struct SlotRecordLayout
{
    /// <summary>Largest record: one cache line.</summary>
    public const int MaxBytes = 64;

    /// <summary>Bytes per record (32 or 64), or 0 when the fields do not fit in <see cref="MaxBytes"/>.</summary>
    public int Stride { get; init; }

    /// <summary>Bytes of the record that carry data (the rest is padding).</summary>
    public int UsedBytes { get; init; }

    /// <summary>Offset of the action (int or float elements).</summary>
    public int Action { get; init; }

    /// <summary>Offset of the reward (float).</summary>
    public int Reward { get; init; }

    /// <summary>Offset of the task id (int).</summary>
    public int TaskId { get; init; }

    /// <summary>Offset of the episode's start row (int, as <see cref="EpisodeIndex.EpisodeStarts"/>).</summary>
    public int EpisodeStart { get; init; }

    /// <summary>Offset of the episode's length (int, as <see cref="EpisodeIndex.EpisodeLengths"/>).</summary>
    public int EpisodeLength { get; init; }

    /// <summary>Offset of the observation row.</summary>
    public int Observation { get; init; }

    /// <summary>Offset of the next observation row.</summary>
    public int NextObservation { get; init; }

    /// <summary>Offset of the achieved goal row.</summary>
    public int AchievedGoal { get; init; }

    /// <summary>Offset of the next achieved goal row.</summary>
    public int NextAchievedGoal { get; init; }

    /// <summary>Offset of the desired goal row.</summary>
    public int DesiredGoal { get; init; }

    /// <summary>Offset of the terminated flag (byte).</summary>
    public int Terminated { get; init; }

    /// <summary>Offset of the truncated flag (byte).</summary>
    public int Truncated { get; init; }

    /// <summary>True when records exist for this shape.</summary>
    public bool HasRecords => Stride > 0;

    /// <summary>The layout for a table of this shape; <see cref="Stride"/> is 0 when a slot's fields exceed <see cref="MaxBytes"/>.</summary>
    /// <param name="observationType">Storage of both observation fields.</param>
    /// <param name="observationWidth">Elements per observation.</param>
    /// <param name="actionWidth">Elements per action (4 bytes each).</param>
    /// <param name="goalType">Storage of the three goal fields.</param>
    /// <param name="goalWidth">Elements per goal; 0 without goals.</param>
    public static SlotRecordLayout For(ColumnElementType observationType, int observationWidth, int actionWidth, ColumnElementType goalType, int goalWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(observationWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(actionWidth, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(goalWidth);
        if (observationWidth > MaxBytes * 8 || actionWidth > MaxBytes || goalWidth > MaxBytes * 8)
        {
            return default;
        }

        long observationBytes = ColumnEncoding.RowBytes(observationType, observationWidth);
        long goalBytes = goalWidth == 0 ? 0 : ColumnEncoding.RowBytes(goalType, goalWidth);
        long used = (4L * actionWidth) + 16 + (2 * observationBytes) + (3 * goalBytes) + 2;
        if (used > MaxBytes)
        {
            return default;
        }

        int action = 0;
        int reward = 4 * actionWidth;
        int observation = reward + 16;
        int next = observation + (int)observationBytes;
        int achieved = next + (int)observationBytes;
        int nextAchieved = achieved + (int)goalBytes;
        int desired = nextAchieved + (int)goalBytes;
        int terminated = desired + (int)goalBytes;
        return new SlotRecordLayout
        {
            Stride = used <= 32 ? 32 : 64,
            UsedBytes = (int)used,
            Action = action,
            Reward = reward,
            TaskId = reward + 4,
            EpisodeStart = reward + 8,
            EpisodeLength = reward + 12,
            Observation = observation,
            NextObservation = next,
            AchievedGoal = achieved,
            NextAchievedGoal = nextAchieved,
            DesiredGoal = desired,
            Terminated = terminated,
            Truncated = terminated + 1,
        };
    }
}
