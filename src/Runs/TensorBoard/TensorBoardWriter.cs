using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Mtrl.Runs.Metrics;

namespace Mtrl.Runs.TensorBoard;

/// <summary>
/// Metrics as a TensorBoard event file (<c>tensorboard --logdir RUN_DIR</c>): one event per
/// record at step = transitions, with tags <c>eval/success_avg</c> across tasks and
/// <c>eval/success/task_03</c> per task. Numbers that do not exist yet (NaN) are left out.
/// </summary>
public sealed class TensorBoardWriter : IMetricsWriter
{
    private readonly TfRecordWriter _records;
    private readonly Func<double> _clock;

    /// <summary>Starts a new event file in <paramref name="directory"/> named as TensorBoard's own writers name theirs.</summary>
    /// <param name="directory">Where the file goes (created if missing).</param>
    /// <param name="clock">Seconds since the Unix epoch (tests pass a fixed clock).</param>
    public TensorBoardWriter(string directory, Func<double>? clock = null)
    {
        _clock = clock ?? (() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        Directory.CreateDirectory(directory);
        var now = _clock();
        // A resumed run may start its file in the same second as the rewound one: number them apart.
        FileStream? stream = null;
        var path = "";
        for (var n = 1; stream is null; n++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"events.out.tfevents.{(long)now}.{Environment.MachineName}.mtrl{(n == 1 ? "" : n.ToString(CultureInfo.InvariantCulture))}");
            path = System.IO.Path.Combine(directory, name);
            try
            {
                stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
            }
            catch (IOException) when (File.Exists(path) && n < 1_000)
            {
            }
        }
        Path = path;
        _records = new TfRecordWriter(stream);
        _records.Write(EventEncoding.FileVersionEvent(now));
    }

    /// <summary>The event file.</summary>
    public string Path { get; }

    /// <summary>The tag of a metric: <c>kind/name</c>, or <c>kind/name/task_NN</c> for one task.</summary>
    public static string TagOf(MetricRecord record, Metric metric) => record.Task is { } task
        ? string.Create(CultureInfo.InvariantCulture, $"{record.Kind}/{metric.Name}/task_{task:D2}")
        : $"{record.Kind}/{metric.Name}";

    /// <inheritdoc />
    public void Write(IReadOnlyList<MetricRecord> records)
    {
        var now = _clock();
        foreach (var record in records)
        {
            var scalars = new List<KeyValuePair<string, float>>(record.Values.Count);
            foreach (var metric in record.Values)
            {
                if (double.IsFinite(metric.Value)) scalars.Add(new(TagOf(record, metric), (float)metric.Value));
            }
            if (scalars.Count > 0) _records.Write(EventEncoding.ScalarsEvent(now, record.Transitions, scalars));
        }
    }

    /// <inheritdoc />
    public void Dispose() => _records.Dispose();
}
