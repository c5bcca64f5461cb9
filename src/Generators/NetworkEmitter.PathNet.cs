using System.CodeDom.Compiler;
using Mtrl.Generators.Planning;
using static Mtrl.Generators.CSharpLiterals;
using static Mtrl.Generators.Planning.FieldNames;

namespace Mtrl.Generators;

/// <summary>Prints PathNet grids (<see cref="PathNetPlan"/>): each layer's modules in a loop, mixed by the pathway weights.</summary>
internal static partial class NetworkEmitter
{
    private static void WritePathNetGrid(IndentedTextWriter w, PathNetGridAllocation grid)
    {
        var modules = Field(grid.Node, "Modules");
        var pre = Field(grid.Node, "Pre");
        var post = Field(grid.Node, "Out");
        string layers = Int(grid.Layers), count = Int(grid.Modules), width = Int(grid.Width);
        w.WriteLine($"{modules} = new Linear[{layers}][];");
        if (!grid.Fused) w.WriteLine($"{pre} = new float[{layers}][][];");
        w.WriteLine($"{post} = new float[{layers}][][];");
        w.WriteLine($"for (var layer = 0; layer < {layers}; layer++)");
        w.WriteLine("{");
        w.WriteLine($"    {modules}[layer] = new Linear[{count}];");
        if (!grid.Fused) w.WriteLine($"    {pre}[layer] = new float[{count}][];");
        w.WriteLine($"    {post}[layer] = new float[{count}][];");
        w.WriteLine($"    for (var module = 0; module < {count}; module++)");
        w.WriteLine("    {");
        w.WriteLine($"        {modules}[layer][module] = new Linear(store, {AffineSlices(grid.ModuleAffine)});");
        if (!grid.Fused) w.WriteLine($"        {pre}[layer][module] = new float[maxBatch * {width}];");
        w.WriteLine($"        {post}[layer][module] = new float[maxBatch * {width}];");
        w.WriteLine("    }");
        w.WriteLine("}");
    }

    private static void WritePathNetForward(IndentedTextWriter w, PathNetPlan p)
    {
        var name = p.Node;
        var modules = Field(name, "Modules");
        var pre = Field(name, "Pre");
        var post = Field(name, "Out");
        for (var l = 0; l < p.Layers; l++)
        {
            var input = l == 0 ? p.Input : Field(name, $"Layer{l - 1}");
            var layerOut = l == p.Layers - 1 ? Field(name) : Field(name, $"Layer{l}");
            w.WriteLine($"for (var module = 0; module < {Int(p.Modules)}; module++)");
            w.WriteLine("{");
            if (p.Fused)
            {
                w.WriteLine($"    {modules}[{l}][module].ForwardRelu({input}, {post}[{l}][module], batch);");
            }
            else
            {
                w.WriteLine($"    {modules}[{l}][module].Forward({input}, {pre}[{l}][module], batch);");
                w.WriteLine($"    {Field(name, "Activation")}.Forward({pre}[{l}][module], {post}[{l}][module], batch * {Int(p.Width)});");
            }
            w.WriteLine($"    {Field(name, "Grid")}.Forward(module, {post}[{l}][module], {Field(name, $"Grid{l}")}, batch);");
            w.WriteLine("}");
            w.WriteLine($"PathwayWeights({Int(l)}, {Field(name, $"Weights{l}")}, batch);");
            w.WriteLine($"{Field(name, "Sum")}.Forward({Field(name, $"Weights{l}")}, {Field(name, $"Grid{l}")}, {layerOut}, batch);");
        }
    }

    private static void WritePathNetBackward(IndentedTextWriter w, PathNetPlan p)
    {
        var name = p.Node;
        var modules = Field(name, "Modules");
        var pre = Field(name, "Pre");
        var post = Field(name, "Out");
        var gradient = p.OutputGradient;
        for (var l = p.Layers - 1; l >= 0; l--)
        {
            var input = l == 0 ? p.Input : Field(name, $"Layer{l - 1}");
            var inWidth = l == 0 ? p.InputWidth : p.Width;
            var target = l == 0 ? p.InputGradient.Target : GradientField(name, $"Layer{l - 1}");
            if (l == 0 && p.InputGradient.ClearFirst) w.WriteLine($"Array.Clear({target}, 0, batch * {Int(inWidth)});");
            w.WriteLine($"{Field(name, "Sum")}.Backward({Field(name, $"Weights{l}")}, {Field(name, $"Grid{l}")}, {gradient}, default, {Field(name, "GridGradient")}, batch);");
            if (l > 0)
            {
                // The layer's input gradient is the sum over its modules.
                w.WriteLine($"Array.Clear({target}, 0, batch * {Int(inWidth)});");
            }
            w.WriteLine($"for (var module = 0; module < {Int(p.Modules)}; module++)");
            w.WriteLine("{");
            w.WriteLine($"    {Field(name, "Grid")}.Backward(module, {Field(name, "GridGradient")}, {Field(name, "OutGradient")}, batch);");
            w.WriteLine($"    {Field(name, "Activation")}.Backward({(p.Fused ? post : pre)}[{l}][module], {post}[{l}][module], {Field(name, "OutGradient")}, {Field(name, "PreGradient")}, batch * {Int(p.Width)});");
            w.WriteLine($"    {modules}[{l}][module].Backward({input}, {Field(name, "PreGradient")}, {(target is null ? "default" : Field(name, "InputPart"))}, batch);");
            if (target is not null) w.WriteLine("    " + AddInto(target, Field(name, "InputPart"), $"batch * {Int(inWidth)}"));
            w.WriteLine("}");
            if (target is null) break;
            gradient = target;
        }
    }
}
