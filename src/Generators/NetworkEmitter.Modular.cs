using System;
using System.CodeDom.Compiler;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Semantics;
using static Mtrl.Generators.CSharpLiterals;

namespace Mtrl.Generators;

/// <summary>
/// The modular blocks: mixtures of experts with learned or fixed gates, soft modularization and
/// progressive columns (docs/language.md gives each definition; docs/decisions.md the choices
/// between references). Like PathNet, every repeated module is an array of layers walked by a
/// loop, and every per-layer step is written out.
/// </summary>
internal sealed partial class NetworkEmitter
{
    private readonly List<(NodeModel Node, SoftModularOp Op)> _softModular = new();
    private readonly List<(NodeModel Node, ProgressiveOp Op)> _progressive = new();

    private static string Repeat(int width, int count) => string.Join(", ", Enumerable.Repeat(Int(width), count));

    private static string NewActivation(ActivationKind activation) => $"new Activation(ActivationKind.{activation})";

    private static string AddInto(string target, string part, string length) =>
        $"TensorPrimitives.Add({target}.AsSpan(0, {length}), {part}.AsSpan(0, {length}), {target}.AsSpan(0, {length}));";

    private static string AddRows(string target, string part, string offset, string length) =>
        $"TensorPrimitives.Add({target}.AsSpan({offset}, {length}), {part}.AsSpan(0, {length}), {target}.AsSpan({offset}, {length}));";

    /// <summary>
    /// The gradient buffer a node adds its parts into (one per module), or null when the source
    /// takes no gradient. Backward clears a buffer with several contributions on entry; one with a
    /// single contribution (a one-module node) is cleared here.
    /// </summary>
    private string? AccumulationTarget(List<string> backward, string source, int width)
    {
        if (!ReceivesGradient(source)) return null;
        var target = source == "action" ? "_dAction" : GradientField(source);
        if (_contributions[source] == 1) backward.Add($"Array.Clear({target}, 0, batch * {Int(width)});");
        return target;
    }

