using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Diagnostics;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Text;

namespace Mtrl.Dsl.Semantics;

/// <summary>Everything an op needs to know about the agent while it is bound.</summary>
internal sealed record OpContext(int Tasks, ActionSpaceModel Action, DiagnosticBag Diagnostics, SourceSpan CallSpan, string NodeName);

/// <summary>One input parameter of an op.</summary>
internal sealed record OpInput(string Name, ValueKind Kind, bool Required);

/// <summary>
/// The signature of a block or head: its inputs (positional in this order, or by name), how it
/// reads its settings into a <see cref="LayerOp"/>, and how it computes (and checks) widths.
/// </summary>
internal sealed class OpSignature
{
    public OpSignature(
        string name,
        OpInput[] inputs,
        Func<OpContext, Settings, LayerOp> bind,
        Func<OpContext, LayerOp, IReadOnlyList<Value?>, int> width,
        bool variadic = false,
        bool hasParameters = true,
        bool isHead = false)
    {
        Name = name;
        Inputs = inputs;
        Bind = bind;
        Width = width;
        Variadic = variadic;
        HasParameters = hasParameters;
        IsHead = isHead;
    }

    public string Name { get; }
    public OpInput[] Inputs { get; }
    public Func<OpContext, Settings, LayerOp> Bind { get; }
    public Func<OpContext, LayerOp, IReadOnlyList<Value?>, int> Width { get; }
    public bool Variadic { get; }
    public bool HasParameters { get; }
    public bool IsHead { get; }
    public bool IsInputName(string name) => !Variadic && Inputs.Any(i => i.Name == name);
}

/// <summary>All ops of the language: blocks (mlp, moe, …) and output heads (gaussian, …).</summary>
internal static class OpCatalog
{
    public static readonly IReadOnlyDictionary<string, ActivationKind> Activations = new Dictionary<string, ActivationKind>
    {
        ["relu"] = ActivationKind.Relu,
        ["tanh"] = ActivationKind.Tanh,
        ["elu"] = ActivationKind.Elu,
        ["gelu"] = ActivationKind.Gelu,
        ["leaky_relu"] = ActivationKind.LeakyRelu,
        ["none"] = ActivationKind.None,
    };

    private static readonly IReadOnlyDictionary<string, SoftModularMix> Mixes = new Dictionary<string, SoftModularMix>
    {
        ["mean"] = SoftModularMix.Mean,
        ["gated"] = SoftModularMix.Gated,
    };

    private static readonly IReadOnlyDictionary<string, SoftModularStyle> Styles = new Dictionary<string, SoftModularStyle>
    {
        ["soft_module"] = SoftModularStyle.SoftModule,
        ["mtrl"] = SoftModularStyle.Mtrl,
    };

    private static readonly OpInput X = new("x", ValueKind.Features, true);
    private static readonly OpInput Task = new("task", ValueKind.TaskId, true);

    public static readonly IReadOnlyDictionary<string, OpSignature> All = Build();

    public static IEnumerable<string> Names => All.Keys;

