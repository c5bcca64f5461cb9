using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;

namespace Mtrl.Dsl.Semantics;

/// <summary>
/// 64-bit arithmetic that saturates at <see cref="long.MaxValue"/> instead of wrapping, for size
/// estimates: a product of spec numbers may exceed even 64 bits (tasks × layers × width²), and
/// all that matters then is that it is over the limit.
/// </summary>
internal static class Saturating
{
    public static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    public static long Multiply(long a, long b)
    {
        if (a == 0 || b == 0) return 0;
        return a > long.MaxValue / b ? long.MaxValue : a * b;
    }

    public static long Multiply(long a, long b, long c) => Multiply(Multiply(a, b), c);
}

/// <summary>Parameters and tensors a layer would own, measured without allocating them.</summary>
internal readonly record struct LayerSize(long Parameters, long Tensors, long TaskSpecific)
{
    public static LayerSize operator +(LayerSize a, LayerSize b) =>
        new(Saturating.Add(a.Parameters, b.Parameters), Saturating.Add(a.Tensors, b.Tensors), Saturating.Add(a.TaskSpecific, b.TaskSpecific));

    public LayerSize Times(long count) =>
        new(Saturating.Multiply(Parameters, count), Saturating.Multiply(Tensors, count), Saturating.Multiply(TaskSpecific, count));
}

/// <summary>
/// Closed-form sizes of what <see cref="ParameterLayout.Groups"/> would allocate, and of the
/// activations a layer computes per sample. Checked against <see cref="SpecLimits"/> before
/// anything is allocated, so <c>pathnet(layers: 2147483647, …)</c> is a diagnostic, not an
/// out-of-memory; tests keep <see cref="Measure"/> equal to the groups it stands for.
/// </summary>
internal static class LayerSizes
{
    private static LayerSize Affine(long inputs, long outputs, bool taskSpecific = false)
    {
        var parameters = Saturating.Add(Saturating.Multiply(inputs, outputs), outputs);
        return new LayerSize(parameters, 2, taskSpecific ? parameters : 0);
    }

    private static LayerSize Vector(long length, bool taskSpecific = false) => new(length, 1, taskSpecific ? length : 0);

    /// <summary>Chained affine layers from <paramref name="input"/> through <paramref name="widths"/>.</summary>
    private static LayerSize Chain(long input, IReadOnlyList<int> widths, bool taskSpecific = false)
    {
        var size = default(LayerSize);
        var previous = input;
        foreach (var w in widths)
        {
            size += Affine(previous, w, taskSpecific);
            previous = w;
        }
        return size;
    }

    private static long Sum(IReadOnlyList<int> widths)
    {
        long total = 0;
        foreach (var w in widths) total = Saturating.Add(total, w);
        return total;
    }

