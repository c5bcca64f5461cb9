using System;
using System.CodeDom.Compiler;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;

namespace Mtrl.Generators;

/// <summary>
/// Turns the flat list of parameter groups into the statements a person would write: weight and
/// bias pairs become one <c>AddAffine</c>, and per-task or per-module repetitions become loops.
/// </summary>
internal static class LayoutLines
{
    /// <summary>One slice, or an affine pair (weight + bias), with the op it belongs to.</summary>
    internal sealed record Entry(string Name, ParameterOwner Owner, int Rows, int Columns, string Initializer, bool Affine, string Node, string OpKind);

    /// <summary>Pairs and labels the groups; <c>Node</c> is the block name or network.node.</summary>
    public static List<Entry> Entries(IEnumerable<(ParameterGroup Group, string Node, LayerOp? Op, string Initializer)> groups)
    {
        var list = groups.ToList();
        var entries = new List<Entry>();
        for (var i = 0; i < list.Count; i++)
        {
            var (group, node, op, init) = list[i];
            var kind = op?.Kind ?? "";
            if (group.Name.EndsWith(ParameterNames.WeightSuffix, StringComparison.Ordinal) && i + 1 < list.Count)
            {
                var prefix = group.Name.Substring(0, group.Name.Length - ParameterNames.WeightSuffix.Length);
                var bias = list[i + 1].Group;
                if (bias.Name == ParameterNames.Bias(prefix) && bias.Owner == group.Owner && bias.Rows == 1 && bias.Columns == group.Columns)
                {
                    entries.Add(new Entry(prefix, group.Owner, group.Rows, group.Columns, init, true, node, kind));
                    i++;
                    continue;
                }
            }
            entries.Add(new Entry(group.Name, group.Owner, group.Rows, group.Columns, init, false, node, kind));
        }
        return entries;
    }

    public static void Write(IndentedTextWriter w, List<Entry> entries, int tasks)
    {
        string? lastNode = null;
        // Entries of a scanned index-0 body that did not repeat: no loop can start inside it, and
        // not scanning it again from each entry keeps this linear.
        var noIndexedLoopBefore = 0;
        for (var i = 0; i < entries.Count;)
        {
            var entry = entries[i];
            if (entry.Node != lastNode)
            {
                w.WriteLine($"// {entry.Node}: {entry.OpKind}");
                lastNode = entry.Node;
            }
            int? used = null;
            if (i >= noIndexedLoopBefore)
            {
                used = TryIndexedLoop(w, entries, i, tasks, out var scanned);
                if (used is null) noIndexedLoopBefore = i + scanned;
            }
            used ??= TryModuleLoop(w, entries, i);
            if (used is { } count)
            {
                i += count;
                continue;
            }
            w.WriteLine(Statement(entry.Name, entry, Owner(entry.Owner)));
            i++;
        }
    }

    /// <summary>task{t}… or expert{e}… blocks repeated for every index, in index-major order.</summary>
    private static int? TryIndexedLoop(IndentedTextWriter w, List<Entry> entries, int start, int tasks, out int scanned)
    {
        scanned = 1;
        if (!ParameterNames.TryParseIndexed(entries[start].Name, out var prefix, out var experts, out var firstIndex, out _) || firstIndex != 0) return null;
        // The body: consecutive entries of index 0.
        var body = new List<(Entry Entry, string Tail)>();
        var i = start;
        for (; i < entries.Count; i++)
        {
            if (!ParameterNames.TryParseIndexed(entries[i].Name, out var p, out var e, out var index, out var rest) || p != prefix || e != experts || index != 0) break;
            body.Add((entries[i], rest));
        }
        scanned = body.Count;
        var count = 1;
        while (true)
        {
            var offset = start + count * body.Count;
            if (offset + body.Count > entries.Count) break;
            var matches = true;
            for (var b = 0; b < body.Count && matches; b++)
            {
                var e = entries[offset + b];
                var expected = body[b].Entry;
                matches = e.Name == ParameterNames.Indexed(prefix, experts, count.ToString(System.Globalization.CultureInfo.InvariantCulture)) + body[b].Tail
                          && e.Rows == expected.Rows && e.Columns == expected.Columns
                          && e.Initializer == expected.Initializer && e.Affine == expected.Affine && e.Owner == Reindex(expected.Owner, count, experts);
            }
            if (!matches) break;
            count++;
        }
        if (count < 2) return null;
        var variable = experts ? "expert" : "task";
        var bound = !experts && count == tasks ? "Tasks" : count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        w.WriteLine($"for (var {variable} = 0; {variable} < {bound}; {variable}++)");
        w.WriteLine("{");
        w.Indent++;
        foreach (var (entry, tail) in body)
        {
            var owner = experts ? $"ParameterOwner.Module({entry.Owner.Index}, {variable})" : $"ParameterOwner.Task({variable})";
            w.WriteLine(Statement(ParameterNames.Indexed(prefix, experts, "{" + variable + "}") + tail, entry, owner, interpolated: true));
        }
        w.Indent--;
        w.WriteLine("}");
        return count * body.Count;
    }

    /// <summary>module{l}_{m} for every m of one layer.</summary>
    private static int? TryModuleLoop(IndentedTextWriter w, List<Entry> entries, int start)
    {
        if (!ParameterNames.TryParseModule(entries[start].Name, out var prefix, out var layer, out var firstModule, out var rest) || firstModule != 0) return null;
        var template = entries[start];
        var count = 1;
        while (start + count < entries.Count)
        {
            var e = entries[start + count];
            if (e.Name != ParameterNames.Module(prefix, layer, count) + rest || e.Rows != template.Rows || e.Columns != template.Columns
                || e.Initializer != template.Initializer || e.Affine != template.Affine) break;
            count++;
        }
        if (count < 2) return null;
        var layerText = layer.ToString(System.Globalization.CultureInfo.InvariantCulture);
        w.WriteLine($"for (var module = 0; module < {count}; module++)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine(Statement(ParameterNames.Module(prefix, layerText, "{module}") + rest, template, $"ParameterOwner.Module({layerText}, module)", interpolated: true));
        w.Indent--;
        w.WriteLine("}");
        return count;
    }

    private static ParameterOwner Reindex(ParameterOwner owner, int index, bool experts) =>
        experts ? ParameterOwner.Module(owner.Index, index) : ParameterOwner.Task(index);

    private static string Statement(string name, Entry entry, string owner, bool interpolated = false)
    {
        var literal = interpolated ? $"$\"{name}\"" : $"\"{name}\"";
        return entry.Affine
            ? $"layout.AddAffine({literal}, {owner}, {entry.Rows}, {entry.Columns}, {entry.Initializer});"
            : $"layout.Add({literal}, {owner}, {entry.Rows}, {entry.Columns}, {entry.Initializer});";
    }

    public static string Owner(ParameterOwner owner) => owner.Kind switch
    {
        ParameterOwnerKind.Task => $"ParameterOwner.Task({owner.Index})",
        ParameterOwnerKind.Column => $"ParameterOwner.Column({owner.Index})",
        ParameterOwnerKind.Module => $"ParameterOwner.Module({owner.Index}, {owner.Index2})",
        _ => "ParameterOwner.Shared",
    };
}
