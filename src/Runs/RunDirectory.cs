using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Replay;

namespace Mtrl.Runs;

/// <summary>The problem with a run directory, naming the directory or file and what is wrong.</summary>
public sealed class RunDirectoryException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One training run on disk:
/// <code>
/// RUN/run.json            what ran: spec, agent, environment, settings, seed, tool, machine
/// RUN/spec.mtrl           the spec's text as trained
/// RUN/metrics.jsonl       every log point and evaluation (see MetricRecord)
/// RUN/metrics.csv         the same numbers, one per row
/// RUN/tb/events.out.*     TensorBoard event files
/// RUN/checkpoints/transitions-000000050000.ckpt   the latest few checkpoints
/// </code>
/// Files that describe the run are written atomically (temporary file, then rename).
/// </summary>
public sealed class RunDirectory
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestName = "run.json";

    private const string CheckpointPrefix = "transitions-";
    private const string CheckpointExtension = ".ckpt";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // a file for people: '+' and non-ASCII as they are
    };

    private RunDirectory(string path) => Path = path;

    /// <summary>The directory.</summary>
    public string Path { get; }

    /// <summary>run.json.</summary>
    public string ManifestFile => System.IO.Path.Combine(Path, ManifestName);

    /// <summary>The copy of the spec.</summary>
    public string SpecFile => System.IO.Path.Combine(Path, "spec.mtrl");

    /// <summary>metrics.jsonl.</summary>
    public string MetricsFile => System.IO.Path.Combine(Path, "metrics.jsonl");

    /// <summary>metrics.csv.</summary>
    public string CsvFile => System.IO.Path.Combine(Path, "metrics.csv");

    /// <summary>Where TensorBoard event files go.</summary>
    public string TensorBoardDirectory => System.IO.Path.Combine(Path, "tb");

    /// <summary>Where checkpoints go.</summary>
    public string CheckpointDirectory => System.IO.Path.Combine(Path, "checkpoints");

    /// <summary>
    /// Makes a new run directory <c>ROOT/NAME</c> (with <c>-2</c>, <c>-3</c>… when that exists),
    /// with the spec copy and the manifest in it.
    /// </summary>
    /// <exception cref="RunDirectoryException">The directory cannot be made or written.</exception>
    public static RunDirectory Create(string root, string name, string specText, RunManifest manifest)
    {
        try
        {
            var run = new RunDirectory(CreatePlain(root, name));
            Directory.CreateDirectory(run.CheckpointDirectory);
            WriteAtomically(run.SpecFile, specText);
            run.WriteManifest(manifest);
            return run;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new RunDirectoryException($"cannot make a run directory under '{root}': {exception.Message}", exception);
        }
    }

    /// <summary>Makes a new empty directory <c>ROOT/NAME</c> (or <c>NAME-2</c>, <c>NAME-3</c>…) and returns its path; seeds of one command share one.</summary>
    /// <exception cref="RunDirectoryException">It cannot be made.</exception>
    public static string CreatePlain(string root, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var stem = System.IO.Path.Combine(root, name);
        try
        {
            Directory.CreateDirectory(root);
            var path = stem;
            for (var n = 2; !TryReserve(path); n++) path = $"{stem}-{n}";
            return System.IO.Path.GetFullPath(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new RunDirectoryException($"cannot make a run directory under '{root}': {exception.Message}", exception);
        }
    }

    /// <summary>Opens an existing run directory.</summary>
    /// <exception cref="RunDirectoryException">It does not exist or has no readable run.json.</exception>
    public static RunDirectory Open(string path)
    {
        if (!Directory.Exists(path)) throw new RunDirectoryException($"'{path}' is not a run directory: it does not exist");
        var run = new RunDirectory(System.IO.Path.GetFullPath(path));
        if (!File.Exists(run.ManifestFile)) throw new RunDirectoryException($"'{path}' is not a run directory: it has no {ManifestName}");
        return run;
    }

    /// <summary>
    /// The checkpoint a user points at with a path: a run directory's newest checkpoint, or a
    /// checkpoint file as given, with the run it belongs to when it sits in one
    /// (RUN/checkpoints/transitions-N.ckpt); null when the path is neither a directory nor a file.
    /// </summary>
    /// <exception cref="RunDirectoryException">The directory is not a run, or holds no checkpoint yet.</exception>
    public static (string Checkpoint, RunDirectory? Run)? LocateCheckpoint(string target)
    {
        if (Directory.Exists(target))
        {
            var run = Open(target);
            return (run.LatestCheckpoint()?.Path ?? throw new RunDirectoryException($"{run.CheckpointDirectory} holds no checkpoint yet"), run);
        }
        if (!File.Exists(target)) return null;
        var parent = System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(target)));
        return (target, parent is not null && File.Exists(System.IO.Path.Combine(parent, ManifestName)) ? Open(parent) : null);
    }

    /// <summary>Reads run.json.</summary>
    /// <exception cref="RunDirectoryException">It cannot be read or is not a run manifest.</exception>
    public RunManifest ReadManifest()
    {
        try
        {
            return JsonSerializer.Deserialize<RunManifest>(File.ReadAllText(ManifestFile), Json)
                ?? throw new JsonException("the file holds null");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            throw new RunDirectoryException($"{ManifestFile}: not a readable run manifest: {exception.Message}", exception);
        }
    }

    /// <summary>Writes run.json atomically.</summary>
    public void WriteManifest(RunManifest manifest) => WriteAtomically(ManifestFile, JsonSerializer.Serialize(manifest, Json) + "\n");

    /// <summary>
    /// Saves a checkpoint taken at <paramref name="transitions"/> and, when given, the replay buffer
    /// beside it (<see cref="ReplayFileOf"/>; written first, so a checkpoint that exists always has
    /// its buffer), each atomically; then deletes all but the newest <paramref name="keep"/>.
    /// Returns the checkpoint's path.
    /// </summary>
    public string SaveCheckpoint(Checkpoint checkpoint, long transitions, int keep, ReplayBuffer? replay = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(transitions);
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        Directory.CreateDirectory(CheckpointDirectory);
        var path = System.IO.Path.Combine(CheckpointDirectory, string.Create(CultureInfo.InvariantCulture, $"{CheckpointPrefix}{transitions:D12}{CheckpointExtension}"));
        replay?.Save(ReplayFileOf(path));
        CheckpointFile.Save(path, checkpoint);
        foreach (var old in Checkpoints().SkipLast(keep))
        {
            File.Delete(old.Path);
            File.Delete(ReplayFileOf(old.Path));
        }
        return path;
    }

    /// <summary>
    /// Rewinds the metrics to a checkpoint taken at <paramref name="transitions"/>, before a resumed
    /// run writes on: JSON Lines and CSV keep their records up to it (a record a killed run wrote
    /// halfway is dropped), and the TensorBoard events are rewritten from the records kept, so no
    /// curve shows a point twice.
    /// </summary>
    /// <exception cref="RunDirectoryException">A metrics file cannot be read or written.</exception>
    public void RewindMetrics(long transitions, DateTimeOffset started)
    {
        try
        {
            var kept = File.Exists(MetricsFile)
                ? Metrics.MetricsFile.ReadLines(MetricsFile).Where(line => line.Record.Transitions <= transitions).ToList()
                : new List<(string Line, Metrics.MetricRecord Record)>();
            if (File.Exists(MetricsFile)) WriteAtomically(MetricsFile, string.Concat(kept.Select(line => line.Line + "\n")));
            if (File.Exists(CsvFile))
            {
                var rows = File.ReadAllLines(CsvFile);
                var keptRows = rows.Take(1).Concat(rows.Skip(1).Where(row =>
                    row.Split(',') is { Length: 6 } cells && long.TryParse(cells[1], NumberStyles.None, CultureInfo.InvariantCulture, out var at) && at <= transitions));
                WriteAtomically(CsvFile, string.Concat(keptRows.Select(l => l + "\n")));
            }
            if (Directory.Exists(TensorBoardDirectory))
            {
                foreach (var events in Directory.EnumerateFiles(TensorBoardDirectory, "events.out.tfevents.*")) File.Delete(events);
            }
            var clock = started.ToUnixTimeMilliseconds() / 1000.0;
            using var writer = new TensorBoard.TensorBoardWriter(TensorBoardDirectory, () => clock);
            foreach (var (_, record) in kept)
            {
                clock = started.ToUnixTimeMilliseconds() / 1000.0 + record.Seconds;
                writer.Write(new[] { record });
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or Metrics.MetricsFileException)
        {
            throw new RunDirectoryException($"cannot rewind the metrics of '{Path}' to {transitions} transitions: {exception.Message}", exception);
        }
    }

    /// <summary>The replay file saved beside a checkpoint (<c>transitions-N.replay</c>).</summary>
    public static string ReplayFileOf(string checkpointPath) => System.IO.Path.ChangeExtension(checkpointPath, ".replay");

    /// <summary>The run's checkpoints, oldest first.</summary>
    public IReadOnlyList<(long Transitions, string Path)> Checkpoints()
    {
        if (!Directory.Exists(CheckpointDirectory)) return Array.Empty<(long, string)>();
        var found = new List<(long, string)>();
        foreach (var file in Directory.EnumerateFiles(CheckpointDirectory, CheckpointPrefix + "*" + CheckpointExtension))
        {
            var digits = System.IO.Path.GetFileName(file)[CheckpointPrefix.Length..^CheckpointExtension.Length];
            if (digits.All(char.IsAsciiDigit) && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var transitions))
            {
                found.Add((transitions, file));
            }
        }
        found.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return found;
    }

    /// <summary>The newest checkpoint, or null when there is none.</summary>
    public (long Transitions, string Path)? LatestCheckpoint() => Checkpoints() is { Count: > 0 } all ? all[^1] : null;

    private static bool TryReserve(string path)
    {
        if (Directory.Exists(path) || File.Exists(path)) return false;
        Directory.CreateDirectory(path);
        return true;
    }

    private static void WriteAtomically(string path, string text) =>
        AtomicFile.Write(path, stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)));
}
