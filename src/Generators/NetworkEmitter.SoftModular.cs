using System.CodeDom.Compiler;
using Mtrl.Generators.Planning;
using static Mtrl.Generators.CSharpLiterals;
using static Mtrl.Generators.Planning.FieldNames;

namespace Mtrl.Generators;

/// <summary>Prints soft modularization, <c>style: mtrl</c> (<see cref="SoftModularPlan"/>), and the grid allocations both styles share.</summary>
internal static partial class NetworkEmitter
{
    private static void WriteSoftModularGrid(IndentedTextWriter w, SoftModularGridAllocation grid)
    {
        var modules = Field(grid.Node, "Modules");
        var outputs = Field(grid.Node, grid.OutputsRole);
        var inputs = Field(grid.Node, "Inputs");
        string layers = Int(grid.Layers), count = Int(grid.Modules);
        w.WriteLine($"{modules} = new Linear[{layers}][];");
        w.WriteLine($"{outputs} = new float[{layers}][][];");
        if (grid.MixedInputs) w.WriteLine($"{inputs} = new float[{layers}][][];");
        w.WriteLine($"for (var layer = 0; layer < {layers}; layer++)");
        w.WriteLine("{");
        w.WriteLine($"    {modules}[layer] = new Linear[{count}];");
        w.WriteLine($"    {outputs}[layer] = new float[{count}][];");
        if (grid.MixedInputs) w.WriteLine($"    {inputs}[layer] = new float[layer == 0 ? 0 : {count}][];");
        w.WriteLine($"    for (var module = 0; module < {count}; module++)");
        w.WriteLine("    {");
        w.WriteLine($"        {modules}[layer][module] = new Linear(store, {AffineSlices(grid.ModuleAffine)});");
        w.WriteLine($"        {outputs}[layer][module] = new float[maxBatch * {Int(grid.Width)}];");
        if (grid.MixedInputs) w.WriteLine($"        if (layer > 0) {inputs}[layer][module] = new float[maxBatch * {Int(grid.Width)}];");
        w.WriteLine("    }");
        w.WriteLine("}");
    }

    private static void WriteLayerWorkspaces(IndentedTextWriter w, LayerWorkspaces workspaces)
    {
        w.WriteLine($"{workspaces.Field} = new float[{Int(workspaces.Count)}][];");
        if (workspaces.Allocated) w.WriteLine($"for (var layer = 0; layer < {Int(workspaces.Count)}; layer++) {workspaces.Field}[layer] = new float[maxBatch * {Int(workspaces.Width)}];");
    }

    private static void WriteSoftModularForward(IndentedTextWriter w, SoftModularPlan p)
    {
        var name = p.Node;
        int n = p.Modules, layers = p.Layers, r = p.RoutingWidth;
        var probabilities = Field(name, "Probabilities");
        var relu = Field(name, "Activation");
        var u = Field(name, "RoutingInput");
        var scores = Field(name, "RoutingScores");
        var modules = Field(name, "Modules");
        var post = Field(name, "Post");
        var inputs = Field(name, "Inputs");
        // Routing: u = route_in(x ⊙ by); p⁰ = softmax(down₀(relu(u))); pˡ = softmax(downₗ(relu(upₗ(pˡ⁻¹) ⊙ u))).
        w.WriteLine($"ElementwiseProduct.Forward({p.Input}, {p.By}, {Field(name, "Product")}, batch * {Int(p.InputWidth)});");
        w.WriteLine($"{Field(name, "RouteIn")}.Forward({Field(name, "Product")}, {u}, batch);");
        for (var l = 0; l < layers - 1; l++)
        {
            var routed = l == 0 ? u : Field(name, $"Routed{l}");
            if (l > 0)
            {
                w.WriteLine($"{Field(name, $"Up{l}")}.Forward({probabilities}[{l - 1}], {Field(name, $"Up{l}Out")}, batch);");
                w.WriteLine($"ElementwiseProduct.Forward({Field(name, $"Up{l}Out")}, {u}, {routed}, batch * {Int(r)});");
            }
            w.WriteLine($"{relu}.Forward({routed}, {Field(name, $"Hidden{l}")}, batch * {Int(r)});");
            w.WriteLine($"{Field(name, $"Down{l}")}.Forward({Field(name, $"Hidden{l}")}, {scores}, batch);");
            w.WriteLine($"RowSoftmax.Forward({scores}, {probabilities}[{l}], batch * {Int(n)}, {Int(n)});");
        }
        // Modules: layer 0 reads x; module j of layer l reads Σₖ pˡ⁻¹[j, k] · yₖˡ⁻¹.
        for (var l = 0; l < layers; l++)
        {
            if (l > 0) w.WriteLine($"{Field(name, "Route")}.Forward({probabilities}[{l - 1}], {Field(name, $"Grid{l - 1}")}, {Field(name, $"Mixed{l}")}, batch);");
            w.WriteLine($"for (var module = 0; module < {Int(n)}; module++)");
            w.WriteLine("{");
            if (l > 0) w.WriteLine($"    {Field(name, "Split")}.Forward(module, {Field(name, $"Mixed{l}")}, {inputs}[{l}][module], batch);");
            w.WriteLine($"    {modules}[{l}][module].ForwardRelu({(l == 0 ? p.Input : $"{inputs}[{l}][module]")}, {post}[{l}][module], batch);");
            w.WriteLine($"    {Field(name, "Grid")}.Forward(module, {post}[{l}][module], {Field(name, $"Grid{l}")}, batch);");
            w.WriteLine("}");
        }
        // Output: the mean of the last layer's modules, or g = softmax(gate(relu(up_gate(p^{L−2}) ⊙ u))).
        var outWeights = Field(name, p.Gated ? "GateWeights" : "MeanWeights");
        if (p.Gated)
        {
            var gateRouted = layers > 1 ? Field(name, "GateRouted") : u;
            if (layers > 1)
            {
                w.WriteLine($"{Field(name, "UpGate")}.Forward({probabilities}[{layers - 2}], {Field(name, "UpGateOut")}, batch);");
                w.WriteLine($"ElementwiseProduct.Forward({Field(name, "UpGateOut")}, {u}, {gateRouted}, batch * {Int(r)});");
            }
            w.WriteLine($"{relu}.Forward({gateRouted}, {Field(name, "GateHidden")}, batch * {Int(r)});");
            w.WriteLine($"{Field(name, "Gate")}.Forward({Field(name, "GateHidden")}, {Field(name, "GateScores")}, batch);");
            w.WriteLine($"RowSoftmax.Forward({Field(name, "GateScores")}, {outWeights}, batch, {Int(n)});");
        }
        w.WriteLine($"{Field(name, "Mix")}.Forward({outWeights}, {Field(name, $"Grid{layers - 1}")}, {Field(name)}, batch);");
    }