    private static Dictionary<string, OpSignature> Build()
    {
        var ops = new[]
        {
            new OpSignature("onehot", new[] { Task }, (c, s) => new OneHotOp(c.Tasks), (c, op, v) => c.Tasks, hasParameters: false),
            new OpSignature("embedding", new[] { Task },
                (c, s) => new EmbeddingOp(c.Tasks, s.RequiredInt("dim", NumberRange.Width)),
                (c, op, v) => ((EmbeddingOp)op).Dim),
            new OpSignature("linear", new[] { X },
                (c, s) => new LinearOp(s.RequiredInt("width", NumberRange.Width), s.Choice("activation", ActivationKind.None, Activations)),
                (c, op, v) => ((LinearOp)op).Width),
            new OpSignature("mlp", new[] { X, new OpInput("film", ValueKind.Features, false) },
                (c, s) => new MlpOp(
                    s.Widths("widths", required: true) ?? new EquatableArray<int>(new[] { 1 }),
                    s.Choice("activation", ActivationKind.Relu, Activations),
                    s.Bool("layer_norm", false),
                    Film: false),
                (c, op, v) => Last(((MlpOp)op).Widths)),
            new OpSignature("concat", new[] { X }, (c, s) => new ConcatOp(0), ConcatWidth, variadic: true, hasParameters: false),
            new OpSignature("film", new[] { X, new OpInput("by", ValueKind.Features, true) }, (c, s) => new FilmOp(), (c, op, v) => v[0]?.Width ?? 0),
            new OpSignature("detach", new[] { X }, (c, s) => new DetachOp(), (c, op, v) => v[0]?.Width ?? 0, hasParameters: false),
            new OpSignature("heads", new[] { X },
                (c, s) => new HeadsOp(c.Tasks, s.Widths("widths", required: true) ?? new EquatableArray<int>(new[] { 1 }), s.Choice("activation", ActivationKind.Relu, Activations)),
                (c, op, v) => Last(((HeadsOp)op).Widths)),
            new OpSignature("moe", new[] { X, new OpInput("by", ValueKind.Features, false) }, BindMoe, MoeWidth),
            new OpSignature("soft_modular", new[] { X, new OpInput("by", ValueKind.Features, true) }, BindSoftModular, SoftModularWidth),
            new OpSignature("progressive", new[] { X }, BindProgressive, (c, op, v) => Last(((ProgressiveOp)op).Widths)),
            new OpSignature("pathnet", new[] { X }, BindPathNet, (c, op, v) => ((PathNetOp)op).Width),
            new OpSignature("gaussian", new[] { X }, BindGaussian, HeadWidth, isHead: true),
            new OpSignature("categorical", new[] { X }, (c, s) =>
            {
                RequireAction(c, ActionKind.Discrete, "categorical");
                return new CategoricalOp(c.Action.Size, s.Bool("per_task", false));
            }, HeadWidth, isHead: true),
            new OpSignature("deterministic", new[] { X }, (c, s) =>
            {
                RequireAction(c, ActionKind.Continuous, "deterministic");
                return new DeterministicOp(c.Action.Size, s.Bool("per_task", false));
            }, HeadWidth, isHead: true),
            new OpSignature("q_values", new[] { X },
                (c, s) => new QValuesOp(c.Action.Kind == ActionKind.Discrete ? c.Action.Size : 1, s.Bool("per_task", false)), HeadWidth, isHead: true),
            new OpSignature("value", new[] { X }, (c, s) => new ValueOp(s.Bool("per_task", false)), HeadWidth, isHead: true),
            new OpSignature("features", new[] { X }, BindFeatures, (c, op, v) => ((FeaturesOp)op).Affine ? ((FeaturesOp)op).Width : v[0]?.Width ?? 0, isHead: true),
        };
        return ops.ToDictionary(o => o.Name, StringComparer.Ordinal);
    }

    /// <summary>The sum of the input widths, which like every width may be at most <see cref="SpecLimits.MaxWidth"/>.</summary>
    private static int ConcatWidth(OpContext c, LayerOp op, IReadOnlyList<Value?> v)
    {
        var sum = v.Sum(x => (long)(x?.Width ?? 0));
        if (sum <= SpecLimits.MaxWidth) return (int)sum;
        c.Diagnostics.Report(DiagnosticCatalog.OutOfRange, c.CallSpan,
            $"concat makes a width of {Sizes.Count(sum)}, but a width must be {NumberRange.Width.Describe(integer: true)}");
        return SpecLimits.MaxWidth;
    }

    private static int Last(EquatableArray<int> widths) => widths.Count == 0 ? 0 : widths[widths.Count - 1];

    private static int HeadWidth(OpContext c, LayerOp op, IReadOnlyList<Value?> v) => op switch
    {
        GaussianOp g => g.ActionSize,
        HeadOp h => h.ReadoutWidth,
        _ => 0,
    };

    private static void RequireAction(OpContext c, ActionKind kind, string head)
    {
        if (c.Action.Kind == kind) return;
        var actual = c.Action.Kind == ActionKind.Discrete ? $"discrete({c.Action.Size})" : $"continuous({c.Action.Size})";
        var fix = kind == ActionKind.Continuous ? "use categorical for discrete actions" : "use gaussian or deterministic for continuous actions";
        c.Diagnostics.Report(DiagnosticCatalog.OutputActionMismatch, c.CallSpan,
            $"{head} needs a {(kind == ActionKind.Continuous ? "continuous" : "discrete")} action space, but the agent's action is {actual}; {fix}");
    }

