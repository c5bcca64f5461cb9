using System.Globalization;
using System.IO;
using System.Text.Json;
using Mtrl.Runtime.Evaluation;

namespace Mtrl.Cli;

/// <summary>A greedy evaluation as <c>mtrl train</c> and <c>mtrl eval</c> print it: a table, or JSON.</summary>
internal static class EvaluationReport
{
    /// <summary>
    /// The last greedy evaluation: each task's return, success and length, then the average,
    /// median and worst task — the numbers multi-task results are compared by.
    /// </summary>
    public static void WriteTable(EvaluationResult result, int episodes, TextWriter output)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"greedy evaluation at {result.Transitions:N0} transitions, {episodes} episodes per task:"));
        output.WriteLine($"{"task",12} {"return",9} {"success",8} {"length",7}");
        foreach (var task in result.Tasks)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{task.Task,12} {task.MeanReturn,9:F3} {task.SuccessRate,8:P0} {task.MeanLength,7:F1}"));
        }
        if (result.Tasks.Count < 2) return;
        var returns = result.Return;
        var success = result.Success;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"average",12} {returns.Average,9:F3} {success.Average,8:P0}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"median",12} {returns.Median,9:F3} {success.Median,8:P0}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"worst",12} {returns.Worst,9:F3} {success.Worst,8:P0}"));
    }

    /// <summary>The evaluation as one JSON object: every task, then average, median and worst across tasks (NaN as null).</summary>
    public static void WriteJson(EvaluationResult result, string checkpoint, int episodes, TextWriter output)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("checkpoint", checkpoint);
            json.WriteNumber("transitions", result.Transitions);
            json.WriteNumber("episodes_per_task", episodes);
            json.WriteString("success_signal", result.Signal.ToString().ToLowerInvariant());
            json.WriteStartArray("tasks");
            foreach (var task in result.Tasks)
            {
                json.WriteStartObject();
                json.WriteNumber("task", task.Task);
                Number(json, "return", task.MeanReturn);
                Number(json, "return_std", task.ReturnStdDev);
                Number(json, "success", task.SuccessRate);
                Number(json, "length", task.MeanLength);
                json.WriteNumber("episodes", task.Episodes);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            foreach (var (name, across) in new[] { ("return", result.Return), ("success", result.Success), ("length", result.Length) })
            {
                json.WriteStartObject(name);
                Number(json, "average", across.Average);
                Number(json, "median", across.Median);
                Number(json, "worst", across.Worst);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteNull(name);
    }
}
