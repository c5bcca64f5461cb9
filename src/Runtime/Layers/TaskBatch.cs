using System;

namespace Mtrl.Runtime.Layers;

/// <summary>
/// The samples of a batch grouped by task (a stable counting sort), computed once per batch and
/// shared by every per-task layer so each task's rows become one GEMM.
/// </summary>
public sealed class TaskBatch
{
    private readonly int[] _order;
    private readonly int[] _starts;
    private readonly int[] _cursor;

    /// <summary>Room for batches of up to <paramref name="maxBatch"/> samples over <paramref name="tasks"/> tasks.</summary>
    public TaskBatch(int tasks, int maxBatch)
    {
        if (tasks < 1) throw new ArgumentOutOfRangeException(nameof(tasks), tasks, "tasks must be at least 1");
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "maxBatch must be at least 1");
        Tasks = tasks;
        MaxBatch = maxBatch;
        _order = new int[maxBatch];
        _starts = new int[tasks + 1];
        _cursor = new int[tasks];
    }

    /// <summary>Number of tasks.</summary>
    public int Tasks { get; }

    /// <summary>Largest batch accepted.</summary>
    public int MaxBatch { get; }

    /// <summary>Samples in the current batch.</summary>
    public int Batch { get; private set; }

    /// <summary>True when samples are already in task order (then no gather or scatter is needed).</summary>
    public bool IsIdentity { get; private set; }

    /// <summary>Sample indices ordered by task; task t's samples are Order[Start(t) .. Start(t+1)).</summary>
    public ReadOnlySpan<int> Order => _order.AsSpan(0, Batch);

    /// <summary>First position of task t in <see cref="Order"/>.</summary>
    public int Start(int task) => _starts[task];

    /// <summary>Number of samples of task t.</summary>
    public int Count(int task) => _starts[task + 1] - _starts[task];

    /// <summary>Groups a new batch.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Batch too large or a task id outside [0, tasks).</exception>
    public void Assign(ReadOnlySpan<int> taskIds, int batch)
    {
        if ((uint)batch > (uint)MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be in [0, {MaxBatch}]");
        Batch = batch;
        Array.Clear(_starts);
        for (var i = 0; i < batch; i++)
        {
            var task = taskIds[i];
            if ((uint)task >= (uint)Tasks) throw new ArgumentOutOfRangeException(nameof(taskIds), task, $"task ids must be in [0, {Tasks})");
            _starts[task + 1]++;
        }
        for (var t = 0; t < Tasks; t++) _starts[t + 1] += _starts[t];
        _starts.AsSpan(0, Tasks).CopyTo(_cursor);
        var identity = true;
        for (var i = 0; i < batch; i++)
        {
            var position = _cursor[taskIds[i]]++;
            _order[position] = i;
            identity &= position == i;
        }
        IsIdentity = identity;
    }
}