    /// <summary>
    /// Mixture of experts (attention, top-k or ensemble gate): every expert MLP runs on the whole
    /// batch, the gate gives each sample its weights w [batch, E], and ModuleMix forms
    /// Σₑ wₑ · expertₑ(x). Per-task gates are scheduled as a per-task MLP instead (PlanNode).
    /// ReLU experts run each ReLU inside its layer's call (ForwardRelu, no pre-activation kept;
    /// the next layer's BackwardThroughRelu, or for the last layer a mask by the output), and so
    /// do the gate's hidden ReLU layers, each read only by the next gate layer.
    /// </summary>
    private void PlanMoe(NodeModel node, MoeOp moe, List<string> backward)
    {
        var name = node.Name;
        var prefix = Prefix(node);
        var x = In(node, "x");
        var inputWidth = InWidth(node, "x");
        var widths = moe.Widths.ToArray();
        int experts = moe.Experts, depth = widths.Length, width = node.Width;
        var learned = moe.Gate is GateKind.Attention or GateKind.TopK;
        var layers = Field(name, "Experts");
        var pre = Field(name, "Pre");
        var post = Field(name, "Post");
        var activation = Field(name, "Activation");
        var grid = Field(name, "Grid");
        var outputs = Field(name, "ExpertOutputs");
        var weights = Field(name, "Weights");
        var mix = Field(name, "Mix");
        var needs = _needsGradient.Contains(name);
        // relu(x·W + b) in one call; the activation object is then only needed for the last
        // layer's backward, which masks by the output (relu(a) > 0 ⇔ a > 0).
        var fuse = moe.Activation == ActivationKind.Relu;

        if (!fuse || needs) Layer("Activation", activation, NewActivation(moe.Activation));
        Layer("Concat", grid, $"new Concat({Repeat(width, experts)})");
        Layer("ModuleMix", mix, $"new ModuleMix({Int(experts)}, 1, {Int(width)})");
        Declare("Linear[][]", layers);
        if (!fuse) _fields.Add($"private readonly float[][][] {pre};");
        _fields.Add($"private readonly float[][][] {post};");
        _constructor.Add($"{layers} = new Linear[{Int(experts)}][];");
        if (!fuse) _constructor.Add($"{pre} = new float[{Int(experts)}][][];");
        _constructor.Add($"{post} = new float[{Int(experts)}][][];");
        _constructor.Add($"for (var expert = 0; expert < {Int(experts)}; expert++)");
        _constructor.Add("{");
        _constructor.Add($"    {layers}[expert] = new[]");
        _constructor.Add("    {");
        for (var i = 0; i < depth; i++)
        {
            _constructor.Add($"        new Linear(store, {AffineSlices(ParameterNames.Layer(ParameterNames.Expert(prefix, "{expert}"), i))}),");
        }
        _constructor.Add("    };");
        if (!fuse) _constructor.Add($"    {pre}[expert] = new[] {{ {string.Join(", ", widths.Select(w => $"new float[maxBatch * {Int(w)}]"))} }};");
        _constructor.Add($"    {post}[expert] = new[] {{ {string.Join(", ", widths.Select(w => $"new float[maxBatch * {Int(w)}]"))} }};");
        _constructor.Add("}");
        Buffer(outputs, experts * width);
        Buffer(weights, experts);
        if (moe.Gate == GateKind.Ensemble) _constructor.Add($"Array.Fill({weights}, 1f / {Int(experts)});");

        _forward.Add($"for (var expert = 0; expert < {Int(experts)}; expert++)");
        _forward.Add("{");
        for (var i = 0; i < depth; i++)
        {
            var input = i == 0 ? Value(x) : $"{post}[expert][{i - 1}]";
            if (fuse)
            {
                _forward.Add($"    {layers}[expert][{i}].ForwardRelu({input}, {post}[expert][{i}], batch);");
                continue;
            }
            _forward.Add($"    {layers}[expert][{i}].Forward({input}, {pre}[expert][{i}], batch);");
            _forward.Add($"    {activation}.Forward({pre}[expert][{i}], {post}[expert][{i}], batch * {Int(widths[i])});");
        }
        _forward.Add($"    {grid}.Forward(expert, {post}[expert][{depth - 1}], {outputs}, batch);");
        _forward.Add("}");

        // The gate g(by): hidden ReLU layers, an affine layer to E scores, softmax(scores / T).
        var gateLayers = new List<(string Layer, string Input, int Width)>();
        var logits = Field(name, "GateScores");
        string? by = node.Inputs.Any(i => i.Parameter == "by") ? In(node, "by") : null;
        var gateInput = by is null ? Field(name, "GateInput") : Value(by);
        if (learned)
        {
            if (by is null)
            {
                // No 'by': the gate reads the one-hot task id (docs/decisions.md).
                Layer("OneHot", Field(name, "TaskOneHot"), "new OneHot(Tasks)");
                Buffer(gateInput, _agent.Tasks);
                _forward.Add($"{Field(name, "TaskOneHot")}.Forward(_taskIds, {gateInput}, batch);");
            }
            // Each hidden ReLU runs inside its layer's call and is read only by the next gate
            // layer, whose BackwardThroughRelu carries the gradient through it.
            var current = gateInput;
            for (var i = 0; i < moe.GateWidths.Count; i++)
            {
                var fc = Field(name, $"Gate{i}");
                var hidden = Field(name, $"GateHidden{i}");
                Layer("Linear", fc, $"new Linear(store, {AffineSlices(ParameterNames.GateLayer(prefix, i))})");
                Buffer(hidden, moe.GateWidths[i]);
                _forward.Add($"{fc}.ForwardRelu({current}, {hidden}, batch);");
                gateLayers.Add((fc, current, moe.GateWidths[i]));
                current = hidden;
            }
            var gateOut = Field(name, "GateOut");
            Layer("Linear", gateOut, $"new Linear(store, {AffineSlices(ParameterNames.GateOut(prefix))})");
            Buffer(logits, experts);
            _forward.Add($"{gateOut}.Forward({current}, {logits}, batch);");
            gateLayers.Add((gateOut, current, experts));
            if (moe.Temperature != 1.0)
            {
                _forward.Add($"TensorPrimitives.Multiply({logits}.AsSpan(0, batch * {Int(experts)}), 1f / {Float(moe.Temperature)}, {logits}.AsSpan(0, batch * {Int(experts)}));");
            }
            _forward.Add(moe.Gate == GateKind.TopK
                ? $"RowTopKSoftmax.Forward({logits}, {weights}, batch, {Int(experts)}, {Int(moe.TopK)});"
                : $"RowSoftmax.Forward({logits}, {weights}, batch, {Int(experts)});");
        }
        _forward.Add($"{mix}.Forward({weights}, {outputs}, {Field(name)}, batch);");
        if (!needs) return;

        var dOutputs = GradientField(name, "ExpertOutputs");
        var dWeights = GradientField(name, "Weights");
        Buffer(dOutputs, experts * width);
        if (learned) Buffer(dWeights, experts);
        backward.Add($"{mix}.Backward({weights}, {outputs}, {OutputGradient(node)}, {(learned ? dWeights : "default")}, {dOutputs}, batch);");
        var target = AccumulationTarget(backward, x, inputWidth);
        var inputPart = GradientField(name, "InputPart");
        if (target is not null) Buffer(inputPart, inputWidth);
        for (var i = 0; i < depth; i++)
        {
            // Fused, only the last layer's output gradient has a buffer: the others are written through their ReLU.
            if (!fuse || i == depth - 1) Buffer(GradientField(name, $"Post{i}"), widths[i]);
            Buffer(GradientField(name, $"Pre{i}"), widths[i]);
        }
        backward.Add($"for (var expert = 0; expert < {Int(experts)}; expert++)");
        backward.Add("{");
        backward.Add($"    {grid}.Backward(expert, {dOutputs}, {GradientField(name, $"Post{depth - 1}")}, batch);");
        for (var i = depth - 1; i >= 0; i--)
        {
            var input = i == 0 ? Value(x) : $"{post}[expert][{i - 1}]";
            if (fuse)
            {
                // The last ReLU masks by its output; layer i > 0 reads layer i − 1's ReLU output
                // (its only consumer) and writes the gradient at that ReLU's input.
                if (i == depth - 1) backward.Add($"    {activation}.Backward({post}[expert][{i}], {post}[expert][{i}], {GradientField(name, $"Post{i}")}, {GradientField(name, $"Pre{i}")}, batch * {Int(widths[i])});");
                backward.Add(i > 0
                    ? $"    {layers}[expert][{i}].BackwardThroughRelu({input}, {GradientField(name, $"Pre{i}")}, {GradientField(name, $"Pre{i - 1}")}, batch);"
                    : $"    {layers}[expert][{i}].Backward({input}, {GradientField(name, $"Pre{i}")}, {(target is null ? "default" : inputPart)}, batch);");
                continue;
            }
            var dInput = i > 0 ? GradientField(name, $"Post{i - 1}") : target is null ? "default" : inputPart;
            backward.Add($"    {activation}.Backward({pre}[expert][{i}], {post}[expert][{i}], {GradientField(name, $"Post{i}")}, {GradientField(name, $"Pre{i}")}, batch * {Int(widths[i])});");
            backward.Add($"    {layers}[expert][{i}].Backward({input}, {GradientField(name, $"Pre{i}")}, {dInput}, batch);");
        }
        if (target is not null) backward.Add("    " + AddInto(target, inputPart, $"batch * {Int(inputWidth)}"));
        backward.Add("}");
        if (!learned) return;

        var dLogits = GradientField(name, "GateScores");
        Buffer(dLogits, experts);
        backward.Add(moe.Gate == GateKind.TopK
            ? $"RowTopKSoftmax.Backward({weights}, {dWeights}, {dLogits}, batch, {Int(experts)});"
            : $"RowSoftmax.Backward({weights}, {dWeights}, {dLogits}, batch, {Int(experts)});");
        if (moe.Temperature != 1.0)
        {
            backward.Add($"TensorPrimitives.Multiply({dLogits}.AsSpan(0, batch * {Int(experts)}), 1f / {Float(moe.Temperature)}, {dLogits}.AsSpan(0, batch * {Int(experts)}));");
        }
        var gradient = dLogits;
        for (var i = gateLayers.Count - 1; i >= 0; i--)
        {
            var (fc, input, _) = gateLayers[i];
            if (i > 0)
            {
                // The input is hidden layer i − 1's ReLU output: the gradient goes on from that ReLU's input.
                var dPre = GradientField(name, $"GatePre{i - 1}");
                Buffer(dPre, gateLayers[i - 1].Width);
                backward.Add($"{fc}.BackwardThroughRelu({input}, {gradient}, {dPre}, batch);");
                gradient = dPre;
                continue;
            }
            var accumulate = false;
            var dInput = by is null ? "default" : InputGradient(by, InWidth(node, "by"), out accumulate);
            backward.Add($"{fc}.Backward({input}, {gradient}, {dInput}, batch);");
            if (accumulate) Accumulate(backward, by!, InWidth(node, "by"));
        }
    }

