using System.CodeDom.Compiler;
using System.Linq;
using Mtrl.Dsl.Model;
using Mtrl.Generators.Planning;
using static Mtrl.Generators.CSharpLiterals;
using static Mtrl.Generators.Planning.FieldNames;

namespace Mtrl.Generators;

/// <summary>Prints mixtures of experts (<see cref="MoePlan"/>): the experts in a loop, the gate, the mix.</summary>
internal static partial class NetworkEmitter
{
    private static void WriteExperts(IndentedTextWriter w, ExpertAllocation experts)
    {
        var layers = Field(experts.Node, "Experts");
        var pre = Field(experts.Node, "Pre");
        var post = Field(experts.Node, "Post");
        var count = Int(experts.Experts);
        var workspaces = string.Join(", ", experts.Widths.Select(width => $"new float[maxBatch * {Int(width)}]"));
        w.WriteLine($"{layers} = new Linear[{count}][];");
        if (!experts.Fused) w.WriteLine($"{pre} = new float[{count}][][];");
        w.WriteLine($"{post} = new float[{count}][][];");
        w.WriteLine($"for (var expert = 0; expert < {count}; expert++)");
        w.WriteLine("{");
        w.WriteLine($"    {layers}[expert] = new[]");
        w.WriteLine("    {");
        foreach (var layer in experts.ExpertLayers) w.WriteLine($"        new Linear(store, {AffineSlices(layer)}),");
        w.WriteLine("    };");
        if (!experts.Fused) w.WriteLine($"    {pre}[expert] = new[] {{ {workspaces} }};");
        w.WriteLine($"    {post}[expert] = new[] {{ {workspaces} }};");
        w.WriteLine("}");
    }

    /// <summary>Gate layer <paramref name="i"/> (the last is the output layer to E scores) and the value it reads.</summary>
    private static (string Layer, string Input) GateLayer(MoePlan p, int i) =>
        (i < p.GateWidths.Count ? Field(p.Node, $"Gate{i}") : Field(p.Node, "GateOut"), i == 0 ? p.GateInput : Field(p.Node, $"GateHidden{i - 1}"));

    private static void WriteMoeForward(IndentedTextWriter w, MoePlan p)
    {
        var name = p.Node;
        var layers = Field(name, "Experts");
        var pre = Field(name, "Pre");
        var post = Field(name, "Post");
        var outputs = Field(name, "ExpertOutputs");
        var weights = Field(name, "Weights");
        var logits = Field(name, "GateScores");
        var experts = Int(p.Experts);
        var depth = p.Widths.Count;
        w.WriteLine($"for (var expert = 0; expert < {experts}; expert++)");
        w.WriteLine("{");
        for (var i = 0; i < depth; i++)
        {
            var input = i == 0 ? p.Input : $"{post}[expert][{i - 1}]";
            if (p.Fused)
            {
                w.WriteLine($"    {layers}[expert][{i}].ForwardRelu({input}, {post}[expert][{i}], batch);");
                continue;
            }
            w.WriteLine($"    {layers}[expert][{i}].Forward({input}, {pre}[expert][{i}], batch);");
            w.WriteLine($"    {Field(name, "Activation")}.Forward({pre}[expert][{i}], {post}[expert][{i}], batch * {Int(p.Widths[i])});");
        }
        w.WriteLine($"    {Field(name, "Grid")}.Forward(expert, {post}[expert][{depth - 1}], {outputs}, batch);");
        w.WriteLine("}");
        if (p.Learned)
        {
            if (p.GateReadsTaskIds) w.WriteLine($"{Field(name, "TaskOneHot")}.Forward({TaskIds}, {p.GateInput}, batch);");
            for (var i = 0; i < p.GateWidths.Count; i++)
            {
                var (layer, input) = GateLayer(p, i);
                w.WriteLine($"{layer}.ForwardRelu({input}, {Field(name, $"GateHidden{i}")}, batch);");
            }
            var (gateOut, gateIn) = GateLayer(p, p.GateWidths.Count);
            w.WriteLine($"{gateOut}.Forward({gateIn}, {logits}, batch);");
            if (p.Temperature != 1.0)
            {
                w.WriteLine($"TensorPrimitives.Multiply({logits}.AsSpan(0, batch * {experts}), 1f / {Float(p.Temperature)}, {logits}.AsSpan(0, batch * {experts}));");
            }
            w.WriteLine(p.Gate == GateKind.TopK
                ? $"RowTopKSoftmax.Forward({logits}, {weights}, batch, {experts}, {Int(p.TopK)});"
                : $"RowSoftmax.Forward({logits}, {weights}, batch, {experts});");
        }
        w.WriteLine($"{Field(name, "Mix")}.Forward({weights}, {outputs}, {Field(name)}, batch);");
    }

