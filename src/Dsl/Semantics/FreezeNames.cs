using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Dsl.Diagnostics;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Syntax;

namespace Mtrl.Dsl.Semantics;

/// <summary>
/// What the names of <c>freeze: […]</c> (and <c>mtrl train --freeze</c>) mean. Parameter slices are
/// named <c>block.…</c> for a block and <c>network.node.…</c> for a node's own parameters
/// (<see cref="ParameterLayout"/>; <c>mtrl describe</c> lists them). A name is resolved to a
/// slice-name prefix, which covers the slice of that name and every slice under it
/// (<c>q</c> covers <c>q.h.fc0.weight</c>, not <c>qq.…</c>):
/// <list type="number">
/// <item>a name with which some slice name starts (at a '.') is that prefix: a network (its own
/// nodes, not the blocks it applies), a block, <c>network.node</c>, or any path below them down to
/// one tensor (<c>q.h.fc0</c>, <c>encoder.fc1.weight</c>);</item>
/// <item>otherwise, a name whose first part is a node of exactly one network is read inside that
/// network: <c>h</c> is <c>q.h</c> when only network <c>q</c> has a node <c>h</c> with parameters;
/// with several it is ambiguous;</item>
/// <item>anything else is an error (MTRL0112) that lists the names there are.</item>
/// </list>
/// A node that applies a block has no parameters of its own (they are the block's, named after it),
/// so it is refused with a pointer to the block.
/// </summary>
public static class FreezeNames
{
    /// <summary>How many names an error message lists before "and N more".</summary>
    private const int ListedNames = 10;

    /// <summary>True when <paramref name="prefix"/> covers the slice <paramref name="slice"/>: equal, or the slice starts with it and a '.'.</summary>
    public static bool Covers(string prefix, string slice) =>
        slice.Length == prefix.Length
            ? string.Equals(slice, prefix, StringComparison.Ordinal)
            : slice.Length > prefix.Length && slice[prefix.Length] == '.' && slice.StartsWith(prefix, StringComparison.Ordinal);

    /// <summary>The agent's parameter slices in layout order (a block once, where a network first applies it).</summary>
    public static IReadOnlyList<string> SliceNames(AgentModel agent) => SliceNames(agent.Networks);

