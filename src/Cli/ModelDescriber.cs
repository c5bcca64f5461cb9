using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Semantics;

namespace Mtrl.Cli;

/// <summary>
/// Renders an agent for <c>mtrl describe</c>: interface, blocks, each network as a table of
/// nodes, parameter counts split shared / task-specific, and the training configuration written
/// back in spec syntax with every default filled in (so it can be pasted into a spec).
/// Parameters are looked up by owner once per network, so a network of 100,000 nodes is
/// described in linear time; every count is 64-bit.
/// </summary>
internal static class ModelDescriber
{
    public static void Describe(AgentModel agent, TextWriter output)
    {
        output.WriteLine($"agent {agent.Name}");
        output.WriteLine($"  tasks: {agent.Tasks}");
        foreach (var input in agent.Inputs)
        {
            output.WriteLine($"  {(input.Kind == InputKind.Goal ? "goal" : "input")} {input.Name}: {input.Width}");
        }
        output.WriteLine($"  action: {Action(agent.Action)}");

        // Each parameter group once (a block's groups appear in every network that applies it).
        var distinct = agent.Networks.SelectMany(n => n.Parameters).GroupBy(p => p.Name).Select(g => g.First()).ToList();
        if (agent.Blocks.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("blocks (parameters shared by every network that uses them)");
            var table = new TextTable("block", "op", "in", "out", "parameters", "used by").AlignRight(2, 3, 4);
            var byOwner = distinct.GroupBy(p => p.Node).ToDictionary(g => g.Key, g => g.Sum(p => p.Count));
            foreach (var block in agent.Blocks)
            {
                var parameters = byOwner.TryGetValue(block.Name, out var count) ? count : 0L;
                table.Add(block.Name, Op(block.Op), string.Join("+", block.InputWidths), block.Width.ToString(CultureInfo.InvariantCulture),
                    Count(parameters), block.UsedBy.Count == 0 ? "(unused)" : string.Join(", ", block.UsedBy));
            }
            table.Write(output, "  ");
        }

        foreach (var network in agent.Networks)
        {
            output.WriteLine();
            output.WriteLine($"network {network.Name} ({network.Role.ToString().ToLowerInvariant()})");
            var table = new TextTable("node", "op", "inputs", "out", "shared", "task-specific").AlignRight(3, 4, 5);
            var blocksShown = new HashSet<string>();
            var byNode = network.Parameters.ToLookup(p => p.Node);
            // The features output (Actor-Mimic) is listed after the head it sits beside.
            foreach (var node in network.Features is { } features ? network.Nodes.Append(features) : network.Nodes)
            {
                var groups = byNode[node.Block ?? node.Name];
                var showParameters = node.Block is null || blocksShown.Add(node.Block);
                var shared = showParameters ? groups.Where(g => !g.Owner.IsTaskSpecific).Sum(g => g.Count) : 0;
                var specific = showParameters ? groups.Where(g => g.Owner.IsTaskSpecific).Sum(g => g.Count) : 0;
                var op = node.Block is null ? Op(node.Op) : $"block {node.Block}: {Op(node.Op)}";
                var inputs = string.Join(", ", node.Inputs.Select(i => i.Width == 0 ? i.Source : $"{i.Source}:{i.Width}"));
                table.Add(node.Name, op, inputs, node.Width.ToString(CultureInfo.InvariantCulture),
                    shared == 0 ? "" : Count(shared), specific == 0 ? "" : Count(specific));
            }
            table.Write(output, "  ");
            var total = network.Parameters.Sum(p => p.Count);
            var taskSpecific = network.Parameters.Where(p => p.Owner.IsTaskSpecific).Sum(p => p.Count);
            var perTask = network.Parameters.Where(p => p.Owner == ParameterOwner.Task(0)).Sum(p => p.Count);
            output.WriteLine($"  parameters: {Count(total)} ({Count(total - taskSpecific)} shared, {Count(taskSpecific)} task-specific" +
                             (perTask > 0 ? $", {Count(perTask)} per task head" : "") + ")");
        }

        var agentTotal = distinct.Sum(p => p.Count);
        var agentSpecific = distinct.Where(p => p.Owner.IsTaskSpecific).Sum(p => p.Count);
        output.WriteLine();
        output.WriteLine($"agent parameters: {Count(agentTotal)} ({Count(agentTotal - agentSpecific)} shared, {Count(agentSpecific)} task-specific);" +
                         " blocks counted once; twins and target copies made by the algorithm not included");
        var names = FreezeNames.Candidates(agent.Networks);
        if (names.Count > 0)
        {
            const int Shown = 20;
            output.WriteLine($"names for freeze (each covers the slices named NAME or NAME.…; --slices lists them): {string.Join(", ", names.Take(Shown))}" +
                             (names.Count > Shown ? $" and {Count(names.Count - Shown)} more" : ""));
        }
        if (agent.Training.Freeze.Count > 0)
        {
            var frozen = distinct.Where(p => agent.Training.Freeze.Any(prefix => FreezeNames.Covers(prefix, p.Name))).ToList();
            output.WriteLine($"frozen: {Count(frozen.Sum(p => p.Count))} parameters in {Count(frozen.Count)} slices ({string.Join(", ", agent.Training.Freeze)})");
        }
        output.WriteLine();
        output.WriteLine("training configuration (defaults filled in)");
        TrainingWriter.Write(agent, output, "  ");
        output.WriteLine();
    }

