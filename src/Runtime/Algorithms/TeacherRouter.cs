using System;

namespace Mtrl.Runtime.Algorithms;

/// <summary>A frozen network's forward pass as <see cref="TeacherRouter"/> calls it (cached once, so routing allocates nothing).</summary>
internal delegate ReadOnlySpan<float> RowsForward(scoped in NetworkInputs inputs);

/// <summary>
/// Answers a batch of rows with one network per task — row i by network tasks[i] — or with one
/// network for every row. The rows of each task are gathered into one contiguous block (a stable
/// counting sort by task), run in calls of at most that network's batch room, and the outputs
/// written back in the rows' order. Nothing is allocated after construction.
/// </summary>
internal sealed class TeacherRouter
{
    private readonly RowsForward[] _networks;
    private readonly int[] _maxBatches;
    private readonly int _observationWidth;
    private readonly int _goalWidth;
    private readonly float[] _observations;
    private readonly float[] _goals;
    private readonly int[] _tasks;
    private readonly int[] _order;
    private readonly int[] _starts;

    /// <param name="networks">One forward pass per task, or one for all.</param>
    /// <param name="maxBatches">Each network's batch room.</param>
    /// <param name="width">Output floats per row.</param>
    /// <param name="observationWidth">Observation floats per row.</param>
    /// <param name="goalWidth">Goal floats per row (0 without goals).</param>
    /// <param name="maxRows">Most rows one <see cref="Forward"/> passes.</param>
    public TeacherRouter(RowsForward[] networks, int[] maxBatches, int width, int observationWidth, int goalWidth, int maxRows)
    {
        _networks = networks;
        _maxBatches = maxBatches;
        Width = width;
        _observationWidth = observationWidth;
        _goalWidth = goalWidth;
        var routed = networks.Length > 1;
        _observations = routed ? new float[maxRows * observationWidth] : [];
        _goals = routed ? new float[maxRows * goalWidth] : [];
        _tasks = routed ? new int[maxRows] : [];
        _order = routed ? new int[maxRows] : [];
        _starts = new int[networks.Length + 1];
    }

    /// <summary>Output floats per row.</summary>
    public int Width { get; }

    /// <summary>Writes every row's output (Count × <see cref="Width"/>) into <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A row's task has no network.</exception>
    public void Forward(scoped in NetworkInputs inputs, Span<float> output)
    {
        var count = inputs.Count;
        if (_networks.Length == 1)
        {
            // Every row to the one network: contiguous chunks, nothing to gather.
            for (var start = 0; start < count; start += _maxBatches[0])
            {
                var rows = Math.Min(_maxBatches[0], count - start);
                var chunk = new NetworkInputs(
                    inputs.Observations.Slice(start * _observationWidth, rows * _observationWidth),
                    _goalWidth > 0 ? inputs.Goals.Slice(start * _goalWidth, rows * _goalWidth) : default,
                    inputs.Tasks.IsEmpty ? default : inputs.Tasks.Slice(start, rows),
                    rows);
                _networks[0](chunk).Slice(0, rows * Width).CopyTo(output.Slice(start * Width, rows * Width));
            }
            return;
        }

        SortByTask(inputs.Tasks, count);
        for (var task = 0; task < _networks.Length; task++)
        {
            var end = _starts[task + 1];
            for (var start = _starts[task]; start < end; start += _maxBatches[task])
            {
                var rows = Math.Min(_maxBatches[task], end - start);
                for (var r = 0; r < rows; r++)
                {
                    var row = _order[start + r];
                    inputs.Observations.Slice(row * _observationWidth, _observationWidth).CopyTo(_observations.AsSpan(r * _observationWidth));
                    if (_goalWidth > 0) inputs.Goals.Slice(row * _goalWidth, _goalWidth).CopyTo(_goals.AsSpan(r * _goalWidth));
                    _tasks[r] = task;
                }
                var gathered = new NetworkInputs(
                    _observations.AsSpan(0, rows * _observationWidth), _goals.AsSpan(0, rows * _goalWidth), _tasks.AsSpan(0, rows), rows);
                var answer = _networks[task](gathered);
                for (var r = 0; r < rows; r++) answer.Slice(r * Width, Width).CopyTo(output.Slice(_order[start + r] * Width, Width));
            }
        }
    }

    /// <summary>Fills <see cref="_order"/> with the row indices grouped by task (ascending within a task) and <see cref="_starts"/> with each task's block.</summary>
    private void SortByTask(ReadOnlySpan<int> tasks, int count)
    {
        Array.Clear(_starts);
        for (var i = 0; i < count; i++) _starts[TaskOf(tasks, i) + 1]++;
        for (var t = 0; t < _networks.Length; t++) _starts[t + 1] += _starts[t];
        // Place rows at each task's running position, then shift the positions back to block starts.
        for (var i = 0; i < count; i++) _order[_starts[TaskOf(tasks, i)]++] = i;
        for (var t = _networks.Length; t > 0; t--) _starts[t] = _starts[t - 1];
        _starts[0] = 0;
    }

    private int TaskOf(ReadOnlySpan<int> tasks, int row)
    {
        var task = tasks.IsEmpty ? 0 : tasks[row];
        if ((uint)task >= (uint)_networks.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(tasks), task, $"row {row} has task {task} but there are teachers for tasks 0–{_networks.Length - 1} only");
        }
        return task;
    }
}
