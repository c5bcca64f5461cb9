using System;
using System.Collections.Generic;
using Mtrl.Runtime.Optimization;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Checkpoints;

/// <summary>
/// Everything needed to resume training bit-identically: parameter values, optimizer state and
/// named counters (step counts, RNG counters), tied to one parameter layout by its hash.
/// </summary>
public sealed class Checkpoint
{
    /// <summary>An empty checkpoint for a layout.</summary>
    public Checkpoint(ulong layoutHash) => LayoutHash = layoutHash;

    /// <summary>The layout the arrays belong to.</summary>
    public ulong LayoutHash { get; }

    /// <summary>Named float arrays ("parameters", "adam.m", …).</summary>
    public Dictionary<string, float[]> Arrays { get; } = new(StringComparer.Ordinal);

    /// <summary>Named 64-bit counters ("adam.steps", "rng.env", …).</summary>
    public Dictionary<string, long> Counters { get; } = new(StringComparer.Ordinal);

    /// <summary>Named arrays of integers (environment step counts, task ids, episode returns as bits) — state that floats cannot hold exactly.</summary>
    public Dictionary<string, long[]> Integers { get; } = new(StringComparer.Ordinal);

    /// <summary>Named arrays of strings (the layout's slice names; format version 4 and later).</summary>
    public Dictionary<string, string[]> Strings { get; } = new(StringComparer.Ordinal);

    /// <summary>Section holding the slice names of the layout the parameter arrays belong to.</summary>
    public const string LayoutNamesSection = "layout.names";

    /// <summary>Section holding offset, rows and columns of each slice named in <see cref="LayoutNamesSection"/>.</summary>
    public const string LayoutShapesSection = "layout.shapes";

