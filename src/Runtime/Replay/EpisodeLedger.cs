using System;
using Mtrl.Kernels.Replay;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// Episode bookkeeping of a replay ring with stable-baselines3's HerReplayBuffer semantics: per
/// slot the row where its episode starts and the episode's length, which stays 0 until the
/// episode ends and returns to 0 for the whole rest of an episode as soon as the ring overwrites
/// its first step. Only slots with a positive length are sampled.
/// </summary>
/// <remarks>
/// Besides SB3's per-slot arrays the ledger keeps, per env, the circular run of sampleable rows
/// (complete episodes between the partly overwritten oldest one and the unfinished current one),
/// and per task and env the number of sampleable slots. Samplers draw from those directly, where
/// SB3 scans the whole buffer for positive lengths on every sample.
/// </remarks>
internal sealed class EpisodeLedger
{
    private readonly int _rows;
    private readonly int _envs;
    private readonly TransitionStore _store;
    private readonly PriorityIndex? _priorities;

    public EpisodeLedger(ReplayBufferOptions options, TransitionStore store, PriorityIndex? priorities)
    {
        _rows = options.Rows;
        _envs = options.EnvCount;
        _store = store;
        _priorities = priorities;
        EpisodeStarts = HugePageAdvice.AllocateZeroed<int>(options.Capacity);
        EpisodeLengths = HugePageAdvice.AllocateZeroed<int>(options.Capacity);
        CurrentStarts = new int[_envs];
        CurrentLengths = new int[_envs];
        CurrentTasks = new int[_envs];
        Broken = new int[_envs];
        ValidStarts = new int[_envs];
        ValidCounts = new int[_envs];
        TaskEnvCounts = new int[options.TaskCount * _envs];
        TaskCounts = new int[options.TaskCount];
    }

    /// <summary>Row at which each slot's episode starts (SB3's <c>ep_start</c>).</summary>
    public int[] EpisodeStarts { get; }

    /// <summary>Length of each slot's finished, intact episode; 0 = not sampleable (SB3's <c>ep_length</c>).</summary>
    public int[] EpisodeLengths { get; }

    /// <summary>Per env: row where the unfinished episode started.</summary>
    public int[] CurrentStarts { get; }

    /// <summary>Per env: steps of the unfinished episode written so far.</summary>
    public int[] CurrentLengths { get; }

    /// <summary>Per env: task of the unfinished episode (meaningful when its length is positive).</summary>
    public int[] CurrentTasks { get; }

    /// <summary>Per env: 1 when the unfinished episode is longer than the ring (its first step is gone), so it will never be sampleable.</summary>
    public int[] Broken { get; }

    /// <summary>Per env: first row of the sampleable run.</summary>
    public int[] ValidStarts { get; }

    /// <summary>Per env: rows in the sampleable run.</summary>
    public int[] ValidCounts { get; }

    /// <summary>Sampleable slots per (task, env), task-major.</summary>
    public int[] TaskEnvCounts { get; }

    /// <summary>Sampleable slots per task.</summary>
    public int[] TaskCounts { get; }

    /// <summary>Next row to write.</summary>
    public int Position { get; set; }

    /// <summary>Rows written at least once (the ring is full when this equals the row count).</summary>
    public int FilledRows { get; set; }

    /// <summary>Sampleable slots in total.</summary>
    public int SampleableCount { get; private set; }

    /// <summary>Views for the kernels.</summary>
    public EpisodeIndex Index => new()
    {
        EpisodeStarts = EpisodeStarts,
        EpisodeLengths = EpisodeLengths,
        ValidStarts = ValidStarts,
        ValidCounts = ValidCounts,
        Rows = _rows,
        Envs = _envs,
    };