    /// <summary>
    /// Soft modularization, <c>style: mtrl</c> (docs/language.md): the routing cascade on u = route_in(x ⊙ by), L
    /// layers of n modules mixed by the routing probabilities, then a mean or gated output mix.
    /// Each module's ReLU runs inside its call (ForwardRelu; the backward masks by the module's
    /// output). The routing ReLUs read elementwise products, so they run apart, but each output
    /// is read only by one Linear (down or gate), whose BackwardThroughRelu carries the gradient
    /// through it.
    /// </summary>
    private void PlanSoftModular(NodeModel node, SoftModularOp op, List<string> backward)
    {
        var name = node.Name;
        var prefix = Prefix(node);
        var x = In(node, "x");
        var by = In(node, "by");
        var d = InWidth(node, "x");
        int n = op.Modules, layers = op.Layers, w = op.Width, r = op.RoutingWidth, n2 = op.Modules * op.Modules;
        _softModular.Add((node, op));
        if (op.Style == SoftModularStyle.SoftModule)
        {
            PlanSoftModule(node, op, backward);
            return;
        }
        var gated = op.Mix == SoftModularMix.Gated;
        var needs = _needsGradient.Contains(name);

        var modules = Field(name, "Modules");
        var post = Field(name, "Post");
        var inputs = Field(name, "Inputs");
        var probabilities = Field(name, "Probabilities");
        var relu = Field(name, "Activation");
        var concat = Field(name, "Grid");
        var split = Field(name, "Split");
        var route = Field(name, "Route");
        var mix = Field(name, "Mix");
        var product = Field(name, "Product");
        var u = Field(name, "RoutingInput");
        Layer("Activation", relu, NewActivation(ActivationKind.Relu));
        Layer("Concat", concat, $"new Concat({Repeat(w, n)})");
        if (layers > 1)
        {
            Layer("Split", split, $"new Split({Repeat(w, n)})");
            Layer("ModuleMix", route, $"new ModuleMix({Int(n)}, {Int(n)}, {Int(w)})");
        }
        Layer("ModuleMix", mix, $"new ModuleMix({Int(n)}, 1, {Int(w)})");
        Layer("Linear", Field(name, "RouteIn"), $"new Linear(store, {AffineSlices(ParameterNames.RouteIn(prefix))})");
        for (var l = 0; l < layers - 1; l++)
        {
            if (l > 0) Layer("Linear", Field(name, $"Up{l}"), $"new Linear(store, {AffineSlices(ParameterNames.RouteUp(prefix, l))})");
            Layer("Linear", Field(name, $"Down{l}"), $"new Linear(store, {AffineSlices(ParameterNames.RouteDown(prefix, l))})");
        }
        if (gated)
        {
            if (layers > 1) Layer("Linear", Field(name, "UpGate"), $"new Linear(store, {AffineSlices(ParameterNames.RouteUpGate(prefix))})");
            Layer("Linear", Field(name, "Gate"), $"new Linear(store, {AffineSlices(ParameterNames.RouteGate(prefix))})");
        }
        Declare("Linear[][]", modules);
        _fields.Add($"private readonly float[][][] {post};");
        if (layers > 1) _fields.Add($"private readonly float[][][] {inputs};");
        _fields.Add($"private readonly float[][] {probabilities};");
        _constructor.Add($"{modules} = new Linear[{Int(layers)}][];");
        _constructor.Add($"{post} = new float[{Int(layers)}][][];");
        if (layers > 1) _constructor.Add($"{inputs} = new float[{Int(layers)}][][];");
        _constructor.Add($"for (var layer = 0; layer < {Int(layers)}; layer++)");
        _constructor.Add("{");
        _constructor.Add($"    {modules}[layer] = new Linear[{Int(n)}];");
        _constructor.Add($"    {post}[layer] = new float[{Int(n)}][];");
        if (layers > 1) _constructor.Add($"    {inputs}[layer] = new float[layer == 0 ? 0 : {Int(n)}][];");
        _constructor.Add($"    for (var module = 0; module < {Int(n)}; module++)");
        _constructor.Add("    {");
        _constructor.Add($"        {modules}[layer][module] = new Linear(store, {AffineSlices(ParameterNames.Module(prefix, "{layer}", "{module}"))});");
        _constructor.Add($"        {post}[layer][module] = new float[maxBatch * {Int(w)}];");
        if (layers > 1) _constructor.Add($"        if (layer > 0) {inputs}[layer][module] = new float[maxBatch * {Int(w)}];");
        _constructor.Add("    }");
        _constructor.Add("}");
        _constructor.Add($"{probabilities} = new float[{Int(layers - 1)}][];");
        if (layers > 1) _constructor.Add($"for (var layer = 0; layer < {Int(layers - 1)}; layer++) {probabilities}[layer] = new float[maxBatch * {Int(n2)}];");

        // Routing: u = route_in(x ⊙ by); p⁰ = softmax(down₀(relu(u))); pˡ = softmax(downₗ(relu(upₗ(pˡ⁻¹) ⊙ u))).
        Buffer(product, d);
        Buffer(u, r);
        _forward.Add($"ElementwiseProduct.Forward({Value(x)}, {Value(by)}, {product}, batch * {Int(d)});");
        _forward.Add($"{Field(name, "RouteIn")}.Forward({product}, {u}, batch);");
        var scores = Field(name, "RoutingScores");
        if (layers > 1) Buffer(scores, n2);
        for (var l = 0; l < layers - 1; l++)
        {
            var routed = l == 0 ? u : Field(name, $"Routed{l}");
            if (l > 0)
            {
                Buffer(Field(name, $"Up{l}Out"), r);
                Buffer(routed, r);
                _forward.Add($"{Field(name, $"Up{l}")}.Forward({probabilities}[{l - 1}], {Field(name, $"Up{l}Out")}, batch);");
                _forward.Add($"ElementwiseProduct.Forward({Field(name, $"Up{l}Out")}, {u}, {routed}, batch * {Int(r)});");
            }
            Buffer(Field(name, $"Hidden{l}"), r);
            _forward.Add($"{relu}.Forward({routed}, {Field(name, $"Hidden{l}")}, batch * {Int(r)});");
            _forward.Add($"{Field(name, $"Down{l}")}.Forward({Field(name, $"Hidden{l}")}, {scores}, batch);");
            _forward.Add($"RowSoftmax.Forward({scores}, {probabilities}[{l}], batch * {Int(n)}, {Int(n)});");
        }

        // Modules: layer 0 reads x; module j of layer l reads Σₖ pˡ⁻¹[j, k] · yₖˡ⁻¹.
        for (var l = 0; l < layers; l++)
        {
            Buffer(Field(name, $"Grid{l}"), n * w);
            if (l > 0)
            {
                Buffer(Field(name, $"Mixed{l}"), n * w);
                _forward.Add($"{route}.Forward({probabilities}[{l - 1}], {Field(name, $"Grid{l - 1}")}, {Field(name, $"Mixed{l}")}, batch);");
            }
            _forward.Add($"for (var module = 0; module < {Int(n)}; module++)");
            _forward.Add("{");
            if (l > 0) _forward.Add($"    {split}.Forward(module, {Field(name, $"Mixed{l}")}, {inputs}[{l}][module], batch);");
            _forward.Add($"    {modules}[{l}][module].ForwardRelu({(l == 0 ? Value(x) : $"{inputs}[{l}][module]")}, {post}[{l}][module], batch);");
            _forward.Add($"    {concat}.Forward(module, {post}[{l}][module], {Field(name, $"Grid{l}")}, batch);");
            _forward.Add("}");
        }

        // Output: the mean of the last layer's modules, or g = softmax(gate(relu(up_gate(p^{L−2}) ⊙ u))).
        var outWeights = Field(name, gated ? "GateWeights" : "MeanWeights");
        Buffer(outWeights, n);
        if (gated)
        {
            var gateRouted = layers > 1 ? Field(name, "GateRouted") : u;
            if (layers > 1)
            {
                Buffer(Field(name, "UpGateOut"), r);
                Buffer(gateRouted, r);
                _forward.Add($"{Field(name, "UpGate")}.Forward({probabilities}[{layers - 2}], {Field(name, "UpGateOut")}, batch);");
                _forward.Add($"ElementwiseProduct.Forward({Field(name, "UpGateOut")}, {u}, {gateRouted}, batch * {Int(r)});");
            }
            Buffer(Field(name, "GateHidden"), r);
            Buffer(Field(name, "GateScores"), n);
            _forward.Add($"{relu}.Forward({gateRouted}, {Field(name, "GateHidden")}, batch * {Int(r)});");
            _forward.Add($"{Field(name, "Gate")}.Forward({Field(name, "GateHidden")}, {Field(name, "GateScores")}, batch);");
            _forward.Add($"RowSoftmax.Forward({Field(name, "GateScores")}, {outWeights}, batch, {Int(n)});");
        }
        else
        {
            _constructor.Add($"Array.Fill({outWeights}, 1f / {Int(n)});");
        }
        _forward.Add($"{mix}.Forward({outWeights}, {Field(name, $"Grid{layers - 1}")}, {Field(name)}, batch);");
        if (!needs) return;

        var dGrid = GradientField(name, "Grid");
        var dOut = GradientField(name, "Out");
        var dPre = GradientField(name, "Pre");
        var dU = GradientField(name, "RoutingInput");
        var dProbabilities = GradientField(name, "Probabilities");
        var part = GradientField(name, "Part");
        Buffer(dGrid, n * w);
        Buffer(dOut, w);
        Buffer(dPre, w);
        Buffer(dU, r);
        Buffer(part, Math.Max(Math.Max(r, n2), Math.Max(w, d)));
        if (layers > 1)
        {
            _fields.Add($"private readonly float[][] {dProbabilities};");
            _constructor.Add($"{dProbabilities} = new float[{Int(layers - 1)}][];");
            _constructor.Add($"for (var layer = 0; layer < {Int(layers - 1)}; layer++) {dProbabilities}[layer] = new float[maxBatch * {Int(n2)}];");
        }
        var dWeights = GradientField(name, "GateWeights");
        if (gated) Buffer(dWeights, n);
        backward.Add($"{mix}.Backward({outWeights}, {Field(name, $"Grid{layers - 1}")}, {OutputGradient(node)}, {(gated ? dWeights : "default")}, {dGrid}, batch);");
        // Every routing gradient sums parts (mixing, the next up-projection, the gate): clear, then add.
        backward.Add($"Array.Clear({dU}, 0, batch * {Int(r)});");
        if (layers > 1) backward.Add($"for (var layer = 0; layer < {Int(layers - 1)}; layer++) Array.Clear({dProbabilities}[layer], 0, batch * {Int(n2)});");
        if (gated)
        {
            var dScores = GradientField(name, "GateScores");
            var dRouted = GradientField(name, "GateRouted");
            Buffer(dScores, n);
            Buffer(dRouted, r);
            backward.Add($"RowSoftmax.Backward({outWeights}, {dWeights}, {dScores}, batch, {Int(n)});");
            // The gate is the only reader of relu(gateRouted): straight to the ReLU's input.
            backward.Add($"{Field(name, "Gate")}.BackwardThroughRelu({Field(name, "GateHidden")}, {dScores}, {dRouted}, batch);");
            if (layers > 1)
            {
                var dUp = GradientField(name, "UpGateOut");
                Buffer(dUp, r);
                backward.Add($"ElementwiseProduct.Backward({Field(name, "UpGateOut")}, {u}, {dRouted}, {dUp}, {part}, batch * {Int(r)});");
                backward.Add(AddInto(dU, part, $"batch * {Int(r)}"));
                backward.Add($"{Field(name, "UpGate")}.Backward({probabilities}[{layers - 2}], {dUp}, {part}, batch);");
                backward.Add(AddInto($"{dProbabilities}[{layers - 2}]", part, $"batch * {Int(n2)}"));
            }
            else
            {
                backward.Add(AddInto(dU, dRouted, $"batch * {Int(r)}"));
            }
        }
        var dMixed = GradientField(name, "Mixed");
        var dInput = GradientField(name, "Input");
        if (layers > 1)
        {
            Buffer(dMixed, n * w);
            Buffer(dInput, w);
            Buffer(GradientField(name, "RoutingScores"), n2);
            Buffer(GradientField(name, "Routed"), r);
        }
        for (var l = layers - 1; l >= 1; l--)
        {
            backward.Add($"for (var module = 0; module < {Int(n)}; module++)");
            backward.Add("{");
            backward.Add($"    {concat}.Backward(module, {dGrid}, {dOut}, batch);");
            backward.Add($"    {relu}.Backward({post}[{l}][module], {post}[{l}][module], {dOut}, {dPre}, batch * {Int(w)});");
            backward.Add($"    {modules}[{l}][module].Backward({inputs}[{l}][module], {dPre}, {dInput}, batch);");
            backward.Add($"    {split}.Backward(module, {dInput}, {dMixed}, batch);");
            backward.Add("}");
            backward.Add($"{route}.Backward({probabilities}[{l - 1}], {Field(name, $"Grid{l - 1}")}, {dMixed}, {part}, {dGrid}, batch);");
            backward.Add(AddInto($"{dProbabilities}[{l - 1}]", part, $"batch * {Int(n2)}"));
            // p^{l−1} has all its gradient now: back through its routing step.
            var step = l - 1;
            backward.Add($"RowSoftmax.Backward({probabilities}[{step}], {dProbabilities}[{step}], {GradientField(name, "RoutingScores")}, batch * {Int(n)}, {Int(n)});");
            // down is the only reader of its relu(routed): straight to the ReLU's input.
            backward.Add($"{Field(name, $"Down{step}")}.BackwardThroughRelu({Field(name, $"Hidden{step}")}, {GradientField(name, "RoutingScores")}, {GradientField(name, "Routed")}, batch);");
            if (step == 0)
            {
                backward.Add(AddInto(dU, GradientField(name, "Routed"), $"batch * {Int(r)}"));
            }
            else
            {
                var dUp = GradientField(name, "UpOut");
                Buffer(dUp, r);
                backward.Add($"ElementwiseProduct.Backward({Field(name, $"Up{step}Out")}, {u}, {GradientField(name, "Routed")}, {dUp}, {part}, batch * {Int(r)});");
                backward.Add(AddInto(dU, part, $"batch * {Int(r)}"));
                backward.Add($"{Field(name, $"Up{step}")}.Backward({probabilities}[{step - 1}], {dUp}, {part}, batch);");
                backward.Add(AddInto($"{dProbabilities}[{step - 1}]", part, $"batch * {Int(n2)}"));
            }
        }
        var target = AccumulationTarget(backward, x, d);
        backward.Add($"for (var module = 0; module < {Int(n)}; module++)");
        backward.Add("{");
        backward.Add($"    {concat}.Backward(module, {dGrid}, {dOut}, batch);");
        backward.Add($"    {relu}.Backward({post}[0][module], {post}[0][module], {dOut}, {dPre}, batch * {Int(w)});");
        backward.Add($"    {modules}[0][module].Backward({Value(x)}, {dPre}, {(target is null ? "default" : part)}, batch);");
        if (target is not null) backward.Add("    " + AddInto(target, part, $"batch * {Int(d)}"));
        backward.Add("}");
        var dProduct = GradientField(name, "Product");
        var byTakesGradient = ReceivesGradient(by);
        if (target is not null || byTakesGradient) Buffer(dProduct, d);
        backward.Add($"{Field(name, "RouteIn")}.Backward({product}, {dU}, {(target is not null || byTakesGradient ? dProduct : "default")}, batch);");
        if (target is null && !byTakesGradient) return;
        var dBy = InputGradient(by, d, out var accumulateBy);
        backward.Add($"ElementwiseProduct.Backward({Value(x)}, {Value(by)}, {dProduct}, {(target is null ? "default" : part)}, {dBy}, batch * {Int(d)});");
        if (target is not null) backward.Add(AddInto(target, part, $"batch * {Int(d)}"));
        if (accumulateBy) Accumulate(backward, by, d);
    }