    private static LayerOp BindGaussian(OpContext c, Settings s)
    {
        RequireAction(c, ActionKind.Continuous, "gaussian");
        var min = -20.0;
        var max = 2.0;
        var bounds = s.Numbers("log_std", NumberRange.Any);
        if (bounds is not null)
        {
            if (bounds.Length != 2 || !(bounds[0] < bounds[1]))
            {
                c.Diagnostics.Report(DiagnosticCatalog.OutOfRange, s.SpanOf("log_std"),
                    "'log_std' of gaussian must be [min, max] with min < max, e.g. [-20, 2]");
            }
            else
            {
                (min, max) = (bounds[0], bounds[1]);
            }
        }
        return new GaussianOp(c.Action.Size, min, max, s.Bool("per_task", false));
    }

    /// <summary>
    /// <c>features(x)</c> is x itself; <c>width</c> makes it an affine predictor of that many
    /// outputs, <c>per_task</c> one predictor per task. The identity's width is x's, filled in
    /// once x is known.
    /// </summary>
    private static LayerOp BindFeatures(OpContext c, Settings s)
    {
        var perTask = s.Bool("per_task", false);
        if (!s.Has("width"))
        {
            if (perTask)
            {
                c.Diagnostics.Report(DiagnosticCatalog.Missing, s.SpanOf("per_task"),
                    "'per_task' applies to a features predictor, which needs its width: features(x, width: …, per_task: true)");
            }
            return new FeaturesOp(0, Affine: false, PerTask: false);
        }
        return new FeaturesOp(s.RequiredInt("width", NumberRange.Width), Affine: true, perTask);
    }

    private static LayerOp BindMoe(OpContext c, Settings s)
    {
        var experts = s.RequiredInt("experts", NumberRange.Modules);
        var widths = s.Widths("widths", required: true) ?? new EquatableArray<int>(new[] { 1 });
        var activation = s.Choice("activation", ActivationKind.Relu, Activations);
        var gate = GateKind.Attention;
        var topK = experts;
        var temperature = 1.0;
        var gateWidths = EquatableArray<int>.Empty;
        var raw = s.Raw("gate");
        if (raw is not null)
        {
            var option = Options.Read(s, "gate", raw, new[] { "per_task", "ensemble", "topk", "attention" }, c.Diagnostics);
            if (option is { } o)
            {
                switch (o.Name)
                {
                    case "per_task":
                        gate = GateKind.PerTask;
                        if (experts != c.Tasks)
                        {
                            c.Diagnostics.Report(DiagnosticCatalog.OutOfRange, s.SpanOf("experts"),
                                $"a per_task gate uses expert t for task t, so 'experts' must equal tasks ({c.Tasks}), found {experts}");
                        }
                        break;
                    case "ensemble":
                        gate = GateKind.Ensemble;
                        break;
                    case "topk":
                        gate = GateKind.TopK;
                        topK = o.Settings.RequiredInt("k", NumberRange.Modules);
                        if (topK > experts)
                        {
                            c.Diagnostics.Report(DiagnosticCatalog.OutOfRange, o.Settings.SpanOf("k"),
                                $"'k' of topk must be at most experts ({experts}), found {topK}");
                            topK = experts;
                        }
                        temperature = o.Settings.Real("temperature", 1.0, NumberRange.Positive);
                        gateWidths = o.Settings.Widths("widths", required: false, allowEmpty: true) ?? EquatableArray<int>.Empty;
                        break;
                    default:
                        gate = GateKind.Attention;
                        temperature = o.Settings.Real("temperature", 1.0, NumberRange.Positive);
                        gateWidths = o.Settings.Widths("widths", required: false, allowEmpty: true) ?? EquatableArray<int>.Empty;
                        break;
                }
                o.Settings.ReportUnknown();
            }
        }
        return new MoeOp(experts, widths, activation, gate, topK, temperature, gateWidths);
    }