    /// <summary>
    /// Prepares row <see cref="Position"/> for overwriting, before any of its slots changes: an
    /// env whose oldest sampleable episode starts on this row loses that whole episode (SB3 sets
    /// its length to 0 from here to its end); an env whose unfinished episode already fills the
    /// ring is about to lose that episode's first step.
    /// </summary>
    public void BeginRow()
    {
        int row = Position;
        for (int env = 0; env < _envs; env++)
        {
            if (ValidCounts[env] > 0 && ValidStarts[env] == row)
            {
                int slot = (row * _envs) + env;
                int length = EpisodeLengths[slot];
                int task = _store.TaskIds[slot];
                SetLengths(row, length, env, 0);
                ValidStarts[env] = Wrap(row + length);
                ValidCounts[env] -= length;
                Count(task, env, -length);
            }

            if (CurrentLengths[env] == _rows)
            {
                Broken[env] = 1;
            }
        }
    }

    /// <summary>Records row <see cref="Position"/> (just written) and ends the episodes that finished on it.</summary>
    public void EndRow(ReadOnlySpan<bool> terminated, ReadOnlySpan<bool> truncated)
    {
        int row = Position;
        for (int env = 0; env < _envs; env++)
        {
            int slot = (row * _envs) + env;
            if (CurrentLengths[env] == 0)
            {
                CurrentStarts[env] = row;
                CurrentTasks[env] = _store.TaskIds[slot];
            }

            EpisodeStarts[slot] = CurrentStarts[env];
            EpisodeLengths[slot] = 0;
            _store.SetEpisode(slot, CurrentStarts[env], 0);
            CurrentLengths[env]++;
            if (terminated[env] || truncated[env])
            {
                FinishEpisode(env);
            }
        }

        Position = Wrap(row + 1);
        FilledRows = Math.Min(FilledRows + 1, _rows);
    }

    /// <summary>
    /// Ends env <paramref name="env"/>'s unfinished episode on the last written row: unless it
    /// outgrew the ring, every slot gets the episode's length and joins the env's sampleable run.
    /// </summary>
    public void FinishEpisode(int env)
    {
        int length = CurrentLengths[env];
        int start = CurrentStarts[env];
        if (length > 0 && Broken[env] == 0)
        {
            SetLengths(start, length, env, length);
            if (ValidCounts[env] == 0)
            {
                ValidStarts[env] = start;
            }

            ValidCounts[env] += length;
            Count(CurrentTasks[env], env, length);
        }

        CurrentLengths[env] = 0;
        Broken[env] = 0;
    }

    /// <summary>Recomputes the per-task counts from the per-env runs (after loading).</summary>
    public void RecountTasks()
    {
        Array.Clear(TaskEnvCounts);
        Array.Clear(TaskCounts);
        SampleableCount = 0;
        for (int env = 0; env < _envs; env++)
        {
            int row = ValidStarts[env];
            for (int left = ValidCounts[env]; left > 0;)
            {
                int slot = (row * _envs) + env;
                int length = EpisodeLengths[slot];
                if (length <= 0 || length > left)
                {
                    throw new InvalidOperationException($"env {env}'s sampleable run is inconsistent at row {row}");
                }

                Count(_store.TaskIds[slot], env, length);
                left -= length;
                row = Wrap(row + length);
            }
        }
    }

    private void Count(int task, int env, int delta)
    {
        TaskEnvCounts[(task * _envs) + env] += delta;
        TaskCounts[task] += delta;
        SampleableCount += delta;
    }

    private int Wrap(int row) => row >= _rows ? row - _rows : row;

    /// <summary>Gives every slot of an episode the same length (0 = unsampleable) and its priority.</summary>
    private void SetLengths(int startRow, int count, int env, int length)
    {
        int row = startRow;
        for (int i = 0; i < count; i++)
        {
            int slot = (row * _envs) + env;
            EpisodeLengths[slot] = length;
            _store.SetEpisodeLength(slot, length);
            if (_priorities is not null)
            {
                if (length > 0)
                {
                    _priorities.Activate(slot);
                }
                else
                {
                    _priorities.Deactivate(slot);
                }
            }

            row = Wrap(row + 1);
        }
    }
}