    /// <summary>
    /// Every parameter slice of the agent in layout order (blocks once), with shape, owner and
    /// whether the spec freezes it: the names <c>freeze</c> and <c>--freeze</c> take prefixes of, and
    /// that a checkpoint of another agent is matched by.
    /// </summary>
    public static void DescribeSlices(AgentModel agent, TextWriter output)
    {
        output.WriteLine($"parameter slices of agent {agent.Name}");
        var table = new TextTable("slice", "shape", "parameters", "owner", "frozen").AlignRight(2);
        var seen = new HashSet<string>();
        foreach (var group in agent.Networks.SelectMany(n => n.Parameters))
        {
            if (!seen.Add(group.Name)) continue;
            var frozen = agent.Training.Freeze.Any(prefix => FreezeNames.Covers(prefix, group.Name));
            table.Add(group.Name, $"{group.Rows}x{group.Columns}", Count(group.Count), group.Owner.ToString(), frozen ? "frozen" : "");
        }
        table.Write(output, "  ");
        output.WriteLine();
    }

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Action(ActionSpaceModel action) => action.Kind == ActionKind.Discrete
        ? $"discrete({action.Size})"
        : $"continuous({action.Size}, low: {Number(action.Low)}, high: {Number(action.High)})";

    private static string Widths(EquatableArray<int> widths) => "[" + string.Join(", ", widths) + "]";

    private static string Act(ActivationKind activation) => activation switch
    {
        ActivationKind.LeakyRelu => "leaky_relu",
        _ => activation.ToString().ToLowerInvariant(),
    };

    private static string PerTask(bool perTask) => perTask ? ", per task" : "";

    /// <summary>One-line summary of an op with its settings.</summary>
    public static string Op(LayerOp op) => op switch
    {
        OneHotOp o => $"onehot({o.Tasks})",
        EmbeddingOp e => $"embedding {e.Tasks}x{e.Dim}",
        LinearOp l => $"linear {l.Width}" + (l.Activation == ActivationKind.None ? "" : $" {Act(l.Activation)}"),
        MlpOp m => $"mlp {Widths(m.Widths)} {Act(m.Activation)}" + (m.LayerNorm ? ", layer_norm" : "") + (m.Film ? ", film" : ""),
        ConcatOp => "concat",
        FilmOp => "film",
        DetachOp => "detach",
        HeadsOp h => $"heads {Widths(h.Widths)} {Act(h.Activation)} x{h.Tasks} tasks",
        MoeOp m => $"moe {m.Experts} experts {Widths(m.Widths)}, gate {Gate(m)}",
        SoftModularOp s => $"soft_modular {s.Layers}x{s.Modules} modules of {s.Width}, routing {s.RoutingWidth}, {s.Mix.ToString().ToLowerInvariant()}, style {(s.Style == SoftModularStyle.SoftModule ? "soft_module" : "mtrl")}",
        ProgressiveOp p => $"progressive {p.Columns} columns {Widths(p.Widths)}, reduction {p.Reduction}, alpha {Number(p.AlphaInit)}",
        PathNetOp p => $"pathnet {p.Layers}x{p.Modules} modules of {p.Width}, {p.Active} active",
        GaussianOp g => $"gaussian tanh-squashed, log_std [{Number(g.LogStdMin)}, {Number(g.LogStdMax)}]{PerTask(g.PerTask)}",
        CategoricalOp c => $"categorical{PerTask(c.PerTask)}",
        DeterministicOp d => $"deterministic tanh{PerTask(d.PerTask)}",
        QValuesOp q => $"q_values{PerTask(q.PerTask)}",
        ValueOp v => $"value{PerTask(v.PerTask)}",
        FeaturesOp { Affine: false } => "features (identity)",
        FeaturesOp f => $"features predictor {f.Width}{PerTask(f.PerTask)}",
        _ => op.Kind,
    };

    private static string Gate(MoeOp moe) => moe.Gate switch
    {
        GateKind.PerTask => "per_task",
        GateKind.Ensemble => "ensemble",
        GateKind.TopK => $"topk(k: {moe.TopK}, temperature: {Number(moe.Temperature)}, widths: {Widths(moe.GateWidths)})",
        _ => $"attention(temperature: {Number(moe.Temperature)}, widths: {Widths(moe.GateWidths)})",
    };
}
