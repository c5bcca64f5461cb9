using System.Collections.Generic;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;

namespace Mtrl.Dsl.Semantics;

/// <summary>
/// The parameter tensors each layer owns, in the order the runtime lays them out. Weights are
/// stored input-major ([in, out]) so a batch-major forward pass is X·W. docs/language.md gives
/// the same shapes in prose; tests pin the counts. Callers measure first
/// (<see cref="LayerSizes.Measure"/>) and call this only within <see cref="SpecLimits"/>, so every
/// shape fits an int; the products are checked anyway.
/// </summary>
internal static class ParameterLayout
{
    public static IReadOnlyList<ParameterGroup> Groups(string prefix, string node, LayerOp op, IReadOnlyList<int> inputWidths, int tasks)
    {
        var list = new List<ParameterGroup>();
        var x = inputWidths.Count > 0 ? inputWidths[0] : 0;
        switch (op)
        {
            case EmbeddingOp e:
                list.Add(new ParameterGroup(ParameterNames.Table(prefix), node, ParameterOwner.Shared, e.Tasks, e.Dim));
                break;
            case LinearOp l:
                Affine(list, node, prefix, ParameterOwner.Shared, x, l.Width);
                break;
            case MlpOp m:
                {
                    var film = m.Film && inputWidths.Count > 1 ? inputWidths[1] : 0;
                    var previous = x;
                    for (var i = 0; i < m.Widths.Count; i++)
                    {
                        var w = m.Widths[i];
                        Affine(list, node, ParameterNames.Layer(prefix, i), ParameterOwner.Shared, previous, w);
                        if (m.LayerNorm)
                        {
                            list.Add(new ParameterGroup(ParameterNames.NormGain(prefix, i), node, ParameterOwner.Shared, 1, w));
                            list.Add(new ParameterGroup(ParameterNames.NormShift(prefix, i), node, ParameterOwner.Shared, 1, w));
                        }
                        if (m.Film) Affine(list, node, ParameterNames.Film(prefix, i), ParameterOwner.Shared, film, checked(2 * w));
                        previous = w;
                    }
                    break;
                }
            case FilmOp:
                Affine(list, node, prefix, ParameterOwner.Shared, inputWidths.Count > 1 ? inputWidths[1] : 0, checked(2 * x));
                break;
            case HeadsOp h:
                for (var t = 0; t < h.Tasks; t++)
                {
                    var previous = x;
                    for (var i = 0; i < h.Widths.Count; i++)
                    {
                        Affine(list, node, ParameterNames.Layer(ParameterNames.Task(prefix, t), i), ParameterOwner.Task(t), previous, h.Widths[i]);
                        previous = h.Widths[i];
                    }
                }
                break;
            case MoeOp moe:
                for (var e = 0; e < moe.Experts; e++)
                {
                    var previous = x;
                    for (var i = 0; i < moe.Widths.Count; i++)
                    {
                        Affine(list, node, ParameterNames.Layer(ParameterNames.Expert(prefix, e), i), ParameterOwner.Module(0, e), previous, moe.Widths[i]);
                        previous = moe.Widths[i];
                    }
                }
                if (moe.Gate is GateKind.TopK or GateKind.Attention)
                {
                    // Without a 'by' input the gate reads the one-hot task id.
                    var previous = inputWidths.Count > 1 && inputWidths[1] > 0 ? inputWidths[1] : tasks;
                    for (var i = 0; i < moe.GateWidths.Count; i++)
                    {
                        Affine(list, node, ParameterNames.GateLayer(prefix, i), ParameterOwner.Shared, previous, moe.GateWidths[i]);
                        previous = moe.GateWidths[i];
                    }
                    Affine(list, node, ParameterNames.GateOut(prefix), ParameterOwner.Shared, previous, moe.Experts);
                }
                break;
            case SoftModularOp s:
                {
                    var n = s.Modules;
                    var r = s.RoutingWidth;
                    // up_l reads p^{l−1} (mtrl) or [p⁰ | … | p^{l−1}] (Soft-Module); up_gate likewise the last or all of them.
                    var history = s.Style == SoftModularStyle.SoftModule;
                    Affine(list, node, ParameterNames.RouteIn(prefix), ParameterOwner.Shared, x, r);
                    for (var l = 0; l < s.Layers - 1; l++)
                    {
                        if (l > 0) Affine(list, node, ParameterNames.RouteUp(prefix, l), ParameterOwner.Shared, checked((history ? l : 1) * n * n), r);
                        Affine(list, node, ParameterNames.RouteDown(prefix, l), ParameterOwner.Shared, r, checked(n * n));
                    }
                    if (s.Mix == SoftModularMix.Gated)
                    {
                        if (s.Layers > 1) Affine(list, node, ParameterNames.RouteUpGate(prefix), ParameterOwner.Shared, checked((history ? s.Layers - 1 : 1) * n * n), r);
                        Affine(list, node, ParameterNames.RouteGate(prefix), ParameterOwner.Shared, r, n);
                    }
                    for (var l = 0; l < s.Layers; l++)
                    {
                        for (var m = 0; m < n; m++)
                        {
                            Affine(list, node, ParameterNames.Module(prefix, l, m), ParameterOwner.Module(l, m), l == 0 ? x : s.Width, s.Width);
                        }
                    }
                    break;
                }
            case ProgressiveOp p:
                for (var k = 0; k < p.Columns; k++)
                {
                    var owner = ParameterOwner.Column(k);
                    var column = ParameterNames.Column(prefix, k);
                    var previous = x;
                    for (var i = 0; i < p.Widths.Count; i++)
                    {
                        var w = p.Widths[i];
                        Affine(list, node, ParameterNames.Layer(column, i), owner, previous, w);
                        if (i > 0 && k > 0)
                        {
                            list.Add(new ParameterGroup(ParameterNames.LateralAlpha(column, i), node, owner, 1, 1));
                            Affine(list, node, ParameterNames.LateralReduce(column, i), owner, checked(k * previous), p.Reduction);
                            list.Add(new ParameterGroup(ParameterNames.Weight(ParameterNames.LateralUp(column, i)), node, owner, p.Reduction, w));
                        }
                        previous = w;
                    }
                }
                break;
            case PathNetOp pn:
                for (var l = 0; l < pn.Layers; l++)
                {
                    for (var m = 0; m < pn.Modules; m++)
                    {
                        Affine(list, node, ParameterNames.Module(prefix, l, m), ParameterOwner.Module(l, m), l == 0 ? x : pn.Width, pn.Width);
                    }
                }
                break;
            case FeaturesOp { Affine: true } features:
                if (features.PerTask)
                {
                    for (var t = 0; t < tasks; t++)
                    {
                        Affine(list, node, ParameterNames.Task(prefix, t), ParameterOwner.Task(t), x, features.Width);
                    }
                }
                else
                {
                    Affine(list, node, prefix, ParameterOwner.Shared, x, features.Width);
                }
                break;
            case HeadOp head:
                if (head.PerTask)
                {
                    for (var t = 0; t < tasks; t++)
                    {
                        Affine(list, node, ParameterNames.Task(prefix, t), ParameterOwner.Task(t), x, head.ReadoutWidth);
                    }
                }
                else
                {
                    Affine(list, node, prefix, ParameterOwner.Shared, x, head.ReadoutWidth);
                }
                break;
        }
        return list;
    }

    private static void Affine(List<ParameterGroup> list, string node, string name, ParameterOwner owner, int inputs, int outputs)
    {
        list.Add(new ParameterGroup(ParameterNames.Weight(name), node, owner, inputs, outputs));
        list.Add(new ParameterGroup(ParameterNames.Bias(name), node, owner, 1, outputs));
    }
}
