using System;
using System.Runtime.CompilerServices;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// Task-balanced sampling: row i belongs to the task whose share (<see cref="BalancedShares"/>)
/// contains it and gets a slot drawn uniformly from that task's sampleable slots.
/// </summary>
/// <remarks>
/// Per row: a 64-bit index v over the task's slots picks the env by binary search over the
/// task's per-env counts. When all of that env's sampleable rows belong to the task (an env that
/// always runs one task) the slot follows directly from v. Otherwise a random row of the env's
/// sampleable run is drawn until one of the task's comes up (at most
/// <see cref="MaxAttempts"/> draws), and after that the (v − prefix)-th of the task's rows is found
/// by walking the env's episodes; every path is exactly uniform over the task's slots. Row i uses
/// Philox block (seed, stream, counter + i); further draws use streams stream + a·2^48.
/// </remarks>
public readonly ref struct TaskBalancedSlotSelector : ISlotSelector
{
    /// <summary>Random draws within an env before falling back to the exact walk over its episodes.</summary>
    public const int MaxAttempts = 16;

    private readonly ReadOnlySpan<int> _rowStarts;
    private readonly ReadOnlySpan<int> _taskEnvPrefix;
    private readonly ReadOnlySpan<int> _validStarts;
    private readonly ReadOnlySpan<int> _validCounts;
    private readonly ReadOnlySpan<int> _episodeLengths;
    private readonly ReadOnlySpan<int> _taskIds;
    private readonly int _rows;
    private readonly int _envs;
    private readonly ulong _seed;
    private readonly ulong _stream;
    private readonly ulong _counter;

    /// <summary>Creates the selector.</summary>
    /// <param name="episodes">The ring's bookkeeping.</param>
    /// <param name="taskIds">Task id per slot (constant within an episode).</param>
    /// <param name="rowStarts">Row ranges per task (tasks + 1 entries) from <see cref="BalancedShares.Split"/>.</param>
    /// <param name="taskEnvPrefix">tasks × (envs + 1) cumulative counts: for task t, entry e is the
    /// number of t's sampleable slots in envs [0, e).</param>
    /// <param name="seed">Experiment seed.</param>
    /// <param name="stream">Random stream of the sampler.</param>
    /// <param name="counter">Counter of row 0.</param>
    public TaskBalancedSlotSelector(
        in EpisodeIndex episodes, ReadOnlySpan<int> taskIds, ReadOnlySpan<int> rowStarts, ReadOnlySpan<int> taskEnvPrefix,
        ulong seed, ulong stream, ulong counter)
    {
        int tasks = rowStarts.Length - 1;
        if (tasks < 1 || taskEnvPrefix.Length != tasks * (episodes.Envs + 1))
        {
            throw new ArgumentException($"taskEnvPrefix must hold tasks × (envs + 1) = {Math.Max(tasks, 0) * (episodes.Envs + 1)} counts", nameof(taskEnvPrefix));
        }

        _rowStarts = rowStarts;
        _taskEnvPrefix = taskEnvPrefix;
        _validStarts = episodes.ValidStarts;
        _validCounts = episodes.ValidCounts;
        _episodeLengths = episodes.EpisodeLengths;
        _taskIds = taskIds;
        _rows = episodes.Rows;
        _envs = episodes.Envs;
        _seed = seed;
        _stream = stream;
        _counter = counter;
    }

    /// <inheritdoc />
    public int Select(int row)
    {
        int task = PrefixSearch.Group(_rowStarts, row);
        ReadOnlySpan<int> prefix = _taskEnvPrefix.Slice(task * (_envs + 1), _envs + 1);
        PhiloxBlock block = Philox4x32.Generate(_seed, _stream, _counter + (ulong)row);
        int value = RandomBits.ToIndex(block.X0, block.X1, prefix[_envs]);
        int env = PrefixSearch.Group(prefix, value);
        int rank = value - prefix[env];
        int taskRows = prefix[env + 1] - prefix[env];
        int envRows = _validCounts[env];
        int start = _validStarts[env];
        if (taskRows == envRows)
        {
            return SlotAt(start, rank, env);
        }

        int candidate = SlotAt(start, RandomBits.ToIndex(block.X2, block.X3, envRows), env);
        if (_taskIds[candidate] == task)
        {
            return candidate;
        }

        for (int attempt = 1; attempt < MaxAttempts; attempt++)
        {
            PhiloxBlock retry = Philox4x32.Generate(_seed, _stream + ((ulong)attempt << 48), _counter + (ulong)row);
            candidate = SlotAt(start, RandomBits.ToIndex(retry.X0, retry.X1, envRows), env);
            if (_taskIds[candidate] == task)
            {
                return candidate;
            }

            candidate = SlotAt(start, RandomBits.ToIndex(retry.X2, retry.X3, envRows), env);
            if (_taskIds[candidate] == task)
            {
                return candidate;
            }
        }

        return WalkToRank(start, rank, env, task);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SlotAt(int start, int offset, int env)
    {
        int ringRow = start + offset;
        if (ringRow >= _rows)
        {
            ringRow -= _rows;
        }

        return (ringRow * _envs) + env;
    }

    /// <summary>The rank-th slot of <paramref name="task"/> in the env's sampleable run, by walking its episodes.</summary>
    private int WalkToRank(int start, int rank, int env, int task)
    {
        int ringRow = start;
        while (true)
        {
            int slot = (ringRow * _envs) + env;
            int length = _episodeLengths[slot];
            if (_taskIds[slot] == task)
            {
                if (rank < length)
                {
                    return SlotAt(ringRow, rank, env);
                }

                rank -= length;
            }

            ringRow += length;
            if (ringRow >= _rows)
            {
                ringRow -= _rows;
            }
        }
    }

    /// <inheritdoc />
    public void SelectRows(int firstRow, scoped Span<int> slots)
    {
        for (int k = 0; k < slots.Length; k++)
        {
            slots[k] = Select(firstRow + k);
        }
    }
}
