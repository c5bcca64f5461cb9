using System.CodeDom.Compiler;
using Mtrl.Generators.Planning;
using static Mtrl.Generators.CSharpLiterals;
using static Mtrl.Generators.Planning.FieldNames;

namespace Mtrl.Generators;

/// <summary>Prints progressive columns (<see cref="ProgressivePlan"/>): rows in task order, each column on its suffix of the batch, laterals from the earlier columns.</summary>
internal static partial class NetworkEmitter
{
    private static void WriteColumnLayer(IndentedTextWriter w, ColumnLayerAllocation layer)
    {
        var i = layer.Layer;
        var fc = Field(layer.Node, $"Fc{i}");
        var pre = Field(layer.Node, $"Pre{i}");
        var post = Field(layer.Node, $"Post{i}");
        w.WriteLine($"{fc} = new Linear[Tasks];");
        if (!layer.Fused) w.WriteLine($"{pre} = new float[Tasks][];");
        w.WriteLine($"{post} = new float[Tasks][];");
        w.WriteLine("for (var column = 0; column < Tasks; column++)");
        w.WriteLine("{");
        w.WriteLine($"    {fc}[column] = new Linear(store, {AffineSlices(layer.Affine)});");
        if (!layer.Fused) w.WriteLine($"    {pre}[column] = new float[maxBatch * {Int(layer.Width)}];");
        w.WriteLine($"    {post}[column] = new float[maxBatch * {Int(layer.Width)}];");
        w.WriteLine("}");
    }

    private static void WriteLaterals(IndentedTextWriter w, LateralAllocation lateral)
    {
        var i = lateral.Layer;
        string Of(string role) => Field(lateral.Node, $"{role}{i}");
        w.WriteLine($"{Of("Alpha")} = new Scale[Tasks - 1];");
        w.WriteLine($"{Of("Reduce")} = new Linear[Tasks - 1];");
        w.WriteLine($"{Of("Up")} = new LinearMap[Tasks - 1];");
        w.WriteLine($"{Of("Earlier")} = new Concat[Tasks - 1];");
        w.WriteLine($"{Of("Lateral")} = new float[Tasks - 1][];");
        w.WriteLine($"{Of("Scaled")} = new float[Tasks - 1][];");
        if (!lateral.Fused) w.WriteLine($"{Of("ReducedPre")} = new float[Tasks - 1][];");
        w.WriteLine($"{Of("Reduced")} = new float[Tasks - 1][];");
        w.WriteLine("for (var column = 1; column < Tasks; column++)");
        w.WriteLine("{");
        w.WriteLine($"    {Of("Alpha")}[column - 1] = new Scale(store, {Slice(lateral.Alpha)});");
        w.WriteLine($"    {Of("Reduce")}[column - 1] = new Linear(store, {AffineSlices(lateral.Reduce)});");
        w.WriteLine($"    {Of("Up")}[column - 1] = new LinearMap(store, {Slice(lateral.Up.Weight)});");
        w.WriteLine($"    {Of("Earlier")}[column - 1] = new Concat(Parts(column, {Int(lateral.InputWidth)}));");
        w.WriteLine($"    {Of("Lateral")}[column - 1] = new float[maxBatch * column * {Int(lateral.InputWidth)}];");
        w.WriteLine($"    {Of("Scaled")}[column - 1] = new float[maxBatch * column * {Int(lateral.InputWidth)}];");
        if (!lateral.Fused) w.WriteLine($"    {Of("ReducedPre")}[column - 1] = new float[maxBatch * {Int(lateral.Reduction)}];");
        w.WriteLine($"    {Of("Reduced")}[column - 1] = new float[maxBatch * {Int(lateral.Reduction)}];");
        w.WriteLine("}");
    }

    private static void WriteColumnGradients(IndentedTextWriter w, ColumnGradientAllocation gradients)
    {
        w.WriteLine($"{gradients.Field} = new float[Tasks][];");
        w.WriteLine($"for (var column = 0; column < Tasks; column++) {gradients.Field}[column] = new float[maxBatch * {Int(gradients.Width)}];");
    }

