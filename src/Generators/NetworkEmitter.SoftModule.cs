using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;
using static Mtrl.Generators.CSharpLiterals;

namespace Mtrl.Generators;

/// <summary>
/// Soft modularization in the style of Yang et al. 2020 and RchalYang/Soft-Module's
/// ModularGatedCascadeCondNet (docs/language.md, <c>style: soft_module</c>): the routing input reads
/// relu(x ⊙ by), each routing layer and the output gate condition on all earlier routing
/// probabilities side by side, modules are affine and each mix of module outputs goes through a
/// ReLU (the mix into the next layer and the gated output alike). Layer 0's modules read relu(x).
/// </summary>
internal sealed partial class NetworkEmitter
{
    private void PlanSoftModule(NodeModel node, SoftModularOp op, List<string> backward)
    {
        var name = node.Name;
        var prefix = Prefix(node);
        var x = In(node, "x");
        var by = In(node, "by");
        var d = InWidth(node, "x");
        int n = op.Modules, layers = op.Layers, w = op.Width, r = op.RoutingWidth, n2 = op.Modules * op.Modules;
        var needs = _needsGradient.Contains(name);

        var modules = Field(name, "Modules");
        var outputs = Field(name, "ModuleOutputs");
        var inputs = Field(name, "Inputs");
        var probabilities = Field(name, "Probabilities");
        var relu = Field(name, "Activation");
        var concat = Field(name, "Grid");
        var split = Field(name, "Split");
        var route = Field(name, "Route");
        var mix = Field(name, "Mix");
        var product = Field(name, "Product");
        var features = Field(name, "RoutingFeatures");
        var baseRelu = Field(name, "BaseActivation");
        var u = Field(name, "RoutingInput");
        var gateWeights = Field(name, "GateWeights");
        Layer("Activation", relu, NewActivation(ActivationKind.Relu));
        Layer("Concat", concat, $"new Concat({Repeat(w, n)})");
        Layer("Split", split, $"new Split({Repeat(w, n)})");
        Layer("ModuleMix", route, $"new ModuleMix({Int(n)}, {Int(n)}, {Int(w)})");
        Layer("ModuleMix", mix, $"new ModuleMix({Int(n)}, 1, {Int(w)})");
        Layer("Linear", Field(name, "RouteIn"), $"new Linear(store, {AffineSlices(ParameterNames.RouteIn(prefix))})");
        for (var l = 0; l < layers - 1; l++)
        {
            if (l > 0) Layer("Linear", Field(name, $"Up{l}"), $"new Linear(store, {AffineSlices(ParameterNames.RouteUp(prefix, l))})");
            Layer("Linear", Field(name, $"Down{l}"), $"new Linear(store, {AffineSlices(ParameterNames.RouteDown(prefix, l))})");
        }
        Layer("Linear", Field(name, "UpGate"), $"new Linear(store, {AffineSlices(ParameterNames.RouteUpGate(prefix))})");
        Layer("Linear", Field(name, "Gate"), $"new Linear(store, {AffineSlices(ParameterNames.RouteGate(prefix))})");
        // Condition l (l = 1 … L − 1, the last one the gate's) is [p⁰ | … | p^{l−1}]; with one part it is p⁰ itself.
        for (var l = 2; l < layers; l++)
        {
            Layer("Concat", Field(name, $"Earlier{l}"), $"new Concat({Repeat(n2, l)})");
            Buffer(Field(name, $"Condition{l}"), l * n2);
        }
        string Condition(int l) => l == 1 ? $"{probabilities}[0]" : Field(name, $"Condition{l}");

        Declare("Linear[][]", modules);
        _fields.Add($"private readonly float[][][] {outputs};");
        _fields.Add($"private readonly float[][][] {inputs};");
        _fields.Add($"private readonly float[][] {probabilities};");
        _constructor.Add($"{modules} = new Linear[{Int(layers)}][];");
        _constructor.Add($"{outputs} = new float[{Int(layers)}][][];");
        _constructor.Add($"{inputs} = new float[{Int(layers)}][][];");
        _constructor.Add($"for (var layer = 0; layer < {Int(layers)}; layer++)");
        _constructor.Add("{");
        _constructor.Add($"    {modules}[layer] = new Linear[{Int(n)}];");
        _constructor.Add($"    {outputs}[layer] = new float[{Int(n)}][];");
        _constructor.Add($"    {inputs}[layer] = new float[layer == 0 ? 0 : {Int(n)}][];");
        _constructor.Add($"    for (var module = 0; module < {Int(n)}; module++)");
        _constructor.Add("    {");
        _constructor.Add($"        {modules}[layer][module] = new Linear(store, {AffineSlices(ParameterNames.Module(prefix, "{layer}", "{module}"))});");
        _constructor.Add($"        {outputs}[layer][module] = new float[maxBatch * {Int(w)}];");
        _constructor.Add($"        if (layer > 0) {inputs}[layer][module] = new float[maxBatch * {Int(w)}];");
        _constructor.Add("    }");
        _constructor.Add("}");
        _constructor.Add($"{probabilities} = new float[{Int(layers - 1)}][];");
        _constructor.Add($"for (var layer = 0; layer < {Int(layers - 1)}; layer++) {probabilities}[layer] = new float[maxBatch * {Int(n2)}];");

        // Routing: u = route_in(relu(x ⊙ by)); p⁰ = softmax(down₀(relu(u)));
        // pˡ = softmax(downₗ(relu(upₗ([p⁰ | … | pˡ⁻¹]) ⊙ u))).
        Buffer(product, d);
        Buffer(features, d);
        Buffer(u, r);
        _forward.Add($"ElementwiseProduct.Forward({Value(x)}, {Value(by)}, {product}, batch * {Int(d)});");
        _forward.Add($"{relu}.Forward({product}, {features}, batch * {Int(d)});");
        _forward.Add($"{Field(name, "RouteIn")}.Forward({features}, {u}, batch);");
        var scores = Field(name, "RoutingScores");
        Buffer(scores, n2);
        for (var l = 0; l < layers - 1; l++)
        {
            var routed = l == 0 ? u : Field(name, $"Routed{l}");
            if (l > 0)
            {
                if (l > 1)
                {
                    for (var k = 0; k < l; k++) _forward.Add($"{Field(name, $"Earlier{l}")}.Forward({Int(k)}, {probabilities}[{k}], {Condition(l)}, batch);");
                }
                Buffer(Field(name, $"Up{l}Out"), r);
                Buffer(routed, r);
                _forward.Add($"{Field(name, $"Up{l}")}.Forward({Condition(l)}, {Field(name, $"Up{l}Out")}, batch);");
                _forward.Add($"ElementwiseProduct.Forward({Field(name, $"Up{l}Out")}, {u}, {routed}, batch * {Int(r)});");
            }
            Buffer(Field(name, $"Hidden{l}"), r);
            _forward.Add($"{relu}.Forward({routed}, {Field(name, $"Hidden{l}")}, batch * {Int(r)});");
            _forward.Add($"{Field(name, $"Down{l}")}.Forward({Field(name, $"Hidden{l}")}, {scores}, batch);");
            _forward.Add($"RowSoftmax.Forward({scores}, {probabilities}[{l}], batch * {Int(n)}, {Int(n)});");
        }

        // The output gate: g = softmax(gate(relu(up_gate([p⁰ | … | p^{L−2}]) ⊙ u))).
        var gateCondition = Condition(layers - 1);
        if (layers > 2)
        {
            for (var k = 0; k < layers - 1; k++) _forward.Add($"{Field(name, $"Earlier{layers - 1}")}.Forward({Int(k)}, {probabilities}[{k}], {gateCondition}, batch);");
        }
        Buffer(Field(name, "UpGateOut"), r);
        Buffer(Field(name, "GateRouted"), r);
        Buffer(Field(name, "GateHidden"), r);
        Buffer(Field(name, "GateScores"), n);
        Buffer(gateWeights, n);
        _forward.Add($"{Field(name, "UpGate")}.Forward({gateCondition}, {Field(name, "UpGateOut")}, batch);");
        _forward.Add($"ElementwiseProduct.Forward({Field(name, "UpGateOut")}, {u}, {Field(name, "GateRouted")}, batch * {Int(r)});");
        _forward.Add($"{relu}.Forward({Field(name, "GateRouted")}, {Field(name, "GateHidden")}, batch * {Int(r)});");
        _forward.Add($"{Field(name, "Gate")}.Forward({Field(name, "GateHidden")}, {Field(name, "GateScores")}, batch);");
        _forward.Add($"RowSoftmax.Forward({Field(name, "GateScores")}, {gateWeights}, batch, {Int(n)});");

        // Modules: layer 0 reads relu(x); module j of layer l reads relu(Σₖ pˡ⁻¹[j, k] · yₖˡ⁻¹),
        // the ReLU taken in place on the mixed grid (its backward masks by the ReLU's output).
        Buffer(baseRelu, d);
        _forward.Add($"{relu}.Forward({Value(x)}, {baseRelu}, batch * {Int(d)});");
        for (var l = 0; l < layers; l++)
        {
            Buffer(Field(name, $"Grid{l}"), n * w);
            if (l > 0)
            {
                Buffer(Field(name, $"Mixed{l}"), n * w);
                _forward.Add($"{route}.Forward({probabilities}[{l - 1}], {Field(name, $"Grid{l - 1}")}, {Field(name, $"Mixed{l}")}, batch);");
                _forward.Add($"{relu}.Forward({Field(name, $"Mixed{l}")}, {Field(name, $"Mixed{l}")}, batch * {Int(n * w)});");
            }
            _forward.Add($"for (var module = 0; module < {Int(n)}; module++)");
            _forward.Add("{");
            if (l > 0) _forward.Add($"    {split}.Forward(module, {Field(name, $"Mixed{l}")}, {inputs}[{l}][module], batch);");
            _forward.Add($"    {modules}[{l}][module].Forward({(l == 0 ? baseRelu : $"{inputs}[{l}][module]")}, {outputs}[{l}][module], batch);");
            _forward.Add($"    {concat}.Forward(module, {outputs}[{l}][module], {Field(name, $"Grid{l}")}, batch);");
            _forward.Add("}");
        }

        // Output: relu(Σⱼ gⱼ · yⱼ^{L−1}), the ReLU in place.
        _forward.Add($"{mix}.Forward({gateWeights}, {Field(name, $"Grid{layers - 1}")}, {Field(name)}, batch);");
        _forward.Add($"{relu}.Forward({Field(name)}, {Field(name)}, batch * {Int(w)});");
        if (!needs) return;

        var dGrid = GradientField(name, "Grid");
        var dOut = GradientField(name, "Out");
        var dMix = GradientField(name, "Mix");
        var dU = GradientField(name, "RoutingInput");
        var dProbabilities = GradientField(name, "Probabilities");
        var dCondition = GradientField(name, "Condition");
        var dUp = GradientField(name, "UpOut");
        var dScores = GradientField(name, "RoutingScores");
        var dRouted = GradientField(name, "Routed");
        var part = GradientField(name, "Part");
        Buffer(dGrid, n * w);
        Buffer(dOut, w);
        Buffer(dMix, w);
        Buffer(dU, r);
        Buffer(dUp, r);
        Buffer(dScores, n2);
        Buffer(dRouted, r);
        if (layers > 2) Buffer(dCondition, (layers - 1) * n2);
        Buffer(part, Math.Max(Math.Max(r, n2), Math.Max(w, d)));
        _fields.Add($"private readonly float[][] {dProbabilities};");
        _constructor.Add($"{dProbabilities} = new float[{Int(layers - 1)}][];");
        _constructor.Add($"for (var layer = 0; layer < {Int(layers - 1)}; layer++) {dProbabilities}[layer] = new float[maxBatch * {Int(n2)}];");
        var dWeights = GradientField(name, "GateWeights");
        var dGateScores = GradientField(name, "GateScores");
        Buffer(dWeights, n);
        Buffer(dGateScores, n);

        // Back through the conditioning layer l (the gate's when l = L − 1): its input gradient
        // goes to every probability matrix it read.
        void BackThroughCondition(int l, string upLayer, string upOut, string dRoutedStep)
        {
            backward.Add($"ElementwiseProduct.Backward({upOut}, {u}, {dRoutedStep}, {dUp}, {part}, batch * {Int(r)});");
            backward.Add(AddInto(dU, part, $"batch * {Int(r)}"));
            if (l == 1)
            {
                backward.Add($"{upLayer}.Backward({probabilities}[0], {dUp}, {part}, batch);");
                backward.Add(AddInto($"{dProbabilities}[0]", part, $"batch * {Int(n2)}"));
                return;
            }
            backward.Add($"{upLayer}.Backward({Condition(l)}, {dUp}, {dCondition}, batch);");
            backward.Add($"for (var earlier = 0; earlier < {Int(l)}; earlier++)");
            backward.Add("{");
            backward.Add($"    {Field(name, $"Earlier{l}")}.Backward(earlier, {dCondition}, {part}, batch);");
            backward.Add("    " + AddInto($"{dProbabilities}[earlier]", part, $"batch * {Int(n2)}"));
            backward.Add("}");
        }

        backward.Add($"{relu}.Backward({Field(name)}, {Field(name)}, {OutputGradient(node)}, {dMix}, batch * {Int(w)});");
        backward.Add($"{mix}.Backward({gateWeights}, {Field(name, $"Grid{layers - 1}")}, {dMix}, {dWeights}, {dGrid}, batch);");
        // Every routing gradient sums parts (mixing, later conditions, the gate): clear, then add.
        backward.Add($"Array.Clear({dU}, 0, batch * {Int(r)});");
        backward.Add($"for (var layer = 0; layer < {Int(layers - 1)}; layer++) Array.Clear({dProbabilities}[layer], 0, batch * {Int(n2)});");
        backward.Add($"RowSoftmax.Backward({gateWeights}, {dWeights}, {dGateScores}, batch, {Int(n)});");
        // The gate is the only reader of relu(gateRouted): straight to the ReLU's input.
        backward.Add($"{Field(name, "Gate")}.BackwardThroughRelu({Field(name, "GateHidden")}, {dGateScores}, {dRouted}, batch);");
        BackThroughCondition(layers - 1, Field(name, "UpGate"), Field(name, "UpGateOut"), dRouted);

        var dMixed = GradientField(name, "Mixed");
        var dInput = GradientField(name, "Input");
        Buffer(dMixed, n * w);
        Buffer(dInput, w);
        for (var l = layers - 1; l >= 1; l--)
        {
            // Each module is the only reader of its share of relu(mixed): straight to the ReLU's input.
            backward.Add($"for (var module = 0; module < {Int(n)}; module++)");
            backward.Add("{");
            backward.Add($"    {concat}.Backward(module, {dGrid}, {dOut}, batch);");
            backward.Add($"    {modules}[{l}][module].BackwardThroughRelu({inputs}[{l}][module], {dOut}, {dInput}, batch);");
            backward.Add($"    {split}.Backward(module, {dInput}, {dMixed}, batch);");
            backward.Add("}");
            backward.Add($"{route}.Backward({probabilities}[{l - 1}], {Field(name, $"Grid{l - 1}")}, {dMixed}, {part}, {dGrid}, batch);");
            backward.Add(AddInto($"{dProbabilities}[{l - 1}]", part, $"batch * {Int(n2)}"));
            // p^{l−1} has all its gradient now (later conditions and the gate came first): back through its routing step.
            var step = l - 1;
            backward.Add($"RowSoftmax.Backward({probabilities}[{step}], {dProbabilities}[{step}], {dScores}, batch * {Int(n)}, {Int(n)});");
            backward.Add($"{Field(name, $"Down{step}")}.BackwardThroughRelu({Field(name, $"Hidden{step}")}, {dScores}, {dRouted}, batch);");
            if (step == 0) backward.Add(AddInto(dU, dRouted, $"batch * {Int(r)}"));
            else BackThroughCondition(step, Field(name, $"Up{step}"), Field(name, $"Up{step}Out"), dRouted);
        }

        // Layer 0 reads relu(x): its modules' input gradients sum in dBase, then go through that ReLU.
        var target = AccumulationTarget(backward, x, d);
        var dBase = GradientField(name, "BaseActivation");
        if (target is not null) Buffer(dBase, d);
        backward.Add($"for (var module = 0; module < {Int(n)}; module++)");
        backward.Add("{");
        backward.Add($"    {concat}.Backward(module, {dGrid}, {dOut}, batch);");
        if (target is null)
        {
            backward.Add($"    {modules}[0][module].Backward({baseRelu}, {dOut}, default, batch);");
        }
        else
        {
            backward.Add($"    {modules}[0][module].Backward({baseRelu}, {dOut}, module == 0 ? {dBase} : {part}, batch);");
            backward.Add("    if (module > 0) " + AddInto(dBase, part, $"batch * {Int(d)}"));
        }
        backward.Add("}");
        if (target is not null)
        {
            backward.Add($"{relu}.Backward({baseRelu}, {baseRelu}, {dBase}, {part}, batch * {Int(d)});");
            backward.Add(AddInto(target, part, $"batch * {Int(d)}"));
        }

        // The routing input: route_in is the only reader of relu(x ⊙ by).
        var dProduct = GradientField(name, "Product");
        var byTakesGradient = ReceivesGradient(by);
        if (target is not null || byTakesGradient) Buffer(dProduct, d);
        backward.Add($"{Field(name, "RouteIn")}.BackwardThroughRelu({features}, {dU}, {(target is not null || byTakesGradient ? dProduct : "default")}, batch);");
        if (target is null && !byTakesGradient) return;
        var dBy = InputGradient(by, d, out var accumulateBy);
        backward.Add($"ElementwiseProduct.Backward({Value(x)}, {Value(by)}, {dProduct}, {(target is null ? "default" : part)}, {dBy}, batch * {Int(d)});");
        if (target is not null) backward.Add(AddInto(target, part, $"batch * {Int(d)}"));
        if (accumulateBy) Accumulate(backward, by, d);
    }
}
