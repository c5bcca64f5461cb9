using System.CodeDom.Compiler;
using Mtrl.Generators.Planning;
using static Mtrl.Generators.CSharpLiterals;
using static Mtrl.Generators.Planning.FieldNames;

namespace Mtrl.Generators;

/// <summary>
/// Prints soft modularization, <c>style: soft_module</c> (<see cref="SoftModularPlan"/>): routing
/// conditioned on all earlier probabilities, affine modules with the ReLU after each mix, layer 0
/// reading relu(x).
/// </summary>
internal static partial class NetworkEmitter
{
    /// <summary>Routing condition l (l = 1 … L − 1, the last one the gate's): [p⁰ | … | p^{l−1}], or p⁰ itself.</summary>
    private static string Condition(SoftModularPlan p, int l) => l == 1 ? $"{Field(p.Node, "Probabilities")}[0]" : Field(p.Node, $"Condition{l}");

    private static void WriteSoftModuleForward(IndentedTextWriter w, SoftModularPlan p)
    {
        var name = p.Node;
        int n = p.Modules, layers = p.Layers, r = p.RoutingWidth, d = p.InputWidth;
        var probabilities = Field(name, "Probabilities");
        var relu = Field(name, "Activation");
        var u = Field(name, "RoutingInput");
        var scores = Field(name, "RoutingScores");
        var modules = Field(name, "Modules");
        var outputs = Field(name, "ModuleOutputs");
        var inputs = Field(name, "Inputs");
        var baseRelu = Field(name, "BaseActivation");
        // Routing: u = route_in(relu(x ⊙ by)); p⁰ = softmax(down₀(relu(u)));
        // pˡ = softmax(downₗ(relu(upₗ([p⁰ | … | pˡ⁻¹]) ⊙ u))).
        w.WriteLine($"ElementwiseProduct.Forward({p.Input}, {p.By}, {Field(name, "Product")}, batch * {Int(d)});");
        w.WriteLine($"{relu}.Forward({Field(name, "Product")}, {Field(name, "RoutingFeatures")}, batch * {Int(d)});");
        w.WriteLine($"{Field(name, "RouteIn")}.Forward({Field(name, "RoutingFeatures")}, {u}, batch);");
        for (var l = 0; l < layers - 1; l++)
        {
            var routed = l == 0 ? u : Field(name, $"Routed{l}");
            if (l > 0)
            {
                if (l > 1)
                {
                    for (var k = 0; k < l; k++) w.WriteLine($"{Field(name, $"Earlier{l}")}.Forward({Int(k)}, {probabilities}[{k}], {Condition(p, l)}, batch);");
                }
                w.WriteLine($"{Field(name, $"Up{l}")}.Forward({Condition(p, l)}, {Field(name, $"Up{l}Out")}, batch);");
                w.WriteLine($"ElementwiseProduct.Forward({Field(name, $"Up{l}Out")}, {u}, {routed}, batch * {Int(r)});");
            }
            w.WriteLine($"{relu}.Forward({routed}, {Field(name, $"Hidden{l}")}, batch * {Int(r)});");
            w.WriteLine($"{Field(name, $"Down{l}")}.Forward({Field(name, $"Hidden{l}")}, {scores}, batch);");
            w.WriteLine($"RowSoftmax.Forward({scores}, {probabilities}[{l}], batch * {Int(n)}, {Int(n)});");
        }

        // The output gate: g = softmax(gate(relu(up_gate([p⁰ | … | p^{L−2}]) ⊙ u))).
        var gateCondition = Condition(p, layers - 1);
        if (layers > 2)
        {
            for (var k = 0; k < layers - 1; k++) w.WriteLine($"{Field(name, $"Earlier{layers - 1}")}.Forward({Int(k)}, {probabilities}[{k}], {gateCondition}, batch);");
        }
        w.WriteLine($"{Field(name, "UpGate")}.Forward({gateCondition}, {Field(name, "UpGateOut")}, batch);");
        w.WriteLine($"ElementwiseProduct.Forward({Field(name, "UpGateOut")}, {u}, {Field(name, "GateRouted")}, batch * {Int(r)});");
        w.WriteLine($"{relu}.Forward({Field(name, "GateRouted")}, {Field(name, "GateHidden")}, batch * {Int(r)});");
        w.WriteLine($"{Field(name, "Gate")}.Forward({Field(name, "GateHidden")}, {Field(name, "GateScores")}, batch);");
        w.WriteLine($"RowSoftmax.Forward({Field(name, "GateScores")}, {Field(name, "GateWeights")}, batch, {Int(n)});");

        // Modules: layer 0 reads relu(x); module j of layer l reads relu(Σₖ pˡ⁻¹[j, k] · yₖˡ⁻¹),
        // the ReLU taken in place on the mixed grid (its backward masks by the ReLU's output).
        w.WriteLine($"{relu}.Forward({p.Input}, {baseRelu}, batch * {Int(d)});");
        for (var l = 0; l < layers; l++)
        {
            if (l > 0)
            {
                w.WriteLine($"{Field(name, "Route")}.Forward({probabilities}[{l - 1}], {Field(name, $"Grid{l - 1}")}, {Field(name, $"Mixed{l}")}, batch);");
                w.WriteLine($"{relu}.Forward({Field(name, $"Mixed{l}")}, {Field(name, $"Mixed{l}")}, batch * {Int(n * p.Width)});");
            }
            w.WriteLine($"for (var module = 0; module < {Int(n)}; module++)");
            w.WriteLine("{");
            if (l > 0) w.WriteLine($"    {Field(name, "Split")}.Forward(module, {Field(name, $"Mixed{l}")}, {inputs}[{l}][module], batch);");
            w.WriteLine($"    {modules}[{l}][module].Forward({(l == 0 ? baseRelu : $"{inputs}[{l}][module]")}, {outputs}[{l}][module], batch);");
            w.WriteLine($"    {Field(name, "Grid")}.Forward(module, {outputs}[{l}][module], {Field(name, $"Grid{l}")}, batch);");
            w.WriteLine("}");
        }

        // Output: relu(Σⱼ gⱼ · yⱼ^{L−1}), the ReLU in place.
        w.WriteLine($"{Field(name, "Mix")}.Forward({Field(name, "GateWeights")}, {Field(name, $"Grid{layers - 1}")}, {Field(name)}, batch);");
        w.WriteLine($"{relu}.Forward({Field(name)}, {Field(name)}, batch * {Int(p.Width)});");
    }

