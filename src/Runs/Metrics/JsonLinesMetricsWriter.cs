using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace Mtrl.Runs.Metrics;

/// <summary>
/// Metrics as JSON Lines: one object per record, e.g.
/// <c>{"kind":"eval","transitions":20000,"time_s":41.3,"task":2,"return":-7.5,"success":1,…}</c>;
/// the aggregate across tasks has no <c>task</c>. Numbers that do not exist yet (NaN) are
/// written as <c>null</c>, since JSON has no NaN.
/// </summary>
public sealed class JsonLinesMetricsWriter : IMetricsWriter
{
    private readonly FileStream _stream;
    private readonly Utf8JsonWriter _json;

    /// <summary>Appends to <paramref name="path"/> (created if missing).</summary>
    public JsonLinesMetricsWriter(string path)
    {
        _stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        _json = new Utf8JsonWriter(_stream, new JsonWriterOptions { SkipValidation = false });
    }

    /// <inheritdoc />
    public void Write(IReadOnlyList<MetricRecord> records)
    {
        foreach (var record in records)
        {
            _json.Reset();
            _json.WriteStartObject();
            _json.WriteString(JsonFields.Kind, record.Kind);
            _json.WriteNumber(JsonFields.Transitions, record.Transitions);
            _json.WriteNumber(JsonFields.Seconds, Math.Round(record.Seconds, 3));
            if (record.Task is { } task) _json.WriteNumber(JsonFields.Task, task);
            foreach (var metric in record.Values)
            {
                if (double.IsFinite(metric.Value)) _json.WriteNumber(metric.Name, metric.Value);
                else _json.WriteNull(metric.Name);
            }
            _json.WriteEndObject();
            _json.Flush();
            _stream.WriteByte((byte)'\n');
        }
        _stream.Flush(flushToDisk: false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _json.Dispose();
        _stream.Dispose();
    }
}

/// <summary>The fixed fields of a JSON Lines record.</summary>
internal static class JsonFields
{
    public const string Kind = "kind";
    public const string Transitions = "transitions";
    public const string Seconds = "time_s";
    public const string Task = "task";
}