    private static void WriteMoeBackward(IndentedTextWriter w, MoePlan p)
    {
        var name = p.Node;
        var layers = Field(name, "Experts");
        var pre = Field(name, "Pre");
        var post = Field(name, "Post");
        var activation = Field(name, "Activation");
        var weights = Field(name, "Weights");
        var dOutputs = GradientField(name, "ExpertOutputs");
        var dWeights = GradientField(name, "Weights");
        var inputPart = GradientField(name, "InputPart");
        var experts = Int(p.Experts);
        var depth = p.Widths.Count;
        var target = p.InputGradient.Target;
        w.WriteLine($"{Field(name, "Mix")}.Backward({weights}, {Field(name, "ExpertOutputs")}, {p.OutputGradient}, {(p.Learned ? dWeights : "default")}, {dOutputs}, batch);");
        if (p.InputGradient.ClearFirst) w.WriteLine($"Array.Clear({target}, 0, batch * {Int(p.InputWidth)});");
        w.WriteLine($"for (var expert = 0; expert < {experts}; expert++)");
        w.WriteLine("{");
        w.WriteLine($"    {Field(name, "Grid")}.Backward(expert, {dOutputs}, {GradientField(name, $"Post{depth - 1}")}, batch);");
        for (var i = depth - 1; i >= 0; i--)
        {
            var input = i == 0 ? p.Input : $"{post}[expert][{i - 1}]";
            var width = Int(p.Widths[i]);
            if (p.Fused)
            {
                // The last ReLU masks by its output; layer i > 0 reads layer i − 1's ReLU output
                // (its only consumer) and writes the gradient at that ReLU's input.
                if (i == depth - 1) w.WriteLine($"    {activation}.Backward({post}[expert][{i}], {post}[expert][{i}], {GradientField(name, $"Post{i}")}, {GradientField(name, $"Pre{i}")}, batch * {width});");
                w.WriteLine(i > 0
                    ? $"    {layers}[expert][{i}].BackwardThroughRelu({input}, {GradientField(name, $"Pre{i}")}, {GradientField(name, $"Pre{i - 1}")}, batch);"
                    : $"    {layers}[expert][{i}].Backward({input}, {GradientField(name, $"Pre{i}")}, {(target is null ? "default" : inputPart)}, batch);");
                continue;
            }
            var dInput = i > 0 ? GradientField(name, $"Post{i - 1}") : target is null ? "default" : inputPart;
            w.WriteLine($"    {activation}.Backward({pre}[expert][{i}], {post}[expert][{i}], {GradientField(name, $"Post{i}")}, {GradientField(name, $"Pre{i}")}, batch * {width});");
            w.WriteLine($"    {layers}[expert][{i}].Backward({input}, {GradientField(name, $"Pre{i}")}, {dInput}, batch);");
        }
        if (target is not null) w.WriteLine("    " + AddInto(target, inputPart, $"batch * {Int(p.InputWidth)}"));
        w.WriteLine("}");
        if (!p.Learned) return;

        var dLogits = GradientField(name, "GateScores");
        w.WriteLine(p.Gate == GateKind.TopK
            ? $"RowTopKSoftmax.Backward({weights}, {dWeights}, {dLogits}, batch, {experts});"
            : $"RowSoftmax.Backward({weights}, {dWeights}, {dLogits}, batch, {experts});");
        if (p.Temperature != 1.0)
        {
            w.WriteLine($"TensorPrimitives.Multiply({dLogits}.AsSpan(0, batch * {experts}), 1f / {Float(p.Temperature)}, {dLogits}.AsSpan(0, batch * {experts}));");
        }
        var gradient = dLogits;
        for (var i = p.GateWidths.Count; i >= 0; i--)
        {
            var (layer, input) = GateLayer(p, i);
            if (i > 0)
            {
                // The input is hidden layer i − 1's ReLU output: the gradient goes on from that ReLU's input.
                var dPre = GradientField(name, $"GatePre{i - 1}");
                w.WriteLine($"{layer}.BackwardThroughRelu({input}, {gradient}, {dPre}, batch);");
                gradient = dPre;
                continue;
            }
            w.WriteLine($"{layer}.Backward({input}, {gradient}, {Target(p.ByGradient.Target)}, batch);");
            if (p.ByGradient.Accumulates) w.WriteLine(AddInto(p.ByGradient.AccumulateInto!, p.ByGradient.Target!, $"batch * {Int(p.ByWidth)}"));
        }
    }
}