    /// <summary>
    /// Copies every section and counter of <paramref name="inner"/> into this checkpoint under
    /// <paramref name="prefix"/> (arrays are shared, not cloned), so a whole checkpoint can travel
    /// inside another; <see cref="Extract"/> takes it out again.
    /// </summary>
    /// <exception cref="CheckpointException"><paramref name="inner"/> belongs to another layout.</exception>
    public void Embed(string prefix, Checkpoint inner)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(inner);
        if (inner.LayoutHash != LayoutHash) throw new CheckpointException($"cannot embed a checkpoint of layout {inner.LayoutHash:x16} in one of layout {LayoutHash:x16}");
        AddPrefixed(inner.Arrays, Arrays, prefix);
        AddPrefixed(inner.Counters, Counters, prefix);
        AddPrefixed(inner.Integers, Integers, prefix);
        AddPrefixed(inner.Strings, Strings, prefix);
    }

    /// <summary>The checkpoint <see cref="Embed"/> stored under <paramref name="prefix"/> (every entry whose name starts with it, the prefix removed).</summary>
    public Checkpoint Extract(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var inner = new Checkpoint(LayoutHash);
        CopyPrefixed(Arrays, inner.Arrays, prefix);
        CopyPrefixed(Counters, inner.Counters, prefix);
        CopyPrefixed(Integers, inner.Integers, prefix);
        CopyPrefixed(Strings, inner.Strings, prefix);
        return inner;
    }

    private static void AddPrefixed<T>(Dictionary<string, T> source, Dictionary<string, T> destination, string prefix)
    {
        foreach (var (name, value) in source) destination[prefix + name] = value;
    }

    private static void CopyPrefixed<T>(Dictionary<string, T> source, Dictionary<string, T> destination, string prefix)
    {
        foreach (var (name, value) in source)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal)) destination[name[prefix.Length..]] = value;
        }
    }

    /// <summary>Captures the parameter values of a store, with its layout's slice names and shapes (<see cref="Slices"/>).</summary>
    public static Checkpoint Of(ParameterStore store)
    {
        var checkpoint = new Checkpoint(store.Layout.Hash);
        checkpoint.Arrays["parameters"] = (float[])store.Values.Clone();
        checkpoint.WithLayout(store.Layout);
        return checkpoint;
    }

    /// <summary>
    /// Records the slices of <paramref name="layout"/> (name, offset, rows, columns), so that a
    /// checkpoint can initialise an agent of another layout slice by slice (<see cref="FineTune"/>).
    /// </summary>
    public Checkpoint WithLayout(ParameterLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var names = new string[layout.Slices.Count];
        var shapes = new long[3 * names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            var slice = layout.Slices[i];
            names[i] = slice.Name;
            shapes[3 * i] = slice.Offset;
            shapes[3 * i + 1] = slice.Rows;
            shapes[3 * i + 2] = slice.Columns;
        }
        Strings[LayoutNamesSection] = names;
        Integers[LayoutShapesSection] = shapes;
        return this;
    }

    /// <summary>
    /// The slices of the layout the parameter arrays belong to, or null when the checkpoint does not
    /// record them (written before format version 4, or built by hand).
    /// </summary>
    /// <exception cref="CheckpointException">The two layout sections do not agree, or a slice has a non-positive shape.</exception>
    public IReadOnlyList<CheckpointSlice>? Slices
    {
        get
        {
            if (!Strings.TryGetValue(LayoutNamesSection, out var names)) return null;
            if (!Integers.TryGetValue(LayoutShapesSection, out var shapes) || shapes.Length != 3 * (long)names.Length)
            {
                throw new CheckpointException($"the checkpoint's '{LayoutShapesSection}' section does not hold three numbers for each of the {names.Length} slices named in '{LayoutNamesSection}'");
            }
            var slices = new CheckpointSlice[names.Length];
            for (var i = 0; i < names.Length; i++)
            {
                var (offset, rows, columns) = (shapes[3 * i], shapes[3 * i + 1], shapes[3 * i + 2]);
                if (offset < 0 || rows < 1 || columns < 1 || rows > int.MaxValue || columns > int.MaxValue || offset > int.MaxValue)
                {
                    throw new CheckpointException($"the checkpoint's slice '{names[i]}' has an impossible shape (offset {offset}, {rows} × {columns})");
                }
                slices[i] = new CheckpointSlice(names[i], (int)offset, (int)rows, (int)columns);
            }
            return slices;
        }
    }

    /// <summary>Adds an Adam optimizer's moments and counters under <paramref name="name"/>.</summary>
    public Checkpoint With(Adam adam, string name = "adam")
    {
        Arrays[name + ".m"] = (float[])adam.FirstMoment.Clone();
        Arrays[name + ".v"] = (float[])adam.SecondMoment.Clone();
        Counters[name + ".steps"] = adam.Steps;
        Counters[name + ".skipped"] = adam.SkippedSteps;
        return this;
    }

    /// <summary>Adds an SGD optimizer's velocity and counters under <paramref name="name"/>.</summary>
    public Checkpoint With(Sgd sgd, string name = "sgd")
    {
        Arrays[name + ".velocity"] = (float[])sgd.Velocity.Clone();
        Counters[name + ".steps"] = sgd.Steps;
        Counters[name + ".skipped"] = sgd.SkippedSteps;
        return this;
    }

    /// <summary>Adds a named counter (an RNG counter, an environment step count).</summary>
    public Checkpoint With(string counter, long value)
    {
        Counters[counter] = value;
        return this;
    }

    /// <summary>Writes the saved values into <paramref name="store"/>.</summary>
    /// <exception cref="CheckpointException">The layout differs or the values are missing.</exception>
    public void RestoreTo(ParameterStore store)
    {
        RequireLayout(store.Layout.Hash);
        Array.Copy(Require("parameters", store.Values.Length), store.Values, store.Values.Length);
    }

    /// <summary>Copies the array saved as <paramref name="name"/> into <paramref name="destination"/>, which it must fill exactly.</summary>
    /// <exception cref="CheckpointException">The section is missing or has another length.</exception>
    public void RestoreArray(string name, Span<float> destination) => Require(name, destination.Length).CopyTo(destination);

    /// <summary>The integer array saved as <paramref name="name"/>, which must hold exactly <paramref name="length"/> values.</summary>
    /// <exception cref="CheckpointException">The section is missing or has another length.</exception>
    public long[] RequireIntegers(string name, int length)
    {
        if (!Integers.TryGetValue(name, out var values)) throw new CheckpointException($"the checkpoint has no '{name}' section");
        if (values.Length != length) throw new CheckpointException($"section '{name}' holds {values.Length} integers, expected {length}");
        return values;
    }

    /// <summary>The integer array saved as <paramref name="name"/>, of any length (records that decode and check themselves).</summary>
    /// <exception cref="CheckpointException">The section is missing.</exception>
    public long[] RequireIntegers(string name) =>
        Integers.TryGetValue(name, out var values) ? values : throw new CheckpointException($"the checkpoint has no '{name}' section");

    /// <summary>Restores an Adam optimizer saved under <paramref name="name"/>.</summary>
    public void RestoreTo(Adam adam, string name = "adam")
    {
        Array.Copy(Require(name + ".m", adam.FirstMoment.Length), adam.FirstMoment, adam.FirstMoment.Length);
        Array.Copy(Require(name + ".v", adam.SecondMoment.Length), adam.SecondMoment, adam.SecondMoment.Length);
        adam.Steps = Counter(name + ".steps");
        adam.SkippedSteps = Counter(name + ".skipped");
    }

    /// <summary>Restores an SGD optimizer saved under <paramref name="name"/>.</summary>
    public void RestoreTo(Sgd sgd, string name = "sgd")
    {
        Array.Copy(Require(name + ".velocity", sgd.Velocity.Length), sgd.Velocity, sgd.Velocity.Length);
        sgd.Steps = Counter(name + ".steps");
        sgd.SkippedSteps = Counter(name + ".skipped");
    }

    /// <summary>A saved counter.</summary>
    /// <exception cref="CheckpointException">The counter was not saved.</exception>
    public long Counter(string name) =>
        Counters.TryGetValue(name, out var value) ? value : throw new CheckpointException($"the checkpoint has no counter '{name}'");

    private void RequireLayout(ulong hash)
    {
        if (hash != LayoutHash)
        {
            throw new CheckpointException($"the checkpoint was saved for a different parameter layout (hash {LayoutHash:x16}, this agent's is {hash:x16}); it cannot be loaded into this agent");
        }
    }

    private float[] Require(string name, int length)
    {
        if (!Arrays.TryGetValue(name, out var values)) throw new CheckpointException($"the checkpoint has no '{name}' section");
        if (values.Length != length) throw new CheckpointException($"section '{name}' holds {values.Length} values, expected {length}");
        return values;
    }
}

/// <summary>One parameter slice as a checkpoint records it: where it lies in the saved arrays and its shape.</summary>
/// <param name="Name">The slice's name (<c>q.h.fc0.weight</c>).</param>
/// <param name="Offset">First float of the slice in each saved parameter array.</param>
/// <param name="Rows">Rows of the tensor.</param>
/// <param name="Columns">Columns of the tensor.</param>
public sealed record CheckpointSlice(string Name, int Offset, int Rows, int Columns)
{
    /// <summary>Number of floats.</summary>
    public long Length => (long)Rows * Columns;
}

/// <summary>A checkpoint could not be read or does not fit; the message names the reason.</summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CheckpointException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a cause.</summary>
    public CheckpointException(string message, Exception inner) : base(message, inner)
    {
    }
}