    private static void WriteSoftModuleBackward(IndentedTextWriter w, SoftModularPlan p)
    {
        var name = p.Node;
        int n = p.Modules, layers = p.Layers, r = p.RoutingWidth, n2 = p.Modules * p.Modules, d = p.InputWidth;
        var probabilities = Field(name, "Probabilities");
        var relu = Field(name, "Activation");
        var u = Field(name, "RoutingInput");
        var modules = Field(name, "Modules");
        var inputs = Field(name, "Inputs");
        var concat = Field(name, "Grid");
        var baseRelu = Field(name, "BaseActivation");
        var gateWeights = Field(name, "GateWeights");
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
        var dWeights = GradientField(name, "GateWeights");
        var dGateScores = GradientField(name, "GateScores");

        // Back through the conditioning layer l (the gate's when l = L − 1): its input gradient
        // goes to every probability matrix it read.
        void BackThroughCondition(int l, string upLayer, string upOut)
        {
            w.WriteLine($"ElementwiseProduct.Backward({upOut}, {u}, {dRouted}, {dUp}, {part}, batch * {Int(r)});");
            w.WriteLine(AddInto(dU, part, $"batch * {Int(r)}"));
            if (l == 1)
            {
                w.WriteLine($"{upLayer}.Backward({probabilities}[0], {dUp}, {part}, batch);");
                w.WriteLine(AddInto($"{dProbabilities}[0]", part, $"batch * {Int(n2)}"));
                return;
            }
            w.WriteLine($"{upLayer}.Backward({Condition(p, l)}, {dUp}, {dCondition}, batch);");
            w.WriteLine($"for (var earlier = 0; earlier < {Int(l)}; earlier++)");
            w.WriteLine("{");
            w.WriteLine($"    {Field(name, $"Earlier{l}")}.Backward(earlier, {dCondition}, {part}, batch);");
            w.WriteLine("    " + AddInto($"{dProbabilities}[earlier]", part, $"batch * {Int(n2)}"));
            w.WriteLine("}");
        }

        w.WriteLine($"{relu}.Backward({Field(name)}, {Field(name)}, {p.OutputGradient}, {dMix}, batch * {Int(p.Width)});");
        w.WriteLine($"{Field(name, "Mix")}.Backward({gateWeights}, {Field(name, $"Grid{layers - 1}")}, {dMix}, {dWeights}, {dGrid}, batch);");
        // Every routing gradient sums parts (mixing, later conditions, the gate): clear, then add.
        w.WriteLine($"Array.Clear({dU}, 0, batch * {Int(r)});");
        w.WriteLine($"for (var layer = 0; layer < {Int(layers - 1)}; layer++) Array.Clear({dProbabilities}[layer], 0, batch * {Int(n2)});");
        w.WriteLine($"RowSoftmax.Backward({gateWeights}, {dWeights}, {dGateScores}, batch, {Int(n)});");
        // The gate is the only reader of relu(gateRouted): straight to the ReLU's input.
        w.WriteLine($"{Field(name, "Gate")}.BackwardThroughRelu({Field(name, "GateHidden")}, {dGateScores}, {dRouted}, batch);");
        BackThroughCondition(layers - 1, Field(name, "UpGate"), Field(name, "UpGateOut"));

        var dMixed = GradientField(name, "Mixed");
        var dInput = GradientField(name, "Input");
        for (var l = layers - 1; l >= 1; l--)
        {
            // Each module is the only reader of its share of relu(mixed): straight to the ReLU's input.
            w.WriteLine($"for (var module = 0; module < {Int(n)}; module++)");
            w.WriteLine("{");
            w.WriteLine($"    {concat}.Backward(module, {dGrid}, {dOut}, batch);");
            w.WriteLine($"    {modules}[{l}][module].BackwardThroughRelu({inputs}[{l}][module], {dOut}, {dInput}, batch);");
            w.WriteLine($"    {Field(name, "Split")}.Backward(module, {dInput}, {dMixed}, batch);");
            w.WriteLine("}");
            w.WriteLine($"{Field(name, "Route")}.Backward({probabilities}[{l - 1}], {Field(name, $"Grid{l - 1}")}, {dMixed}, {part}, {dGrid}, batch);");
            w.WriteLine(AddInto($"{dProbabilities}[{l - 1}]", part, $"batch * {Int(n2)}"));
            // p^{l−1} has all its gradient now (later conditions and the gate came first): back through its routing step.
            var step = l - 1;
            w.WriteLine($"RowSoftmax.Backward({probabilities}[{step}], {dProbabilities}[{step}], {dScores}, batch * {Int(n)}, {Int(n)});");
            w.WriteLine($"{Field(name, $"Down{step}")}.BackwardThroughRelu({Field(name, $"Hidden{step}")}, {dScores}, {dRouted}, batch);");
            if (step == 0) w.WriteLine(AddInto(dU, dRouted, $"batch * {Int(r)}"));
            else BackThroughCondition(step, Field(name, $"Up{step}"), Field(name, $"Up{step}Out"));
        }

        // Layer 0 reads relu(x): its modules' input gradients sum in dBase, then go through that ReLU.
        var target = p.InputGradient.Target;
        var dBase = GradientField(name, "BaseActivation");
        if (p.InputGradient.ClearFirst) w.WriteLine($"Array.Clear({target}, 0, batch * {Int(d)});");
        w.WriteLine($"for (var module = 0; module < {Int(n)}; module++)");
        w.WriteLine("{");
        w.WriteLine($"    {concat}.Backward(module, {dGrid}, {dOut}, batch);");
        if (target is null)
        {
            w.WriteLine($"    {modules}[0][module].Backward({baseRelu}, {dOut}, default, batch);");
        }
        else
        {
            w.WriteLine($"    {modules}[0][module].Backward({baseRelu}, {dOut}, module == 0 ? {dBase} : {part}, batch);");
            w.WriteLine("    if (module > 0) " + AddInto(dBase, part, $"batch * {Int(d)}"));
        }
        w.WriteLine("}");
        if (target is not null)
        {
            w.WriteLine($"{relu}.Backward({baseRelu}, {baseRelu}, {dBase}, {part}, batch * {Int(d)});");
            w.WriteLine(AddInto(target, part, $"batch * {Int(d)}"));
        }

        // The routing input: route_in is the only reader of relu(x ⊙ by).
        w.WriteLine($"{Field(name, "RouteIn")}.BackwardThroughRelu({Field(name, "RoutingFeatures")}, {dU}, {(p.RoutesInputGradient ? GradientField(name, "Product") : "default")}, batch);");
        WriteRoutingInputBackward(w, p);
    }
}