    private static void WriteSoftModularBackward(IndentedTextWriter w, SoftModularPlan p)
    {
        var name = p.Node;
        int n = p.Modules, layers = p.Layers, r = p.RoutingWidth, n2 = p.Modules * p.Modules, d = p.InputWidth;
        var probabilities = Field(name, "Probabilities");
        var relu = Field(name, "Activation");
        var u = Field(name, "RoutingInput");
        var modules = Field(name, "Modules");
        var post = Field(name, "Post");
        var inputs = Field(name, "Inputs");
        var concat = Field(name, "Grid");
        var dGrid = GradientField(name, "Grid");
        var dOut = GradientField(name, "Out");
        var dPre = GradientField(name, "Pre");
        var dU = GradientField(name, "RoutingInput");
        var dProbabilities = GradientField(name, "Probabilities");
        var part = GradientField(name, "Part");
        var dWeights = GradientField(name, "GateWeights");
        var outWeights = Field(name, p.Gated ? "GateWeights" : "MeanWeights");
        w.WriteLine($"{Field(name, "Mix")}.Backward({outWeights}, {Field(name, $"Grid{layers - 1}")}, {p.OutputGradient}, {(p.Gated ? dWeights : "default")}, {dGrid}, batch);");
        // Every routing gradient sums parts (mixing, the next up-projection, the gate): clear, then add.
        w.WriteLine($"Array.Clear({dU}, 0, batch * {Int(r)});");
        if (layers > 1) w.WriteLine($"for (var layer = 0; layer < {Int(layers - 1)}; layer++) Array.Clear({dProbabilities}[layer], 0, batch * {Int(n2)});");
        if (p.Gated)
        {
            var dScores = GradientField(name, "GateScores");
            var dRouted = GradientField(name, "GateRouted");
            w.WriteLine($"RowSoftmax.Backward({outWeights}, {dWeights}, {dScores}, batch, {Int(n)});");
            // The gate is the only reader of relu(gateRouted): straight to the ReLU's input.
            w.WriteLine($"{Field(name, "Gate")}.BackwardThroughRelu({Field(name, "GateHidden")}, {dScores}, {dRouted}, batch);");
            if (layers > 1)
            {
                var dUp = GradientField(name, "UpGateOut");
                w.WriteLine($"ElementwiseProduct.Backward({Field(name, "UpGateOut")}, {u}, {dRouted}, {dUp}, {part}, batch * {Int(r)});");
                w.WriteLine(AddInto(dU, part, $"batch * {Int(r)}"));
                w.WriteLine($"{Field(name, "UpGate")}.Backward({probabilities}[{layers - 2}], {dUp}, {part}, batch);");
                w.WriteLine(AddInto($"{dProbabilities}[{layers - 2}]", part, $"batch * {Int(n2)}"));
            }
            else
            {
                w.WriteLine(AddInto(dU, dRouted, $"batch * {Int(r)}"));
            }
        }
        var dMixed = GradientField(name, "Mixed");
        var dInput = GradientField(name, "Input");
        var dRoutingScores = GradientField(name, "RoutingScores");
        var dRoutedStep = GradientField(name, "Routed");
        for (var l = layers - 1; l >= 1; l--)
        {
            w.WriteLine($"for (var module = 0; module < {Int(n)}; module++)");
            w.WriteLine("{");
            w.WriteLine($"    {concat}.Backward(module, {dGrid}, {dOut}, batch);");
            w.WriteLine($"    {relu}.Backward({post}[{l}][module], {post}[{l}][module], {dOut}, {dPre}, batch * {Int(p.Width)});");
            w.WriteLine($"    {modules}[{l}][module].Backward({inputs}[{l}][module], {dPre}, {dInput}, batch);");
            w.WriteLine($"    {Field(name, "Split")}.Backward(module, {dInput}, {dMixed}, batch);");
            w.WriteLine("}");
            w.WriteLine($"{Field(name, "Route")}.Backward({probabilities}[{l - 1}], {Field(name, $"Grid{l - 1}")}, {dMixed}, {part}, {dGrid}, batch);");
            w.WriteLine(AddInto($"{dProbabilities}[{l - 1}]", part, $"batch * {Int(n2)}"));
            // p^{l−1} has all its gradient now: back through its routing step.
            var step = l - 1;
            w.WriteLine($"RowSoftmax.Backward({probabilities}[{step}], {dProbabilities}[{step}], {dRoutingScores}, batch * {Int(n)}, {Int(n)});");
            // down is the only reader of its relu(routed): straight to the ReLU's input.
            w.WriteLine($"{Field(name, $"Down{step}")}.BackwardThroughRelu({Field(name, $"Hidden{step}")}, {dRoutingScores}, {dRoutedStep}, batch);");
            if (step == 0)
            {
                w.WriteLine(AddInto(dU, dRoutedStep, $"batch * {Int(r)}"));
            }
            else
            {
                var dUp = GradientField(name, "UpOut");
                w.WriteLine($"ElementwiseProduct.Backward({Field(name, $"Up{step}Out")}, {u}, {dRoutedStep}, {dUp}, {part}, batch * {Int(r)});");
                w.WriteLine(AddInto(dU, part, $"batch * {Int(r)}"));
                w.WriteLine($"{Field(name, $"Up{step}")}.Backward({probabilities}[{step - 1}], {dUp}, {part}, batch);");
                w.WriteLine(AddInto($"{dProbabilities}[{step - 1}]", part, $"batch * {Int(n2)}"));
            }
        }
        var target = p.InputGradient.Target;
        if (p.InputGradient.ClearFirst) w.WriteLine($"Array.Clear({target}, 0, batch * {Int(d)});");
        w.WriteLine($"for (var module = 0; module < {Int(n)}; module++)");
        w.WriteLine("{");
        w.WriteLine($"    {concat}.Backward(module, {dGrid}, {dOut}, batch);");
        w.WriteLine($"    {relu}.Backward({post}[0][module], {post}[0][module], {dOut}, {dPre}, batch * {Int(p.Width)});");
        w.WriteLine($"    {modules}[0][module].Backward({p.Input}, {dPre}, {(target is null ? "default" : part)}, batch);");
        if (target is not null) w.WriteLine("    " + AddInto(target, part, $"batch * {Int(d)}"));
        w.WriteLine("}");
        var dProduct = GradientField(name, "Product");
        w.WriteLine($"{Field(name, "RouteIn")}.Backward({Field(name, "Product")}, {dU}, {(p.RoutesInputGradient ? dProduct : "default")}, batch);");
        WriteRoutingInputBackward(w, p);
    }

    /// <summary>The routing input's elementwise product x ⊙ by, differentiated into x (through scratch) and by.</summary>
    private static void WriteRoutingInputBackward(IndentedTextWriter w, SoftModularPlan p)
    {
        if (!p.RoutesInputGradient) return;
        var part = GradientField(p.Node, "Part");
        var target = p.InputGradient.Target;
        var d = Int(p.InputWidth);
        w.WriteLine($"ElementwiseProduct.Backward({p.Input}, {p.By}, {GradientField(p.Node, "Product")}, {(target is null ? "default" : part)}, {Target(p.ByGradient.Target)}, batch * {d});");
        if (target is not null) w.WriteLine(AddInto(target, part, $"batch * {d}"));
        if (p.ByGradient.Accumulates) w.WriteLine(AddInto(p.ByGradient.AccumulateInto!, p.ByGradient.Target!, $"batch * {d}"));
    }
}