    /// <summary>
    /// Progressive columns (Rusu et al. 2016, docs/language.md): rows are put in task order, so the
    /// samples that need column k (tasks ≥ k) are one contiguous suffix [Start(k), batch); column k
    /// runs on that suffix, its lateral adapters read the same rows of the earlier columns, and
    /// each sample's output is its own task's column. With ReLU, a layer without laterals (layer 0,
    /// or every layer of a one-column network) and each lateral's reduction run the ReLU inside
    /// the Linear's call (ForwardRelu, no pre-activation kept) and mask by the output in the
    /// backward. A layer with laterals adds them before its ReLU, so it keeps its pre-activation;
    /// and since a layer's output is also read by later columns' laterals, whose gradients are
    /// summed before its ReLU, no layer takes the gradient through the ReLU it reads.
    /// </summary>
    private void PlanProgressive(NodeModel node, ProgressiveOp op, List<string> backward)
    {
        var name = node.Name;
        var prefix = Prefix(node);
        var x = In(node, "x");
        var inputWidth = InWidth(node, "x");
        var widths = op.Widths.ToArray();
        int depth = widths.Length, c = op.Reduction, last = widths[depth - 1];
        var columns = _agent.Tasks;
        var needs = _needsGradient.Contains(name);
        _progressive.Add((node, op));
        var activation = Field(name, "Activation");
        var input = Field(name, "Input");
        var sorted = Field(name, "Sorted");
        var fuse = op.Activation == ActivationKind.Relu;
        bool HasLaterals(int i) => i > 0 && columns > 1;
        bool Fused(int i) => fuse && !HasLaterals(i);
        if (!fuse || needs || (columns > 1 && depth > 1)) Layer("Activation", activation, NewActivation(op.Activation));
        Buffer(input, inputWidth);
        Buffer(sorted, last);
        if (_progressive.Count == 1)
        {
            _fields.Add("private int _activeColumns;");
            _constructor.Add("_activeColumns = 1;");
        }
        var maxLateral = (columns - 1) * widths.Take(depth - 1).DefaultIfEmpty(0).Max();
        for (var i = 0; i < depth; i++)
        {
            Declare("Linear[]", Field(name, $"Fc{i}"));
            if (!Fused(i)) _fields.Add($"private readonly float[][] {Field(name, $"Pre{i}")};");
            _fields.Add($"private readonly float[][] {Field(name, $"Post{i}")};");
            _constructor.Add($"{Field(name, $"Fc{i}")} = new Linear[Tasks];");
            if (!Fused(i)) _constructor.Add($"{Field(name, $"Pre{i}")} = new float[Tasks][];");
            _constructor.Add($"{Field(name, $"Post{i}")} = new float[Tasks][];");
            _constructor.Add("for (var column = 0; column < Tasks; column++)");
            _constructor.Add("{");
            _constructor.Add($"    {Field(name, $"Fc{i}")}[column] = new Linear(store, {AffineSlices(ParameterNames.Layer(ParameterNames.Column(prefix, "{column}"), i))});");
            if (!Fused(i)) _constructor.Add($"    {Field(name, $"Pre{i}")}[column] = new float[maxBatch * {Int(widths[i])}];");
            _constructor.Add($"    {Field(name, $"Post{i}")}[column] = new float[maxBatch * {Int(widths[i])}];");
            _constructor.Add("}");
            if (i == 0 || columns < 2) continue;
            // Lateral adapters of layer i, one per column k ≥ 1, stored at [k − 1].
            var wIn = widths[i - 1];
            foreach (var (type, suffix) in new[] { ("Scale", "Alpha"), ("Linear", "Reduce"), ("LinearMap", "Up"), ("Concat", "Earlier") })
            {
                Declare($"{type}[]", Field(name, $"{suffix}{i}"));
                _constructor.Add($"{Field(name, $"{suffix}{i}")} = new {type}[Tasks - 1];");
            }
            foreach (var suffix in new[] { "Lateral", "Scaled", "ReducedPre", "Reduced" })
            {
                if (fuse && suffix == "ReducedPre") continue;
                _fields.Add($"private readonly float[][] {Field(name, $"{suffix}{i}")};");
                _constructor.Add($"{Field(name, $"{suffix}{i}")} = new float[Tasks - 1][];");
            }
            _constructor.Add("for (var column = 1; column < Tasks; column++)");
            _constructor.Add("{");
            _constructor.Add($"    {Field(name, $"Alpha{i}")}[column - 1] = new Scale(store, {Slice(ParameterNames.LateralAlpha(ParameterNames.Column(prefix, "{column}"), i))});");
            _constructor.Add($"    {Field(name, $"Reduce{i}")}[column - 1] = new Linear(store, {AffineSlices(ParameterNames.LateralReduce(ParameterNames.Column(prefix, "{column}"), i))});");
            _constructor.Add($"    {Field(name, $"Up{i}")}[column - 1] = new LinearMap(store, {Slice(ParameterNames.Weight(ParameterNames.LateralUp(ParameterNames.Column(prefix, "{column}"), i)))});");
            _constructor.Add($"    {Field(name, $"Earlier{i}")}[column - 1] = new Concat(Parts(column, {Int(wIn)}));");
            _constructor.Add($"    {Field(name, $"Lateral{i}")}[column - 1] = new float[maxBatch * column * {Int(wIn)}];");
            _constructor.Add($"    {Field(name, $"Scaled{i}")}[column - 1] = new float[maxBatch * column * {Int(wIn)}];");
            if (!fuse) _constructor.Add($"    {Field(name, $"ReducedPre{i}")}[column - 1] = new float[maxBatch * {Int(c)}];");
            _constructor.Add($"    {Field(name, $"Reduced{i}")}[column - 1] = new float[maxBatch * {Int(c)}];");
            _constructor.Add("}");
        }
        if (columns > 1 && depth > 1) Buffer(Field(name, "LateralOut"), widths.Skip(1).Max());

        _forward.Add($"if (_tasks.Start(_activeColumns) < batch) throw new InvalidOperationException($\"the batch holds a task whose column is not active yet (active: 0 .. {{_activeColumns - 1}}); call AddColumn\");");
        _forward.Add($"TaskRows.Gather({Value(x)}, _tasks, {input}, {Int(inputWidth)});");
        for (var i = 0; i < depth; i++)
        {
            var wi = widths[i];
            var source = i == 0 ? input : $"{Field(name, $"Post{i - 1}")}[column]";
            var sourceWidth = i == 0 ? inputWidth : widths[i - 1];
            _forward.Add("for (var column = 0; column < _activeColumns; column++)");
            _forward.Add("{");
            _forward.Add("    var start = _tasks.Start(column);");
            _forward.Add("    var count = batch - start;");
            _forward.Add("    if (count == 0) break;");
            if (Fused(i))
            {
                _forward.Add($"    {Field(name, $"Fc{i}")}[column].ForwardRelu({source}.AsSpan(start * {Int(sourceWidth)}), {Field(name, $"Post{i}")}[column].AsSpan(start * {Int(wi)}), count);");
                _forward.Add("}");
                continue;
            }
            _forward.Add($"    var pre = {Field(name, $"Pre{i}")}[column].AsSpan(start * {Int(wi)});");
            _forward.Add($"    {Field(name, $"Fc{i}")}[column].Forward({source}.AsSpan(start * {Int(sourceWidth)}), pre, count);");
            if (i > 0 && columns > 1)
            {
                var wIn = widths[i - 1];
                var k = "column - 1";
                _forward.Add("    if (column > 0)");
                _forward.Add("    {");
                _forward.Add($"        var lateral = {Field(name, $"Lateral{i}")}[{k}].AsSpan(start * column * {Int(wIn)});");
                _forward.Add($"        var scaled = {Field(name, $"Scaled{i}")}[{k}].AsSpan(start * column * {Int(wIn)});");
                if (!fuse) _forward.Add($"        var reducedPre = {Field(name, $"ReducedPre{i}")}[{k}].AsSpan(start * {Int(c)});");
                _forward.Add($"        var reduced = {Field(name, $"Reduced{i}")}[{k}].AsSpan(start * {Int(c)});");
                _forward.Add($"        for (var earlier = 0; earlier < column; earlier++) {Field(name, $"Earlier{i}")}[{k}].Forward(earlier, {Field(name, $"Post{i - 1}")}[earlier].AsSpan(start * {Int(wIn)}), lateral, count);");
                _forward.Add($"        {Field(name, $"Alpha{i}")}[{k}].Forward(lateral, scaled, count * column * {Int(wIn)});");
                if (fuse)
                {
                    _forward.Add($"        {Field(name, $"Reduce{i}")}[{k}].ForwardRelu(scaled, reduced, count);");
                }
                else
                {
                    _forward.Add($"        {Field(name, $"Reduce{i}")}[{k}].Forward(scaled, reducedPre, count);");
                    _forward.Add($"        {activation}.Forward(reducedPre, reduced, count * {Int(c)});");
                }
                _forward.Add($"        {Field(name, $"Up{i}")}[{k}].Forward(reduced, {Field(name, "LateralOut")}, count);");
                _forward.Add($"        TensorPrimitives.Add(pre.Slice(0, count * {Int(wi)}), {Field(name, "LateralOut")}.AsSpan(0, count * {Int(wi)}), pre.Slice(0, count * {Int(wi)}));");
                _forward.Add("    }");
            }
            _forward.Add($"    {activation}.Forward(pre, {Field(name, $"Post{i}")}[column].AsSpan(start * {Int(wi)}), count * {Int(wi)});");
            _forward.Add("}");
        }
        _forward.Add("// Each sample reads out its own task's column.");
        _forward.Add("for (var column = 0; column < _activeColumns; column++)");
        _forward.Add("{");
        _forward.Add($"    int start = _tasks.Start(column), count = _tasks.Count(column);");
        _forward.Add($"    {Field(name, $"Post{depth - 1}")}[column].AsSpan(start * {Int(last)}, count * {Int(last)}).CopyTo({sorted}.AsSpan(start * {Int(last)}));");
        _forward.Add("}");
        _forward.Add($"TaskRows.Scatter({sorted}, _tasks, {Field(name)}, {Int(last)});");
        if (!needs) return;

        var dSorted = GradientField(name, "Sorted");
        var dPre = GradientField(name, "Pre");
        var part = GradientField(name, "Part");
        Buffer(dSorted, last);
        Buffer(dPre, widths.Max());
        Buffer(part, Math.Max(widths.Max(), inputWidth));
        for (var i = 0; i < depth; i++)
        {
            _fields.Add($"private readonly float[][] {GradientField(name, $"Post{i}")};");
            _constructor.Add($"{GradientField(name, $"Post{i}")} = new float[Tasks][];");
            _constructor.Add($"for (var column = 0; column < Tasks; column++) {GradientField(name, $"Post{i}")}[column] = new float[maxBatch * {Int(widths[i])}];");
        }
        if (columns > 1 && depth > 1)
        {
            Buffer(GradientField(name, "Reduced"), c);
            Buffer(GradientField(name, "ReducedPre"), c);
            Buffer(GradientField(name, "Scaled"), maxLateral);
            Buffer(GradientField(name, "Lateral"), maxLateral);
        }
        var xGradient = InputGradient(x, inputWidth, out var accumulateX);
        var dInput = GradientField(name, "Input");
        if (xGradient != "default")
        {
            Buffer(dInput, inputWidth);
            backward.Add($"Array.Clear({dInput}, 0, batch * {Int(inputWidth)});");
        }
        backward.Add($"TaskRows.Gather({OutputGradient(node)}, _tasks, {dSorted}, {Int(last)});");
        backward.Add("for (var column = 0; column < _activeColumns; column++)");
        backward.Add("{");
        for (var i = 0; i < depth; i++) backward.Add($"    Array.Clear({GradientField(name, $"Post{i}")}[column], 0, batch * {Int(widths[i])});");
        backward.Add($"    int start = _tasks.Start(column), count = _tasks.Count(column);");
        backward.Add($"    {dSorted}.AsSpan(start * {Int(last)}, count * {Int(last)}).CopyTo({GradientField(name, $"Post{depth - 1}")}[column].AsSpan(start * {Int(last)}));");
        backward.Add("}");
        // Later columns first: their laterals add into the earlier columns' gradients.
        backward.Add("for (var column = _activeColumns - 1; column >= 0; column--)");
        backward.Add("{");
        backward.Add("    var start = _tasks.Start(column);");
        backward.Add("    var count = batch - start;");
        backward.Add("    if (count == 0) continue;");
        for (var i = depth - 1; i >= 0; i--)
        {
            var wi = widths[i];
            var source = i == 0 ? input : $"{Field(name, $"Post{i - 1}")}[column]";
            var sourceWidth = i == 0 ? inputWidth : widths[i - 1];
            backward.Add($"    {activation}.Backward({Field(name, Fused(i) ? $"Post{i}" : $"Pre{i}")}[column].AsSpan(start * {Int(wi)}), {Field(name, $"Post{i}")}[column].AsSpan(start * {Int(wi)}), {GradientField(name, $"Post{i}")}[column].AsSpan(start * {Int(wi)}), {dPre}, count * {Int(wi)});");
            if (i > 0)
            {
                backward.Add($"    {Field(name, $"Fc{i}")}[column].Backward({source}.AsSpan(start * {Int(sourceWidth)}), {dPre}, {part}, count);");
                backward.Add("    " + AddRows($"{GradientField(name, $"Post{i - 1}")}[column]", part, $"start * {Int(sourceWidth)}", $"count * {Int(sourceWidth)}"));
                if (columns > 1)
                {
                    var wIn = widths[i - 1];
                    var k = "column - 1";
                    backward.Add("    if (column > 0)");
                    backward.Add("    {");
                    backward.Add($"        var lateral = {Field(name, $"Lateral{i}")}[{k}].AsSpan(start * column * {Int(wIn)});");
                    backward.Add($"        var scaled = {Field(name, $"Scaled{i}")}[{k}].AsSpan(start * column * {Int(wIn)});");
                    if (!fuse) backward.Add($"        var reducedPre = {Field(name, $"ReducedPre{i}")}[{k}].AsSpan(start * {Int(c)});");
                    backward.Add($"        var reduced = {Field(name, $"Reduced{i}")}[{k}].AsSpan(start * {Int(c)});");
                    backward.Add($"        {Field(name, $"Up{i}")}[{k}].Backward(reduced, {dPre}, {GradientField(name, "Reduced")}, count);");
                    // Up is a LinearMap: the reduction's ReLU runs its own backward (by its output when fused).
                    backward.Add($"        {activation}.Backward({(fuse ? "reduced" : "reducedPre")}, reduced, {GradientField(name, "Reduced")}, {GradientField(name, "ReducedPre")}, count * {Int(c)});");
                    backward.Add($"        {Field(name, $"Reduce{i}")}[{k}].Backward(scaled, {GradientField(name, "ReducedPre")}, {GradientField(name, "Scaled")}, count);");
                    backward.Add($"        {Field(name, $"Alpha{i}")}[{k}].Backward(lateral, {GradientField(name, "Scaled")}, {GradientField(name, "Lateral")}, count * column * {Int(wIn)});");
                    backward.Add("        for (var earlier = 0; earlier < column; earlier++)");
                    backward.Add("        {");
                    backward.Add($"            {Field(name, $"Earlier{i}")}[{k}].Backward(earlier, {GradientField(name, "Lateral")}, {part}, count);");
                    backward.Add("            " + AddRows($"{GradientField(name, $"Post{i - 1}")}[earlier]", part, $"start * {Int(wIn)}", $"count * {Int(wIn)}"));
                    backward.Add("        }");
                    backward.Add("    }");
                }
            }
            else
            {
                backward.Add($"    {Field(name, "Fc0")}[column].Backward({input}.AsSpan(start * {Int(inputWidth)}), {dPre}, {(xGradient == "default" ? "default" : part)}, count);");
                if (xGradient != "default") backward.Add("    " + AddRows(dInput, part, $"start * {Int(inputWidth)}", $"count * {Int(inputWidth)}"));
            }
        }
        backward.Add("}");
        if (xGradient == "default") return;
        backward.Add($"TaskRows.Scatter({dInput}, _tasks, {xGradient}, {Int(inputWidth)});");
        if (accumulateX) Accumulate(backward, x, inputWidth);
    }