    /// <summary>What <see cref="ParameterLayout.Groups"/> allocates for the same arguments.</summary>
    public static LayerSize Measure(LayerOp op, IReadOnlyList<int> inputWidths, int tasks)
    {
        long x = inputWidths.Count > 0 ? inputWidths[0] : 0;
        switch (op)
        {
            case EmbeddingOp e:
                return Vector(Saturating.Multiply(e.Tasks, e.Dim));
            case LinearOp l:
                return Affine(x, l.Width);
            case MlpOp m:
                {
                    long film = m.Film && inputWidths.Count > 1 ? inputWidths[1] : 0;
                    var size = Chain(x, m.Widths);
                    foreach (var w in m.Widths)
                    {
                        if (m.LayerNorm) size += Vector(w) + Vector(w);
                        if (m.Film) size += Affine(film, Saturating.Multiply(2, w));
                    }
                    return size;
                }
            case FilmOp:
                return Affine(inputWidths.Count > 1 ? inputWidths[1] : 0, Saturating.Multiply(2, x));
            case HeadsOp h:
                return Chain(x, h.Widths, taskSpecific: true).Times(h.Tasks);
            case MoeOp moe:
                {
                    var size = Chain(x, moe.Widths).Times(moe.Experts);
                    if (moe.Gate is GateKind.TopK or GateKind.Attention)
                    {
                        long gateInput = inputWidths.Count > 1 && inputWidths[1] > 0 ? inputWidths[1] : tasks;
                        size += Chain(gateInput, moe.GateWidths);
                        size += Affine(moe.GateWidths.Count > 0 ? moe.GateWidths[moe.GateWidths.Count - 1] : gateInput, moe.Experts);
                    }
                    return size;
                }
            case SoftModularOp s:
                {
                    long n = s.Modules, r = s.RoutingWidth, w = s.Width;
                    var squared = Saturating.Multiply(n, n);
                    var size = Affine(x, r);
                    var history = s.Style == SoftModularStyle.SoftModule;
                    if (s.Layers > 1)
                    {
                        size += Affine(r, squared).Times(s.Layers - 1);
                        if (history)
                        {
                            // up_l reads the l earlier probability matrices side by side.
                            for (var l = 1; l < s.Layers - 1; l++) size += Affine(Saturating.Multiply(l, squared), r);
                        }
                        else
                        {
                            size += Affine(squared, r).Times(s.Layers - 2);
                        }
                    }
                    if (s.Mix == SoftModularMix.Gated)
                    {
                        if (s.Layers > 1) size += Affine(history ? Saturating.Multiply(s.Layers - 1, squared) : squared, r);
                        size += Affine(r, n);
                    }
                    size += Affine(x, w).Times(n);
                    size += Affine(w, w).Times(Saturating.Multiply(s.Layers - 1, n));
                    return size;
                }
            case ProgressiveOp p:
                {
                    // Column k, layer i ≥ 1 adds a lateral: α, V (k·previous → reduction, with bias), U (reduction → w).
                    var size = Chain(x, p.Widths, taskSpecific: true).Times(p.Columns);
                    var previous = x;
                    for (var i = 0; i < p.Widths.Count; i++)
                    {
                        long w = p.Widths[i];
                        if (i > 0 && p.Columns > 1)
                        {
                            long columns = p.Columns - 1;
                            // Σ_{k=1}^{C−1} k = C(C−1)/2 earlier-column inputs over all columns.
                            var earlier = Saturating.Multiply(columns, p.Columns) / 2;
                            var reduce = Saturating.Add(Saturating.Multiply(Saturating.Multiply(earlier, previous), p.Reduction), Saturating.Multiply(columns, p.Reduction));
                            var parameters = Saturating.Add(Saturating.Add(columns, reduce), Saturating.Multiply(columns, Saturating.Multiply(p.Reduction, w)));
                            size += new LayerSize(parameters, Saturating.Multiply(columns, 4), parameters);
                        }
                        previous = w;
                    }
                    return size;
                }
            case PathNetOp pn:
                return Affine(x, pn.Width).Times(pn.Modules) + Affine(pn.Width, pn.Width).Times(Saturating.Multiply(pn.Layers - 1, pn.Modules));
            case FeaturesOp { Affine: true } features:
                return features.PerTask ? Affine(x, features.Width, taskSpecific: true).Times(tasks) : Affine(x, features.Width);
            case HeadOp head:
                return head.PerTask ? Affine(x, head.ReadoutWidth, taskSpecific: true).Times(tasks) : Affine(x, head.ReadoutWidth);
            default:
                return default;
        }
    }

    /// <summary>
    /// Floats one sample's forward pass through the layer produces (its outputs and those of
    /// every layer inside it); a batch needs batch × this much for each workspace.
    /// </summary>
    public static long Activations(LayerOp op, IReadOnlyList<int> inputWidths, int width)
    {
        long x = inputWidths.Count > 0 ? inputWidths[0] : 0;
        switch (op)
        {
            case MlpOp m:
                return Saturating.Multiply(Sum(m.Widths), m.Film ? 3 : 1);
            case FilmOp:
                return Saturating.Multiply(3, x);
            case HeadsOp h:
                return Sum(h.Widths);
            case MoeOp moe:
                return Saturating.Add(Saturating.Add(Saturating.Multiply(Sum(moe.Widths), moe.Experts), Sum(moe.GateWidths)), Saturating.Multiply(2, moe.Experts));
            case SoftModularOp s:
                {
                    long n = s.Modules, r = s.RoutingWidth;
                    var routing = Saturating.Multiply(s.Layers, Saturating.Add(Saturating.Multiply(n, n), r));
                    var modules = Saturating.Multiply(s.Layers, n, s.Width);
                    var total = Saturating.Add(Saturating.Add(routing, modules), Saturating.Add(n, s.Width));
                    if (s.Style != SoftModularStyle.SoftModule) return total;
                    // Soft-Module also keeps relu(x), relu(x ⊙ by), the mixes before their ReLU, and
                    // the concatenated probabilities each conditioning layer reads (Σ l·n² for l < L).
                    var history = Saturating.Multiply(Saturating.Multiply(s.Layers, s.Layers - 1) / 2, Saturating.Multiply(n, n));
                    return Saturating.Add(Saturating.Add(total, history), Saturating.Add(Saturating.Multiply(2, x), Saturating.Multiply(s.Layers, n, s.Width)));
                }
            case ProgressiveOp p:
                return Saturating.Multiply(Saturating.Add(Sum(p.Widths), Saturating.Multiply(p.Widths.Count, p.Reduction)), p.Columns);
            case PathNetOp pn:
                return Saturating.Multiply(pn.Layers, pn.Modules, pn.Width);
            case GaussianOp g:
                return Saturating.Multiply(3, g.ActionSize);
            default:
                return Math.Max(width, 0);
        }
    }
}

