using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Checkpoints;

/// <summary>A slice of the agent that a checkpoint did not initialise, and why.</summary>
/// <param name="Name">The slice's name in the agent's layout.</param>
/// <param name="Reason">"not in the checkpoint" or the two shapes that differ.</param>
public sealed record SkippedSlice(string Name, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Reason})";
}

/// <summary>
/// What <see cref="FineTune.LoadParameters"/> (and <c>ITrainer.InitializeFrom</c>) took from a
/// checkpoint: the slices it copied, the agent's slices it left at their initialisation, and the
/// checkpoint's slices the agent has no place for.
/// </summary>
/// <param name="SameLayout">The checkpoint was saved for exactly this layout (every slice copied).</param>
/// <param name="Loaded">The agent's slices copied from the checkpoint, in layout order.</param>
/// <param name="Skipped">The agent's slices left as initialised, with the reason.</param>
/// <param name="Unused">The checkpoint's slices that no slice of the agent took.</param>
public sealed record FineTuneResult(bool SameLayout, IReadOnlyList<string> Loaded, IReadOnlyList<SkippedSlice> Skipped, IReadOnlyList<string> Unused)
{
    /// <summary>One line for people: "loaded 6 of 8 slices; kept as initialised: a (…), b (…)".</summary>
    public string Summary(int listed = 5)
    {
        var total = Loaded.Count + Skipped.Count;
        if (SameLayout) return $"loaded all {total} slices (same layout)";
        var text = $"loaded {Loaded.Count} of {total} slices by name and shape";
        if (Skipped.Count > 0)
        {
            text += "; kept as initialised: " + string.Join(", ", Skipped.Take(listed)) + (Skipped.Count > listed ? $" and {Skipped.Count - listed} more" : "");
        }
        if (Unused.Count > 0)
        {
            text += $"; {Unused.Count} checkpoint slice{(Unused.Count == 1 ? "" : "s")} unused";
        }
        return text;
    }
}

/// <summary>
/// Fine-tuning's starting point: parameter values taken from a checkpoint into a fresh store. A
/// checkpoint of the same layout (equal <see cref="ParameterLayout.Hash"/>) is copied whole; one of
/// another layout is matched slice by slice: a slice of the store whose name the checkpoint records
/// (<see cref="Checkpoint.Slices"/>, format version 4 and later) with the same rows and columns is
/// copied, every other slice keeps its initialisation. Only parameter values move: optimizer
/// moments, counters and the algorithm's own state are the caller's to reset.
/// </summary>
public static class FineTune
{
    /// <summary>
    /// Copies the parameters saved in section <paramref name="section"/> of
    /// <paramref name="checkpoint"/> into <paramref name="store"/>, whole or by slice name and shape.
    /// </summary>
    /// <exception cref="CheckpointException">The section is missing or has the wrong length; the
    /// checkpoint is of another layout and records no slice names (a file written before format
    /// version 4); or no slice matches by name and shape (the message names some of each side's).</exception>
    public static FineTuneResult LoadParameters(ParameterStore store, Checkpoint checkpoint, string section = "parameters")
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentException.ThrowIfNullOrEmpty(section);
        if (!checkpoint.Arrays.TryGetValue(section, out var saved)) throw new CheckpointException($"the checkpoint has no '{section}' section");
        var layout = store.Layout;
        if (checkpoint.LayoutHash == layout.Hash)
        {
            if (saved.Length != store.Values.Length) throw new CheckpointException($"section '{section}' holds {saved.Length} values, expected {store.Values.Length}");
            Array.Copy(saved, store.Values, saved.Length);
            return new FineTuneResult(true, layout.Slices.Select(s => s.Name).ToArray(), Array.Empty<SkippedSlice>(), Array.Empty<string>());
        }

        var recorded = checkpoint.Slices
            ?? throw new CheckpointException(
                "the checkpoint was saved for a different parameter layout and does not record its slice names (it was written before checkpoint format version 4), so its slices cannot be matched by name; it can only initialise an agent of its own layout");
        var byName = new Dictionary<string, CheckpointSlice>(StringComparer.Ordinal);
        foreach (var slice in recorded)
        {
            if (slice.Offset + slice.Length > saved.Length)
            {
                throw new CheckpointException($"the checkpoint's slice '{slice.Name}' ends at {slice.Offset + slice.Length}, past the {saved.Length} values of section '{section}'");
            }
            if (!byName.TryAdd(slice.Name, slice)) throw new CheckpointException($"the checkpoint names slice '{slice.Name}' twice");
        }

        // Checked first, copied after: a refused checkpoint leaves the store as it was.
        var loaded = new List<(ParameterSlice Slice, CheckpointSlice From)>();
        var skipped = new List<SkippedSlice>();
        foreach (var slice in layout.Slices)
        {
            if (!byName.Remove(slice.Name, out var from))
            {
                skipped.Add(new SkippedSlice(slice.Name, "not in the checkpoint"));
            }
            else if (from.Rows != slice.Rows || from.Columns != slice.Columns)
            {
                skipped.Add(new SkippedSlice(slice.Name, $"{from.Rows}×{from.Columns} in the checkpoint, {slice.Rows}×{slice.Columns} here"));
            }
            else
            {
                loaded.Add((slice, from));
            }
        }
        if (loaded.Count == 0)
        {
            throw new CheckpointException(
                $"no parameter slice of the checkpoint matches this agent by name and shape: the checkpoint has {Names(recorded.Select(s => s.Name))}; this agent has {Names(layout.Slices.Select(s => s.Name))}");
        }
        foreach (var (slice, from) in loaded) saved.AsSpan(from.Offset, slice.Length).CopyTo(store.ValuesOf(slice));
        var unused = recorded.Where(s => byName.ContainsKey(s.Name)).Select(s => s.Name).ToArray();
        return new FineTuneResult(false, loaded.Select(l => l.Slice.Name).ToArray(), skipped, unused);
    }

    private static string Names(IEnumerable<string> names)
    {
        var list = names.ToList();
        if (list.Count == 0) return "no slices";
        var shown = string.Join(", ", list.Take(4).Select(n => $"'{n}'"));
        return list.Count > 4 ? $"{list.Count} slices ({shown}, …)" : $"{shown}";
    }
}
