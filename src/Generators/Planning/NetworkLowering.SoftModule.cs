using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Dsl;
using Mtrl.Dsl.Model;
using static Mtrl.Generators.Planning.FieldNames;

namespace Mtrl.Generators.Planning;

/// <summary>
/// Soft modularization in the style of Yang et al. 2020 and RchalYang/Soft-Module's
/// ModularGatedCascadeCondNet (docs/language.md, <c>style: soft_module</c>): the routing input reads
/// relu(x ⊙ by), each routing layer and the output gate condition on all earlier routing
/// probabilities side by side, modules are affine and each mix of module outputs goes through a
/// ReLU (the mix into the next layer and the gated output alike). Layer 0's modules read relu(x).
/// </summary>
internal sealed partial class NetworkLowering
{
    private void LowerSoftModule(NodeModel node, SoftModularOp op, List<BackwardStep> backward)
    {
        var name = node.Name;
        var prefix = Prefix(node);
        var x = In(node, "x");
        var by = In(node, "by");
        var d = InWidth(node, "x");
        int n = op.Modules, layers = op.Layers, w = op.Width, r = op.RoutingWidth, n2 = op.Modules * op.Modules;
        var needs = _needsGradient.Contains(name);

        LowerRoutingLayers(node, op, split: true, upGate: true, gate: true);
        // Condition l (l = 1 … L − 1, the last one the gate's) is [p⁰ | … | p^{l−1}]; with one part it is p⁰ itself.
        for (var l = 2; l < layers; l++)
        {
            Layer(FieldElement.Concat, Field(name, $"Earlier{l}"), new ConcatCreation(Enumerable.Repeat(n2, l).ToEquatableArray()));
            Buffer(Field(name, $"Condition{l}"), l * n2);
        }
        Declare(new FieldPlan(Field(name, "Modules"), FieldElement.Linear, 2));
        Declare(new FieldPlan(Field(name, "ModuleOutputs"), FieldElement.Float, 3));
        Declare(new FieldPlan(Field(name, "Inputs"), FieldElement.Float, 3));
        Declare(new FieldPlan(Field(name, "Probabilities"), FieldElement.Float, 2));
        Construct(new AllocateBlock(new SoftModularGridAllocation(name, layers, n, w, "ModuleOutputs", true, ModuleSlices(prefix))));
        Construct(new AllocateBlock(new LayerWorkspaces(Field(name, "Probabilities"), layers - 1, n2, true)));

        Buffer(Field(name, "Product"), d);
        Buffer(Field(name, "RoutingFeatures"), d);
        Buffer(Field(name, "RoutingInput"), r);
        Buffer(Field(name, "RoutingScores"), n2);
        for (var l = 0; l < layers - 1; l++)
        {
            if (l > 0)
            {
                Buffer(Field(name, $"Up{l}Out"), r);
                Buffer(Field(name, $"Routed{l}"), r);
            }
            Buffer(Field(name, $"Hidden{l}"), r);
        }
        Buffer(Field(name, "UpGateOut"), r);
        Buffer(Field(name, "GateRouted"), r);
        Buffer(Field(name, "GateHidden"), r);
        Buffer(Field(name, "GateScores"), n);
        Buffer(Field(name, "GateWeights"), n);
        Buffer(Field(name, "BaseActivation"), d);
        for (var l = 0; l < layers; l++)
        {
            Buffer(Field(name, $"Grid{l}"), n * w);
            if (l > 0) Buffer(Field(name, $"Mixed{l}"), n * w);
        }

        var target = new SummedGradient(null, false, d);
        var routes = false;
        var byGradient = InputGradient.None;
        if (needs)
        {
            Buffer(GradientField(name, "Grid"), n * w);
            Buffer(GradientField(name, "Out"), w);
            Buffer(GradientField(name, "Mix"), w);
            Buffer(GradientField(name, "RoutingInput"), r);
            Buffer(GradientField(name, "UpOut"), r);
            Buffer(GradientField(name, "RoutingScores"), n2);
            Buffer(GradientField(name, "Routed"), r);
            if (layers > 2) Buffer(GradientField(name, "Condition"), (layers - 1) * n2);
            Buffer(GradientField(name, "Part"), Math.Max(Math.Max(r, n2), Math.Max(w, d)));
            Declare(new FieldPlan(GradientField(name, "Probabilities"), FieldElement.Float, 2));
            Construct(new AllocateBlock(new LayerWorkspaces(GradientField(name, "Probabilities"), layers - 1, n2, true)));
            Buffer(GradientField(name, "GateWeights"), n);
            Buffer(GradientField(name, "GateScores"), n);
            Buffer(GradientField(name, "Mixed"), n * w);
            Buffer(GradientField(name, "Input"), w);
            // Layer 0 reads relu(x): its modules' input gradients sum in the base gradient, then go through that ReLU.
            target = SummedGradientOf(x, d);
            if (target.Target is not null) Buffer(GradientField(name, "BaseActivation"), d);
            routes = target.Target is not null || ReceivesGradient(by);
            if (routes)
            {
                Buffer(GradientField(name, "Product"), d);
                byGradient = InputGradientOf(by, d);
            }
        }
        var plan = new SoftModularPlan(name, op.Style, Value(x), d, Value(by), layers, n, w, r, Gated: true, needs, OutputGradientOf(node), target, routes, byGradient);
        _forward.Add(new BlockForward(plan));
        if (needs) backward.Add(new BlockBackward(plan));
    }
}