/// <summary>
/// What an agent's networks add up to while they are bound: distinct parameters and tensors
/// (a block once), shared parameters, and the activation width of all forward passes. The
/// binder stops allocating parameter groups once a limit is crossed, and the training binder
/// checks batch and replay sizes against these totals.
/// </summary>
internal sealed class AgentBudget
{
    private readonly HashSet<string> _counted = new(StringComparer.Ordinal);

    /// <summary>Distinct parameters so far.</summary>
    public long Parameters { get; private set; }

    /// <summary>Distinct parameter tensors so far.</summary>
    public long Tensors { get; private set; }

    /// <summary>Parameters no single task owns (what gradient projection copies once per task).</summary>
    public long SharedParameters { get; private set; }

    /// <summary>Floats per sample of every network's forward pass, plus the inputs and the action.</summary>
    public long Activations { get; private set; }

    /// <summary>True once a parameter limit was reported: later layers are not allocated or reported again.</summary>
    public bool Exceeded { get; set; }

    /// <summary>Floats per observation (all inputs).</summary>
    public long ObservationWidth { get; private set; }

    /// <summary>Floats per goal (all goal inputs).</summary>
    public long GoalWidth { get; private set; }

    /// <summary>Elements per stored action (the size for continuous actions, one index for discrete).</summary>
    public long ActionWidth { get; private set; }

    /// <summary>Records the agent's interface; returns this budget so it can be passed on in one expression.</summary>
    public AgentBudget WithInterface(IEnumerable<InputModel> inputs, ActionSpaceModel action)
    {
        var list = inputs.ToList();
        ObservationWidth = list.Where(i => i.Kind == InputKind.Observation).Aggregate(0L, (sum, i) => Saturating.Add(sum, i.Width));
        GoalWidth = list.Where(i => i.Kind == InputKind.Goal).Aggregate(0L, (sum, i) => Saturating.Add(sum, i.Width));
        ActionWidth = action.Kind == ActionKind.Continuous ? action.Size : 1;
        Activations = Saturating.Add(Activations, Saturating.Add(Saturating.Add(ObservationWidth, GoalWidth), action.Size));
        return this;
    }

    /// <summary>
    /// Would adding <paramref name="size"/> (for the parameters named <paramref name="key"/>,
    /// counted once) stay within the limits? Returns the totals it would reach.
    /// </summary>
    public (long Parameters, long Tensors) Reach(string key, LayerSize size) =>
        _counted.Contains(key) ? (Parameters, Tensors) : (Saturating.Add(Parameters, size.Parameters), Saturating.Add(Tensors, size.Tensors));

    /// <summary>Counts the parameters named <paramref name="key"/> once.</summary>
    public void Add(string key, LayerSize size)
    {
        if (!_counted.Add(key)) return;
        Parameters = Saturating.Add(Parameters, size.Parameters);
        Tensors = Saturating.Add(Tensors, size.Tensors);
        SharedParameters = Saturating.Add(SharedParameters, size.Parameters - size.TaskSpecific);
    }

    /// <summary>Counts one layer application's activations (every application computes its own).</summary>
    public void AddActivations(long floats) => Activations = Saturating.Add(Activations, floats);
}

/// <summary>Numbers in size messages.</summary>
internal static class Sizes
{
    /// <summary>1,234,567, or "more than 9,223,372,036,854,775,806" for a saturated estimate.</summary>
    public static string Count(long value) => value == long.MaxValue
        ? $"more than {(long.MaxValue - 1).ToString("#,0", System.Globalization.CultureInfo.InvariantCulture)}"
        : value.ToString("#,0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Bytes in GiB with one decimal, e.g. "70.3 GiB".</summary>
    public static string GiB(long bytes) =>
        (bytes / (1024.0 * 1024 * 1024)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " GiB";
}
