using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl;
using Mtrl.Dsl.Model;
using static Mtrl.Generators.Planning.FieldNames;

namespace Mtrl.Generators.Planning;

/// <summary>Soft modularization, <c>style: mtrl</c> (the <c>soft_module</c> style is NetworkLowering.SoftModule.cs).</summary>
internal sealed partial class NetworkLowering
{
    private readonly List<(NodeModel Node, SoftModularOp Op)> _softModular = new();

    /// <summary>
    /// The routing cascade on u = route_in(x ⊙ by), L layers of n modules mixed by the routing
    /// probabilities, then a mean or gated output mix (docs/language.md). Each module's ReLU runs
    /// inside its call (the backward masks by the module's output). The routing ReLUs read
    /// elementwise products, so they run apart, but each output is read only by one Linear
    /// (down or gate), whose BackwardThroughRelu carries the gradient through it.
    /// </summary>
    private void LowerSoftModular(NodeModel node, SoftModularOp op, List<BackwardStep> backward)
    {
        _softModular.Add((node, op));
        if (op.Style == SoftModularStyle.SoftModule)
        {
            LowerSoftModule(node, op, backward);
            return;
        }
        var name = node.Name;
        var prefix = Prefix(node);
        var x = In(node, "x");
        var by = In(node, "by");
        var d = InWidth(node, "x");
        int n = op.Modules, layers = op.Layers, w = op.Width, r = op.RoutingWidth, n2 = op.Modules * op.Modules;
        var gated = op.Mix == SoftModularMix.Gated;
        var needs = _needsGradient.Contains(name);

        LowerRoutingLayers(node, op, split: layers > 1, upGate: gated && layers > 1, gate: gated);
        Declare(new FieldPlan(Field(name, "Modules"), FieldElement.Linear, 2));
        Declare(new FieldPlan(Field(name, "Post"), FieldElement.Float, 3));
        if (layers > 1) Declare(new FieldPlan(Field(name, "Inputs"), FieldElement.Float, 3));
        Declare(new FieldPlan(Field(name, "Probabilities"), FieldElement.Float, 2));
        Construct(new AllocateBlock(new SoftModularGridAllocation(name, layers, n, w, "Post", layers > 1, ModuleSlices(prefix))));
        Construct(new AllocateBlock(new LayerWorkspaces(Field(name, "Probabilities"), layers - 1, n2, layers > 1)));

        Buffer(Field(name, "Product"), d);
        Buffer(Field(name, "RoutingInput"), r);
        if (layers > 1) Buffer(Field(name, "RoutingScores"), n2);
        for (var l = 0; l < layers - 1; l++)
        {
            if (l > 0)
            {
                Buffer(Field(name, $"Up{l}Out"), r);
                Buffer(Field(name, $"Routed{l}"), r);
            }
            Buffer(Field(name, $"Hidden{l}"), r);
        }
        for (var l = 0; l < layers; l++)
        {
            Buffer(Field(name, $"Grid{l}"), n * w);
            if (l > 0) Buffer(Field(name, $"Mixed{l}"), n * w);
        }
        var outWeights = Field(name, gated ? "GateWeights" : "MeanWeights");
        Buffer(outWeights, n);
        if (gated)
        {
            if (layers > 1)
            {
                Buffer(Field(name, "UpGateOut"), r);
                Buffer(Field(name, "GateRouted"), r);
            }
            Buffer(Field(name, "GateHidden"), r);
            Buffer(Field(name, "GateScores"), n);
        }
        else
        {
            Construct(new FillUniform(outWeights, n));
        }

        var target = new SummedGradient(null, false, d);
        var routes = false;
        var byGradient = InputGradient.None;
        if (needs)
        {
            Buffer(GradientField(name, "Grid"), n * w);
            Buffer(GradientField(name, "Out"), w);
            Buffer(GradientField(name, "Pre"), w);
            Buffer(GradientField(name, "RoutingInput"), r);
            Buffer(GradientField(name, "Part"), Math.Max(Math.Max(r, n2), Math.Max(w, d)));
            if (layers > 1)
            {
                Declare(new FieldPlan(GradientField(name, "Probabilities"), FieldElement.Float, 2));
                Construct(new AllocateBlock(new LayerWorkspaces(GradientField(name, "Probabilities"), layers - 1, n2, true)));
            }
            if (gated)
            {
                Buffer(GradientField(name, "GateWeights"), n);
                Buffer(GradientField(name, "GateScores"), n);
                Buffer(GradientField(name, "GateRouted"), r);
                if (layers > 1) Buffer(GradientField(name, "UpGateOut"), r);
            }
            if (layers > 1)
            {
                Buffer(GradientField(name, "Mixed"), n * w);
                Buffer(GradientField(name, "Input"), w);
                Buffer(GradientField(name, "RoutingScores"), n2);
                Buffer(GradientField(name, "Routed"), r);
            }
            // Routing layers after the first take their gradient through an up-projection.
            if (layers > 2) Buffer(GradientField(name, "UpOut"), r);
            target = SummedGradientOf(x, d);
            routes = target.Target is not null || ReceivesGradient(by);
            if (routes)
            {
                Buffer(GradientField(name, "Product"), d);
                byGradient = InputGradientOf(by, d);
            }
        }
        var plan = new SoftModularPlan(name, op.Style, Value(x), d, Value(by), layers, n, w, r, gated, needs, OutputGradientOf(node), target, routes, byGradient);
        _forward.Add(new BlockForward(plan));
        if (needs) backward.Add(new BlockBackward(plan));
    }