    /// <summary>The parameter slices of <paramref name="networks"/> in layout order, each once.</summary>
    public static IReadOnlyList<string> SliceNames(IEnumerable<NetworkModel> networks)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var names = new List<string>();
        foreach (var network in networks)
        {
            foreach (var group in network.Parameters)
            {
                if (seen.Add(group.Name)) names.Add(group.Name);
            }
        }
        return names;
    }

    /// <summary>
    /// The names worth freezing, broadest first: networks with parameters of their own, blocks, then
    /// <c>network.node</c> for every node with parameters of its own.
    /// </summary>
    public static IReadOnlyList<string> Candidates(IReadOnlyList<NetworkModel> networks)
    {
        // Every name a slice starts with, up to two parts: what networks, blocks and nodes cover.
        var heads = new HashSet<string>(StringComparer.Ordinal);
        foreach (var slice in SliceNames(networks))
        {
            var dot = slice.IndexOf('.');
            if (dot < 0)
            {
                heads.Add(slice);
                continue;
            }
            heads.Add(slice.Substring(0, dot));
            var second = slice.IndexOf('.', dot + 1);
            heads.Add(second < 0 ? slice : slice.Substring(0, second));
        }
        var result = new List<string>();
        void Add(string name)
        {
            if (heads.Remove(name)) result.Add(name);
        }
        foreach (var network in networks) Add(network.Name);
        foreach (var network in networks)
        {
            foreach (var node in network.Nodes)
            {
                if (node.Block is { } block) Add(block);
            }
        }
        foreach (var network in networks)
        {
            foreach (var node in network.Nodes)
            {
                if (node.Block is null) Add($"{network.Name}.{node.Name}");
            }
            if (network.Features is { } features) Add($"{network.Name}.{features.Name}");
        }
        return result;
    }

    /// <summary>
    /// Resolves one freeze name of <paramref name="agent"/> to a slice-name prefix; null with
    /// <paramref name="problem"/> (a sentence starting with the quoted name, listing the names there
    /// are) when it matches no slice.
    /// </summary>
    public static string? Resolve(AgentModel agent, string name, out string problem) => Resolve(agent.Networks, name, out problem);

    /// <summary>As <see cref="Resolve(AgentModel, string, out string)"/>, over the networks being bound.</summary>
    public static string? Resolve(IReadOnlyList<NetworkModel> networks, string name, out string problem)
    {
        problem = "";
        var slices = SliceNames(networks);
        if (name.Length > 0 && slices.Any(s => Covers(name, s))) return name;

        var parts = name.Split('.');
        var first = parts[0];
        var network = networks.FirstOrDefault(n => n.Name == first);
        if (network is not null && parts.Length >= 2 && network.Nodes.FirstOrDefault(n => n.Name == parts[1]) is { } qualified)
        {
            problem = NodeProblem(name, network, qualified, slices);
            return null;
        }
        if (network is not null && parts.Length == 1)
        {
            var blocks = network.Nodes.Where(n => n.Block is not null).Select(n => n.Block!).Distinct().ToList();
            problem = blocks.Count > 0
                ? $"'{name}': network '{name}' has no parameters of its own; the blocks it applies are frozen by their own names ({Quoted(blocks)})"
                : $"'{name}': network '{name}' has no parameters";
            return null;
        }
        if (network is null)
        {
            // Unqualified: a node of one network.
            var owners = networks.Where(n => n.Nodes.Any(node => node.Name == first)).ToList();
            var matching = owners.Where(n => slices.Any(s => Covers($"{n.Name}.{name}", s))).ToList();
            if (matching.Count == 1) return $"{matching[0].Name}.{name}";
            if (matching.Count > 1)
            {
                problem = $"'{name}' is ambiguous: several networks have a node '{first}'; write one of {Quoted(matching.Select(n => $"{n.Name}.{name}"))}";
                return null;
            }
            if (owners.Count > 0)
            {
                var owner = owners[0];
                problem = NodeProblem(name, owner, owner.Nodes.First(n => n.Name == first), slices);
                return null;
            }
        }
        problem = $"'{name}' matches no parameter slice{Suggestions.DidYouMean(name, SuggestionPool(networks, slices))}; {Listing(networks)}";
        return null;
    }

    /// <summary>
    /// A sentence saying that <paramref name="prefixes"/> cover every parameter the agent's algorithm
    /// trains (its Q network for DQN, the policy and the critic for SAC and TD3), or null when
    /// something is left to train.
    /// </summary>
    public static string? NothingLeftToTrain(AgentModel agent, IEnumerable<string> prefixes) =>
        NothingLeftToTrain(agent.Networks, agent.Training.Algorithm, prefixes);

    /// <summary>As <see cref="NothingLeftToTrain(AgentModel, IEnumerable{string})"/>, over the networks being bound.</summary>
    public static string? NothingLeftToTrain(IReadOnlyList<NetworkModel> networks, Algorithm algorithm, IEnumerable<string> prefixes)
    {
        var frozen = prefixes.ToList();
        if (frozen.Count == 0) return null;
        var trained = networks.Where(n => algorithm is Algorithm.Dqn or Algorithm.Distill ? n.Role == NetworkRole.Critic : n.Role is NetworkRole.Critic or NetworkRole.Policy).ToList();
        var slices = SliceNames(trained);
        if (slices.Count == 0 || slices.Any(s => !frozen.Any(p => Covers(p, s)))) return null;
        return $"freezing {Quoted(frozen)} covers every parameter {algorithm.ToString().ToLowerInvariant()} trains ({slices.Count} slices of {Quoted(trained.Select(n => n.Name))}); nothing would train; leave some slices unfrozen";
    }

    /// <summary>
    /// Reads <c>freeze</c> of a train section: each name resolved (MTRL0112 where one matches no
    /// slice), a name adding nothing to earlier ones warned (MTRL0406), and everything frozen
    /// refused (MTRL0412). Without <paramref name="networks"/> (an agent whose networks failed to
    /// bind) names are kept as written and nothing is reported.
    /// </summary>
    internal static EquatableArray<string> Bind(Settings settings, Algorithm algorithm, IReadOnlyList<NetworkModel>? networks, DiagnosticBag diagnostics)
    {
        var raw = settings.Raw("freeze");
        if (raw is null) return EquatableArray<string>.Empty;
        IReadOnlyList<Expression> items;
        switch (raw)
        {
            case ListExpression list:
                items = list.Items;
                break;
            case NameExpression:
                items = new[] { raw };
                break;
            default:
                settings.WrongKind("freeze", raw, "a list of networks, blocks or nodes such as [encoder, q.h]");
                return EquatableArray<string>.Empty;
        }
        var prefixes = new List<string>();
        foreach (var item in items)
        {
            if (item is not NameExpression { Name: var name })
            {
                var hint = item is StringLiteral text ? $"; write the name without quotes: {text.Value}" : "";
                diagnostics.Report(DiagnosticCatalog.WrongKind, item.Span,
                    $"each name in 'freeze' must be a network, block or node such as encoder or q.h, found {ExpressionText.Describe(item)}{hint}");
                continue;
            }
            if (networks is null)
            {
                prefixes.Add(name.Text);
                continue;
            }
            var prefix = Resolve(networks, name.Text, out var problem);
            if (prefix is null)
            {
                diagnostics.Report(DiagnosticCatalog.UnknownParameterName, name.Span, problem);
                continue;
            }
            var slices = SliceNames(networks).Where(s => Covers(prefix, s)).ToList();
            var earlier = prefixes.FirstOrDefault(p => slices.All(s => Covers(p, s)));
            if (earlier is not null)
            {
                diagnostics.Report(DiagnosticCatalog.NoEffect, name.Span,
                    earlier == prefix
                        ? $"'{name.Text}' is already frozen by an earlier name"
                        : $"'{name.Text}' has no effect: '{earlier}' already freezes all of it");
                continue;
            }
            prefixes.Add(prefix);
        }
        if (networks is not null && NothingLeftToTrain(networks, algorithm, prefixes) is { } everything)
        {
            diagnostics.Report(DiagnosticCatalog.NothingToTrain, raw.Span, everything);
        }
        return prefixes.ToEquatableArray();
    }

    private static string NodeProblem(string name, NetworkModel network, NodeModel node, IReadOnlyList<string> slices)
    {
        var where = $"node '{node.Name}' of network '{network.Name}'";
        if (node.Block is { } block)
        {
            return $"'{name}': {where} applies block '{block}', whose parameters are named after the block; freeze '{block}'";
        }
        var own = $"{network.Name}.{node.Name}";
        var under = slices.Where(s => Covers(own, s)).ToList();
        if (under.Count == 0) return $"'{name}': {where} ({node.Op.Kind}) has no parameters";
        return $"'{name}' matches no parameter slice{Suggestions.DidYouMean(name, under)}; the slices of {where} are {Quoted(under)}";
    }

    /// <summary>Names a typo could have meant: the candidates, unqualified nodes and every slice.</summary>
    private static IEnumerable<string> SuggestionPool(IReadOnlyList<NetworkModel> networks, IReadOnlyList<string> slices) =>
        Candidates(networks)
            .Concat(networks.SelectMany(n => n.Nodes.Where(node => node.Block is null).Select(node => node.Name)))
            .Concat(slices)
            .Distinct(StringComparer.Ordinal);

    private static string Listing(IReadOnlyList<NetworkModel> networks)
    {
        var candidates = Candidates(networks);
        return candidates.Count == 0
            ? "the agent has no parameters"
            : $"names that can be frozen: {Quoted(candidates)} (mtrl describe --slices lists every slice)";
    }

    private static string Quoted(IEnumerable<string> names)
    {
        var list = names.ToList();
        var shown = string.Join(", ", list.Take(ListedNames).Select(n => $"'{n}'"));
        return list.Count > ListedNames ? $"{shown} and {list.Count - ListedNames} more" : shown;
    }
}