    private static int MoeWidth(OpContext c, LayerOp op, IReadOnlyList<Value?> v)
    {
        var moe = (MoeOp)op;
        if (moe.Gate is GateKind.PerTask or GateKind.Ensemble && v.Count > 1 && v[1] is { IsError: false } by)
        {
            c.Diagnostics.Report(DiagnosticCatalog.NoEffect, by.Span,
                $"'by' has no effect: a {(moe.Gate == GateKind.PerTask ? "per_task" : "ensemble")} gate reads nothing");
        }
        return Last(moe.Widths);
    }

    private static LayerOp BindSoftModular(OpContext c, Settings s)
    {
        var layers = s.RequiredInt("layers", NumberRange.Layers);
        var modules = s.RequiredInt("modules", NumberRange.Modules);
        var width = s.RequiredInt("width", NumberRange.Width);
        var routing = s.Int("routing", width, NumberRange.Width);
        var mix = s.Choice("mix", SoftModularMix.Gated, Mixes);
        var style = s.Choice("style", SoftModularStyle.SoftModule, Styles);
        if (style == SoftModularStyle.SoftModule)
        {
            // Soft-Module's final gate conditions on the routing probabilities between layers, and
            // its output is always gated: neither exists with one layer or a mean.
            if (layers == 1 && s.Has("layers"))
            {
                c.Diagnostics.Report(DiagnosticCatalog.OutOfRange, s.SpanOf("layers"),
                    "soft_modular with style: soft_module needs layers ≥ 2 (its gate conditions on the routing between layers), found 1; use style: mtrl for one layer");
            }
            if (mix == SoftModularMix.Mean)
            {
                c.Diagnostics.Report(DiagnosticCatalog.ValueNotAllowed, s.SpanOf("mix"),
                    "mix: mean needs style: mtrl; style: soft_module (the default) always gates its output");
            }
        }
        return new SoftModularOp(layers, modules, width, routing, mix, style);
    }

    private static int SoftModularWidth(OpContext c, LayerOp op, IReadOnlyList<Value?> v)
    {
        if (v.Count > 1 && v[0] is { Kind: ValueKind.Features } x && v[1] is { Kind: ValueKind.Features } by && x.Width != by.Width)
        {
            c.Diagnostics.Report(DiagnosticCatalog.WidthMismatch, by.Span,
                $"soft_modular routes on x ⊙ by, so they need equal widths: x is {x.Width} wide ({x.Origin}), by is {by.Width} wide ({by.Origin})");
        }
        return ((SoftModularOp)op).Width;
    }

    private static LayerOp BindProgressive(OpContext c, Settings s)
    {
        var columns = s.Int("columns", c.Tasks, NumberRange.Integers(1, SpecLimits.MaxTasks));
        if (columns != c.Tasks && s.Has("columns"))
        {
            c.Diagnostics.Report(DiagnosticCatalog.OutOfRange, s.SpanOf("columns"),
                $"progressive networks have one column per task, so 'columns' must equal tasks ({c.Tasks}), found {columns}");
            columns = c.Tasks;
        }
        var widths = s.Widths("widths", required: true) ?? new EquatableArray<int>(new[] { 1 });
        var activation = s.Choice("activation", ActivationKind.Relu, Activations);
        var reduction = s.Int("reduction", 64, NumberRange.Width);
        var alpha = s.Real("alpha", 0.01, NumberRange.NonNegative);
        return new ProgressiveOp(columns, widths, activation, reduction, alpha);
    }

    private static LayerOp BindPathNet(OpContext c, Settings s)
    {
        var layers = s.RequiredInt("layers", NumberRange.Layers);
        var modules = s.RequiredInt("modules", NumberRange.Modules);
        var active = s.RequiredInt("active", NumberRange.Modules);
        if (active > modules && s.Has("active") && s.Has("modules"))
        {
            c.Diagnostics.Report(DiagnosticCatalog.OutOfRange, s.SpanOf("active"),
                $"'active' of pathnet must be at most modules ({modules}), found {active}");
            active = modules;
        }
        var width = s.RequiredInt("width", NumberRange.Width);
        var activation = s.Choice("activation", ActivationKind.Relu, Activations);
        return new PathNetOp(layers, modules, active, width, activation);
    }
}