    /// <summary>The modules' affine slices, indexed by layer and module.</summary>
    private static SliceName ModuleSlices(string prefix) =>
        SliceName.Indexed(ParameterNames.Module(prefix, SliceName.Placeholder(LoopIndex.Layer), SliceName.Placeholder(LoopIndex.Module)), LoopIndex.Layer | LoopIndex.Module);

    /// <summary>
    /// The layers both styles share: the ReLU, the grid's concatenation, the routed mix between
    /// layers (<paramref name="split"/>), the output mix, route_in, each routing layer's up and
    /// down projections, and the output gate's (<paramref name="upGate"/>, <paramref name="gate"/>).
    /// </summary>
    private void LowerRoutingLayers(NodeModel node, SoftModularOp op, bool split, bool upGate, bool gate)
    {
        var name = node.Name;
        var prefix = Prefix(node);
        int n = op.Modules, layers = op.Layers, w = op.Width;
        var parts = Enumerable.Repeat(w, n).ToEquatableArray();
        Layer(FieldElement.Activation, Field(name, "Activation"), new ActivationCreation(ActivationKind.Relu));
        Layer(FieldElement.Concat, Field(name, "Grid"), new ConcatCreation(parts));
        if (split)
        {
            Layer(FieldElement.Split, Field(name, "Split"), new SplitCreation(parts));
            Layer(FieldElement.ModuleMix, Field(name, "Route"), new ModuleMixCreation(n, n, w));
        }
        Layer(FieldElement.ModuleMix, Field(name, "Mix"), new ModuleMixCreation(n, 1, w));
        Layer(FieldElement.Linear, Field(name, "RouteIn"), new LinearCreation(SliceName.Literal(ParameterNames.RouteIn(prefix))));
        for (var l = 0; l < layers - 1; l++)
        {
            if (l > 0) Layer(FieldElement.Linear, Field(name, $"Up{l}"), new LinearCreation(SliceName.Literal(ParameterNames.RouteUp(prefix, l))));
            Layer(FieldElement.Linear, Field(name, $"Down{l}"), new LinearCreation(SliceName.Literal(ParameterNames.RouteDown(prefix, l))));
        }
        if (upGate) Layer(FieldElement.Linear, Field(name, "UpGate"), new LinearCreation(SliceName.Literal(ParameterNames.RouteUpGate(prefix))));
        if (gate) Layer(FieldElement.Linear, Field(name, "Gate"), new LinearCreation(SliceName.Literal(ParameterNames.RouteGate(prefix))));
    }
}