    /// <summary>Name prefixes of this network's per-task readouts (frozen with their column or pathway).</summary>
    private IEnumerable<string> ReadoutPrefixes() =>
        _network.Nodes.Where(n => n.Op is HeadsOp || n.Op is HeadOp { PerTask: true }).Select(n => Prefix(n) + ".").Distinct();

    /// <summary>Routing accessors for soft-modular nodes and column controls for progressive ones.</summary>
    private void WriteModularMembers(IndentedTextWriter w)
    {
        foreach (var (node, op) in _softModular)
        {
            var qualifier = _softModular.Count > 1 ? GeneratedNames.Pascal(node.Name) : "";
            int n = op.Modules, layers = op.Layers;
            w.WriteLineNoTabs("");
            w.WriteLine($"/// <summary>Routing layers of the soft-modular node <c>{node.Name}</c> (line {node.Span.Line}): layers − 1 = {Int(layers - 1)}.</summary>");
            w.WriteLine($"public const int {qualifier}RoutingLayers = {Int(layers - 1)};");
            w.WriteLineNoTabs("");
            w.WriteLine($"/// <summary>Modules per layer of <c>{node.Name}</c>.</summary>");
            w.WriteLine($"public const int {qualifier}RoutingModules = {Int(n)};");
            if (layers > 1)
            {
                w.WriteLineNoTabs("");
                w.WriteLine($"/// <summary>");
                w.WriteLine($"/// The routing probabilities pˡ of <c>{node.Name}</c> from the last Forward, [batch, {Int(n)}, {Int(n)}] for");
                w.WriteLine($"/// <paramref name=\"layer\"/> l in [0, {qualifier}RoutingLayers): entry [b, j, k] is the weight module j of layer l + 1");
                w.WriteLine("/// gives module k of layer l, and each row j sums to one (docs/language.md, soft modularization, step 2).");
                w.WriteLine("/// The span is a read-only view of a workspace the next Forward overwrites.");
                w.WriteLine("/// </summary>");
                w.WriteLine($"public ReadOnlySpan<float> {qualifier}RoutingProbabilities(int layer)");
                w.WriteLine("{");
                w.Indent++;
                w.WriteLine($"if ((uint)layer >= {qualifier}RoutingLayers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $\"layer must be in [0, {{{qualifier}RoutingLayers}})\");");
                w.WriteLine($"return {Field(node.Name, "Probabilities")}[layer].AsSpan(0, _batch * {Int(n * n)});");
                w.Indent--;
                w.WriteLine("}");
            }
            if (op.Mix == SoftModularMix.Gated)
            {
                w.WriteLineNoTabs("");
                w.WriteLine($"/// <summary>The output gate g of <c>{node.Name}</c> from the last Forward, [batch, {Int(n)}]: the weight of each last-layer module; rows sum to one (docs/language.md, {(op.Style == SoftModularStyle.SoftModule ? "style soft_module, step 3" : "step 4")}).</summary>");
                w.WriteLine($"public ReadOnlySpan<float> {qualifier}GateProbabilities => {Field(node.Name, "GateWeights")}.AsSpan(0, _batch * {Int(n)});");
            }
        }
        if (_progressive.Count > 0)
        {
            var nodes = string.Join(", ", _progressive.Select(p => $"<c>{p.Node.Name}</c> (line {p.Node.Span.Line})"));
            var prefixes = _progressive.Select(p => Prefix(p.Node) + ".").Distinct().Select(p => $"\"{p}\"");
            var readouts = ReadoutPrefixes().Select(p => $"\"{p}\"").ToList();
            w.WriteLineNoTabs("");
            w.WriteLine("/// <summary>");
            w.WriteLine($"/// Columns of {nodes} that samples may use: columns 0 .. ActiveColumns − 1. Every column");
            w.WriteLine("/// is in the layout from the start (columns = tasks); a network starts with column 0 active and");
            w.WriteLine("/// <see cref=\"AddColumn\"/> activates the next. A batch with a task t ≥ ActiveColumns is refused.");
            w.WriteLine("/// </summary>");
            w.WriteLine("public int ActiveColumns => _activeColumns;");
            w.WriteLineNoTabs("");
            w.WriteLine("/// <summary>Activates the next column (for the next task of a sequential schedule) and returns its index.</summary>");
            w.WriteLine("/// <exception cref=\"InvalidOperationException\">Every column is active already.</exception>");
            w.WriteLine("public int AddColumn()");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine("if (_activeColumns == Tasks) throw new InvalidOperationException($\"all {Tasks} columns are active\");");
            w.WriteLine("return _activeColumns++;");
            w.Indent--;
            w.WriteLine("}");
            w.WriteLineNoTabs("");
            w.WriteLine("/// <summary>");
            w.WriteLine("/// Freezes column <paramref name=\"column\"/> (owner column k: its layers and lateral adapters)");
            w.WriteLine($"/// {(readouts.Count > 0 ? "and task k's readout " : "")}in the parameter store, so optimizers leave them untouched. Later");
            w.WriteLine("/// columns keep reading it through their laterals; its gradients are still computed.");
            w.WriteLine("/// </summary>");
            w.WriteLine("public void FreezeColumn(int column)");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine("if ((uint)column >= Tasks) throw new ArgumentOutOfRangeException(nameof(column), column, $\"column must be in [0, {Tasks})\");");
            w.WriteLine($"foreach (var slice in OwnedSlices(_store.Layout, ParameterOwner.Column(column), {string.Join(", ", prefixes)})) _store.SetFrozen(slice, true);");
            if (readouts.Count > 0) w.WriteLine($"foreach (var slice in OwnedSlices(_store.Layout, ParameterOwner.Task(column), {string.Join(", ", readouts)})) _store.SetFrozen(slice, true);");
            w.Indent--;
            w.WriteLine("}");
            w.WriteLineNoTabs("");
            w.WriteLine("/// <summary>True once <see cref=\"FreezeColumn\"/> froze column <paramref name=\"column\"/>.</summary>");
            w.WriteLine("public bool IsColumnFrozen(int column)");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine("if ((uint)column >= Tasks) throw new ArgumentOutOfRangeException(nameof(column), column, $\"column must be in [0, {Tasks})\");");
            w.WriteLine($"foreach (var slice in OwnedSlices(_store.Layout, ParameterOwner.Column(column), {string.Join(", ", prefixes)})) if (!_store.IsFrozen(slice)) return false;");
            w.WriteLine("return true;");
            w.Indent--;
            w.WriteLine("}");
            w.WriteLineNoTabs("");
            w.WriteLine("int IProgressiveNetwork.Columns => Tasks;");
            w.WriteLineNoTabs("");
            w.WriteLine("/// <summary><paramref name=\"count\"/> parts of one width: the earlier columns a lateral adapter reads.</summary>");
            w.WriteLine("private static int[] Parts(int count, int width)");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine("var parts = new int[count];");
            w.WriteLine("Array.Fill(parts, width);");
            w.WriteLine("return parts;");
            w.Indent--;
            w.WriteLine("}");
        }
        if (_progressive.Count > 0 || _pathNet is not null)
        {
            w.WriteLineNoTabs("");
            w.WriteLine("/// <summary>The slices owned by <paramref name=\"owner\"/> whose names start with one of <paramref name=\"prefixes\"/>.</summary>");
            w.WriteLine("private static System.Collections.Generic.List<ParameterSlice> OwnedSlices(ParameterLayout layout, ParameterOwner owner, params string[] prefixes)");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine("var slices = new System.Collections.Generic.List<ParameterSlice>();");
            w.WriteLine("foreach (var slice in layout.Slices)");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine("if (slice.Owner != owner) continue;");
            w.WriteLine("foreach (var prefix in prefixes)");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine("if (!slice.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;");
            w.WriteLine("slices.Add(slice);");
            w.WriteLine("break;");
            w.Indent--;
            w.WriteLine("}");
            w.Indent--;
            w.WriteLine("}");
            w.WriteLine("return slices;");
            w.Indent--;
            w.WriteLine("}");
        }
    }
}