    private static void WriteProgressiveForward(IndentedTextWriter w, ProgressivePlan p)
    {
        var name = p.Node;
        var widths = p.Widths;
        int depth = widths.Count, c = p.Reduction, last = widths[depth - 1], inputWidth = p.InputWidth;
        var activation = Field(name, "Activation");
        var input = Field(name, "Input");
        var sorted = Field(name, "Sorted");
        w.WriteLine($"if (_tasks.Start(_activeColumns) < batch) throw new InvalidOperationException($\"the batch holds a task whose column is not active yet (active: 0 .. {{_activeColumns - 1}}); call AddColumn\");");
        w.WriteLine($"TaskRows.Gather({p.Input}, _tasks, {input}, {Int(inputWidth)});");
        for (var i = 0; i < depth; i++)
        {
            var wi = widths[i];
            var source = i == 0 ? input : $"{Field(name, $"Post{i - 1}")}[column]";
            var sourceWidth = i == 0 ? inputWidth : widths[i - 1];
            w.WriteLine("for (var column = 0; column < _activeColumns; column++)");
            w.WriteLine("{");
            w.WriteLine("    var start = _tasks.Start(column);");
            w.WriteLine("    var count = batch - start;");
            w.WriteLine("    if (count == 0) break;");
            if (p.FusedLayer(i))
            {
                w.WriteLine($"    {Field(name, $"Fc{i}")}[column].ForwardRelu({source}.AsSpan(start * {Int(sourceWidth)}), {Field(name, $"Post{i}")}[column].AsSpan(start * {Int(wi)}), count);");
                w.WriteLine("}");
                continue;
            }
            w.WriteLine($"    var pre = {Field(name, $"Pre{i}")}[column].AsSpan(start * {Int(wi)});");
            w.WriteLine($"    {Field(name, $"Fc{i}")}[column].Forward({source}.AsSpan(start * {Int(sourceWidth)}), pre, count);");
            if (p.HasLaterals(i))
            {
                var wIn = widths[i - 1];
                var k = "column - 1";
                w.WriteLine("    if (column > 0)");
                w.WriteLine("    {");
                w.WriteLine($"        var lateral = {Field(name, $"Lateral{i}")}[{k}].AsSpan(start * column * {Int(wIn)});");
                w.WriteLine($"        var scaled = {Field(name, $"Scaled{i}")}[{k}].AsSpan(start * column * {Int(wIn)});");
                if (!p.Fused) w.WriteLine($"        var reducedPre = {Field(name, $"ReducedPre{i}")}[{k}].AsSpan(start * {Int(c)});");
                w.WriteLine($"        var reduced = {Field(name, $"Reduced{i}")}[{k}].AsSpan(start * {Int(c)});");
                w.WriteLine($"        for (var earlier = 0; earlier < column; earlier++) {Field(name, $"Earlier{i}")}[{k}].Forward(earlier, {Field(name, $"Post{i - 1}")}[earlier].AsSpan(start * {Int(wIn)}), lateral, count);");
                w.WriteLine($"        {Field(name, $"Alpha{i}")}[{k}].Forward(lateral, scaled, count * column * {Int(wIn)});");
                if (p.Fused)
                {
                    w.WriteLine($"        {Field(name, $"Reduce{i}")}[{k}].ForwardRelu(scaled, reduced, count);");
                }
                else
                {
                    w.WriteLine($"        {Field(name, $"Reduce{i}")}[{k}].Forward(scaled, reducedPre, count);");
                    w.WriteLine($"        {activation}.Forward(reducedPre, reduced, count * {Int(c)});");
                }
                w.WriteLine($"        {Field(name, $"Up{i}")}[{k}].Forward(reduced, {Field(name, "LateralOut")}, count);");
                w.WriteLine($"        TensorPrimitives.Add(pre.Slice(0, count * {Int(wi)}), {Field(name, "LateralOut")}.AsSpan(0, count * {Int(wi)}), pre.Slice(0, count * {Int(wi)}));");
                w.WriteLine("    }");
            }
            w.WriteLine($"    {activation}.Forward(pre, {Field(name, $"Post{i}")}[column].AsSpan(start * {Int(wi)}), count * {Int(wi)});");
            w.WriteLine("}");
        }
        w.WriteLine("// Each sample reads out its own task's column.");
        w.WriteLine("for (var column = 0; column < _activeColumns; column++)");
        w.WriteLine("{");
        w.WriteLine($"    int start = _tasks.Start(column), count = _tasks.Count(column);");
        w.WriteLine($"    {Field(name, $"Post{depth - 1}")}[column].AsSpan(start * {Int(last)}, count * {Int(last)}).CopyTo({sorted}.AsSpan(start * {Int(last)}));");
        w.WriteLine("}");
        w.WriteLine($"TaskRows.Scatter({sorted}, _tasks, {Field(name)}, {Int(last)});");
    }

