using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace Mtrl.Runs.Metrics;

/// <summary>The problem with a metrics file, naming the file and the line.</summary>
public sealed class MetricsFileException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Reads the JSON Lines metrics a run wrote, for <c>mtrl plot</c>, resume and tests.</summary>
public static class MetricsFile
{
    /// <summary>
    /// Every record of <paramref name="path"/>. A last line without its newline is the trace of a
    /// run killed while writing it and is skipped; any other malformed line is an error.
    /// </summary>
    /// <exception cref="MetricsFileException">The file cannot be read, or a line is not a metrics record.</exception>
    public static List<MetricRecord> Read(string path) => ReadLines(path).ConvertAll(line => line.Record);

    /// <summary>As <see cref="Read"/>, each record with the line it was read from.</summary>
    /// <exception cref="MetricsFileException">The file cannot be read, or a line is not a metrics record.</exception>
    public static List<(string Line, MetricRecord Record)> ReadLines(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new MetricsFileException($"{path}: cannot read the metrics: {exception.Message}", exception);
        }
        var records = new List<(string, MetricRecord)>();
        // The element after the last newline is empty, or the unfinished line of a killed run: never parsed.
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length - 1; i++)
        {
            if (lines[i].Length == 0) continue;
            records.Add((lines[i], Parse(lines[i], path, i + 1)));
        }
        return records;
    }

    private static MetricRecord Parse(string line, string path, int number)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("the line is not a JSON object");
            string? kind = null;
            long? transitions = null;
            double seconds = double.NaN;
            int? task = null;
            var values = new List<Metric>();
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case JsonFields.Kind:
                        kind = property.Value.GetString();
                        break;
                    case JsonFields.Transitions:
                        transitions = property.Value.GetInt64();
                        break;
                    case JsonFields.Seconds:
                        seconds = property.Value.GetDouble();
                        break;
                    case JsonFields.Task:
                        task = property.Value.GetInt32();
                        break;
                    default:
                        values.Add(new Metric(property.Name, property.Value.ValueKind == JsonValueKind.Null ? double.NaN : property.Value.GetDouble()));
                        break;
                }
            }
            if (kind is null) throw new FormatException($"it has no \"{JsonFields.Kind}\"");
            if (transitions is null) throw new FormatException($"it has no \"{JsonFields.Transitions}\"");
            return new MetricRecord(kind, transitions.Value, seconds, task, values);
        }
        catch (Exception exception) when (exception is JsonException or FormatException or InvalidOperationException)
        {
            throw new MetricsFileException($"{path}:{number}: not a metrics record: {exception.Message}", exception);
        }
    }
}
