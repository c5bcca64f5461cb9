using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace Mtrl.Runs.Metrics;

/// <summary>
/// Metrics as a tidy CSV table — one row per number: <c>kind,transitions,time_s,task,name,value</c>
/// (task empty across tasks, value empty for NaN) — which spreadsheets and data-frame libraries
/// pivot or filter without knowing the names in advance.
/// </summary>
public sealed class CsvMetricsWriter : IMetricsWriter
{
    /// <summary>The header line.</summary>
    public const string Header = "kind,transitions,time_s,task,name,value";

    private readonly StreamWriter _writer;

    /// <summary>Appends to <paramref name="path"/>, writing the header first when the file is new or empty.</summary>
    public CsvMetricsWriter(string path)
    {
        var fresh = !File.Exists(path) || new FileInfo(path).Length == 0;
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)) { NewLine = "\n" };
        if (fresh) _writer.WriteLine(Header);
    }

    /// <inheritdoc />
    public void Write(IReadOnlyList<MetricRecord> records)
    {
        foreach (var record in records)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"{record.Kind},{record.Transitions},{record.Seconds:0.###},{record.Task?.ToString(CultureInfo.InvariantCulture)},");
            foreach (var metric in record.Values)
            {
                _writer.Write(prefix);
                _writer.Write(metric.Name);
                _writer.Write(',');
                if (double.IsFinite(metric.Value)) _writer.Write(metric.Value.ToString("R", CultureInfo.InvariantCulture));
                _writer.WriteLine();
            }
        }
        _writer.Flush();
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