    private static void WriteProgressiveBackward(IndentedTextWriter w, ProgressivePlan p)
    {
        var name = p.Node;
        var widths = p.Widths;
        int depth = widths.Count, c = p.Reduction, last = widths[depth - 1], inputWidth = p.InputWidth;
        var activation = Field(name, "Activation");
        var input = Field(name, "Input");
        var sorted = Field(name, "Sorted");
        var dSorted = GradientField(name, "Sorted");
        var dPre = GradientField(name, "Pre");
        var part = GradientField(name, "Part");
        var xGradient = p.InputGradient.Target;
        var dInput = GradientField(name, "Input");
        if (xGradient is not null) w.WriteLine($"Array.Clear({dInput}, 0, batch * {Int(inputWidth)});");
        w.WriteLine($"TaskRows.Gather({p.OutputGradient}, _tasks, {dSorted}, {Int(last)});");
        w.WriteLine("for (var column = 0; column < _activeColumns; column++)");
        w.WriteLine("{");
        for (var i = 0; i < depth; i++) w.WriteLine($"    Array.Clear({GradientField(name, $"Post{i}")}[column], 0, batch * {Int(widths[i])});");
        w.WriteLine($"    int start = _tasks.Start(column), count = _tasks.Count(column);");
        w.WriteLine($"    {dSorted}.AsSpan(start * {Int(last)}, count * {Int(last)}).CopyTo({GradientField(name, $"Post{depth - 1}")}[column].AsSpan(start * {Int(last)}));");
        w.WriteLine("}");
        // Later columns first: their laterals add into the earlier columns' gradients.
        w.WriteLine("for (var column = _activeColumns - 1; column >= 0; column--)");
        w.WriteLine("{");
        w.WriteLine("    var start = _tasks.Start(column);");
        w.WriteLine("    var count = batch - start;");
        w.WriteLine("    if (count == 0) continue;");
        for (var i = depth - 1; i >= 0; i--)
        {
            var wi = widths[i];
            var source = i == 0 ? input : $"{Field(name, $"Post{i - 1}")}[column]";
            var sourceWidth = i == 0 ? inputWidth : widths[i - 1];
            w.WriteLine($"    {activation}.Backward({Field(name, p.FusedLayer(i) ? $"Post{i}" : $"Pre{i}")}[column].AsSpan(start * {Int(wi)}), {Field(name, $"Post{i}")}[column].AsSpan(start * {Int(wi)}), {GradientField(name, $"Post{i}")}[column].AsSpan(start * {Int(wi)}), {dPre}, count * {Int(wi)});");
            if (i > 0)
            {
                w.WriteLine($"    {Field(name, $"Fc{i}")}[column].Backward({source}.AsSpan(start * {Int(sourceWidth)}), {dPre}, {part}, count);");
                w.WriteLine("    " + AddRows($"{GradientField(name, $"Post{i - 1}")}[column]", part, $"start * {Int(sourceWidth)}", $"count * {Int(sourceWidth)}"));
                if (p.Columns > 1)
                {
                    var wIn = widths[i - 1];
                    var k = "column - 1";
                    w.WriteLine("    if (column > 0)");
                    w.WriteLine("    {");
                    w.WriteLine($"        var lateral = {Field(name, $"Lateral{i}")}[{k}].AsSpan(start * column * {Int(wIn)});");
                    w.WriteLine($"        var scaled = {Field(name, $"Scaled{i}")}[{k}].AsSpan(start * column * {Int(wIn)});");
                    if (!p.Fused) w.WriteLine($"        var reducedPre = {Field(name, $"ReducedPre{i}")}[{k}].AsSpan(start * {Int(c)});");
                    w.WriteLine($"        var reduced = {Field(name, $"Reduced{i}")}[{k}].AsSpan(start * {Int(c)});");
                    w.WriteLine($"        {Field(name, $"Up{i}")}[{k}].Backward(reduced, {dPre}, {GradientField(name, "Reduced")}, count);");
                    // Up is a LinearMap: the reduction's ReLU runs its own backward (by its output when fused).
                    w.WriteLine($"        {activation}.Backward({(p.Fused ? "reduced" : "reducedPre")}, reduced, {GradientField(name, "Reduced")}, {GradientField(name, "ReducedPre")}, count * {Int(c)});");
                    w.WriteLine($"        {Field(name, $"Reduce{i}")}[{k}].Backward(scaled, {GradientField(name, "ReducedPre")}, {GradientField(name, "Scaled")}, count);");
                    w.WriteLine($"        {Field(name, $"Alpha{i}")}[{k}].Backward(lateral, {GradientField(name, "Scaled")}, {GradientField(name, "Lateral")}, count * column * {Int(wIn)});");
                    w.WriteLine("        for (var earlier = 0; earlier < column; earlier++)");
                    w.WriteLine("        {");
                    w.WriteLine($"            {Field(name, $"Earlier{i}")}[{k}].Backward(earlier, {GradientField(name, "Lateral")}, {part}, count);");
                    w.WriteLine("            " + AddRows($"{GradientField(name, $"Post{i - 1}")}[earlier]", part, $"start * {Int(wIn)}", $"count * {Int(wIn)}"));
                    w.WriteLine("        }");
                    w.WriteLine("    }");
                }
            }
            else
            {
                w.WriteLine($"    {Field(name, "Fc0")}[column].Backward({input}.AsSpan(start * {Int(inputWidth)}), {dPre}, {(xGradient is null ? "default" : part)}, count);");
                if (xGradient is not null) w.WriteLine("    " + AddRows(dInput, part, $"start * {Int(inputWidth)}", $"count * {Int(inputWidth)}"));
            }
        }
        w.WriteLine("}");
        if (xGradient is null) return;
        w.WriteLine($"TaskRows.Scatter({dInput}, _tasks, {xGradient}, {Int(inputWidth)});");
        if (p.InputGradient.Accumulates) w.WriteLine(AddInto(p.InputGradient.AccumulateInto!, xGradient, $"batch * {Int(inputWidth)}"));

    }
}
