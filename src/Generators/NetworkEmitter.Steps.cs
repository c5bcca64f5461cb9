using System.CodeDom.Compiler;
using System.Linq;
using Mtrl.Generators.Planning;
using static Mtrl.Generators.CSharpLiterals;

namespace Mtrl.Generators;

/// <summary>Prints the plan's fields, constructor statements and the steps of the plain layers.</summary>
internal static partial class NetworkEmitter
{
    private static string TypeName(FieldPlan field)
    {
        var element = field.Element switch
        {
            FieldElement.Float => "float",
            FieldElement.Int => "int",
            _ => field.Element.ToString(),
        };
        return element + string.Concat(Enumerable.Repeat("[]", field.Rank));
    }

    private static void WriteField(IndentedTextWriter w, FieldPlan field) =>
        w.WriteLine(field.ReadOnly ? $"private readonly {TypeName(field)} {field.Name};" : $"private {TypeName(field)} {field.Name};");

    /// <summary>The C# expression of a slice: an interpolated string when its name holds loop variables.</summary>
    private static string Slice(SliceName name) => name.Indices != LoopIndex.None ? $"layout[$\"{name.Name}\"]" : $"layout[\"{name.Name}\"]";

    /// <summary>The weight and bias slices of an affine layer, as two arguments.</summary>
    private static string AffineSlices(SliceName affine) => $"{Slice(affine.Weight)}, {Slice(affine.Bias)}";

    /// <summary><paramref name="count"/> copies of <paramref name="width"/>, as arguments.</summary>
    private static string Repeat(int width, int count) => string.Join(", ", Enumerable.Repeat(Int(width), count));

    private static string Creation(LayerCreation creation) => creation switch
    {
        OneHotCreation oneHot => $"new OneHot({Int(oneHot.Tasks)})",
        TaskOneHotCreation => "new OneHot(Tasks)",
        EmbeddingCreation embedding => $"new Embedding(store, {Slice(embedding.Table)})",
        ConcatCreation concat => $"new Concat({string.Join(", ", concat.Parts.Select(p => Int(p)))})",
        SplitCreation split => $"new Split({string.Join(", ", split.Parts.Select(p => Int(p)))})",
        FilmCreation film => $"new Film(store, {AffineSlices(film.Affine)})",
        LinearCreation linear => $"new Linear(store, {AffineSlices(linear.Affine)})",
        TaskLinearCreation task => $"new TaskLinear(store, TaskSlices(layout, t => $\"{task.Affine.Weight.Name}\"), TaskSlices(layout, t => $\"{task.Affine.Bias.Name}\"), maxBatch)",
        LayerNormCreation norm => $"new LayerNorm(store, {Slice(norm.Gain)}, {Slice(norm.Shift)})",
        ActivationCreation activation => $"new Activation(ActivationKind.{activation.Kind})",
        ModuleMixCreation mix => $"new ModuleMix({Int(mix.Modules)}, {Int(mix.Rows)}, {Int(mix.Width)})",
        _ => throw new System.InvalidOperationException($"no printer for {creation}"),
    };

    /// <summary>A width as the plan names it (<c>HWidth</c>, <c>2 * HWidth</c>), else the number.</summary>
    private static string Width(int width, NamedWidth? named) =>
        named is null ? Int(width) : named.Multiple == 1 ? named.Constant : $"{Int(named.Multiple)} * {named.Constant}";

    private static void WriteConstructorStatement(IndentedTextWriter w, ConstructorStatement statement)
    {
        switch (statement)
        {
            case AllocateBuffer buffer:
                w.WriteLine($"{buffer.Field} = new float[maxBatch * {Width(buffer.Width, buffer.Named)}];");
                break;
            case AllocateActionBuffer action:
                w.WriteLine($"{action.Field} = new float[maxBatch * ActionSize];");
                break;
            case AllocateTaskIds ids:
                w.WriteLine($"{ids.Field} = new int[maxBatch];");
                break;
            case CreateTaskBatch tasks:
                w.WriteLine($"{tasks.Field} = new TaskBatch(Tasks, maxBatch);");
                break;
            case KeepStore store:
                w.WriteLine($"{store.Field} = store;");
                break;
            case CreateLayer layer:
                w.WriteLine($"{layer.Field} = {Creation(layer.Creation)};");
                break;
            case FillUniform fill:
                w.WriteLine($"Array.Fill({fill.Field}, 1f / {Int(fill.Count)});");
                break;
            case StartActiveColumns columns:
                w.WriteLine($"{columns.Field} = 1;");
                break;
            case AssignDefaultPathways pathways:
                w.WriteLine($"{pathways.Field} = DefaultPathways();");
                break;
            case AllocateBlock block:
                WriteBlockAllocation(w, block.Allocation);
                break;
            default:
                throw new System.InvalidOperationException($"no printer for {statement}");
        }
    }

    private static void WriteForwardStep(IndentedTextWriter w, ForwardStep step)
    {
        switch (step)
        {
            case NodeStart start:
                w.WriteLine($"// {start.Node}: {start.Kind}");
                break;
            case TaskLookupForward lookup:
                w.WriteLine($"{lookup.Layer}.Forward({FieldNames.TaskIds}, {lookup.Output}, batch);");
                break;
            case ConcatForward concat:
                w.WriteLine($"{concat.Layer}.Forward({concat.Part}, {concat.Input}, {concat.Output}, batch);");
                break;
            case StopGradientForward stop:
                w.WriteLine($"StopGradient.Forward({stop.Input}, {stop.Output}, batch * {Int(stop.Width)});");
                break;
            case FilmForward film:
                w.WriteLine($"{film.Layer}.Forward({film.Input}, {film.Condition}, {film.GammaBeta}, {film.Output}, batch);");
                break;
            case AffineForward affine:
                w.WriteLine(affine.Mode switch
                {
                    AffineMode.FusedRelu => $"{affine.Layer}.ForwardRelu({affine.Input}, {affine.Output}, batch);",
                    AffineMode.PerTask => $"{affine.Layer}.Forward({affine.Input}, {FieldNames.Tasks}, {affine.Output});",
                    _ => $"{affine.Layer}.Forward({affine.Input}, {affine.Output}, batch);",
                });
                break;
            case NormForward norm:
                w.WriteLine($"{norm.Layer}.Forward({norm.Input}, {norm.Output}, batch);");
                break;
            case ActivationForward activation:
                w.WriteLine($"{activation.Layer}.Forward({activation.Input}, {activation.Output}, batch * {Width(activation.Width, activation.Named)});");
                break;
            case CopyForward copy:
                w.WriteLine($"{copy.Input}.AsSpan(0, batch * {Width(copy.Width, copy.Named)}).CopyTo({copy.Output});");
                break;
            case BlockForward block:
                WriteBlockForward(w, block.Block);
                break;
            default:
                throw new System.InvalidOperationException($"no printer for {step}");
        }
    }

    /// <summary>A gradient target as a span argument: an empty span when the input takes none.</summary>
    private static string Target(string? target) => target ?? "default";

    /// <summary><c>target += part</c> over <paramref name="length"/> floats.</summary>
    private static string AddInto(string target, string part, string length) =>
        $"TensorPrimitives.Add({target}.AsSpan(0, {length}), {part}.AsSpan(0, {length}), {target}.AsSpan(0, {length}));";

    /// <summary><c>target[offset..] += part</c> over <paramref name="length"/> floats.</summary>
    private static string AddRows(string target, string part, string offset, string length) =>
        $"TensorPrimitives.Add({target}.AsSpan({offset}, {length}), {part}.AsSpan(0, {length}), {target}.AsSpan({offset}, {length}));";

    private static void WriteBackwardStep(IndentedTextWriter w, BackwardStep step)
    {
        switch (step)
        {
            case EmbeddingBackward embedding:
                w.WriteLine($"{embedding.Layer}.Backward({FieldNames.TaskIds}, {embedding.OutputGradient}, batch);");
                break;
            case ConcatBackward concat:
                w.WriteLine($"{concat.Layer}.Backward({concat.Part}, {concat.OutputGradient}, {concat.Target}, batch);");
                break;
            case FilmBackward film:
                w.WriteLine($"{film.Layer}.Backward({film.Input}, {film.Condition}, {film.GammaBeta}, {film.OutputGradient}, {film.GammaBetaGradient}, {Target(film.InputGradient)}, {Target(film.ConditionGradient)}, batch);");
                break;
            case AffineBackward affine:
                w.WriteLine(affine.Mode switch
                {
                    AffineBackwardMode.ThroughRelu => $"{affine.Layer}.BackwardThroughRelu({affine.Input}, {affine.OutputGradient}, {Target(affine.Target)}, batch);",
                    AffineBackwardMode.PerTask => $"{affine.Layer}.Backward({affine.Input}, {affine.OutputGradient}, {FieldNames.Tasks}, {Target(affine.Target)});",
                    _ => $"{affine.Layer}.Backward({affine.Input}, {affine.OutputGradient}, {Target(affine.Target)}, batch);",
                });
                break;
            case NormBackward norm:
                w.WriteLine($"{norm.Layer}.Backward({norm.Input}, {norm.OutputGradient}, {Target(norm.Target)}, batch);");
                break;
            case ActivationBackward activation:
                w.WriteLine($"{activation.Layer}.Backward({activation.Input}, {activation.Output}, {activation.OutputGradient}, {Target(activation.Target)}, batch * {Width(activation.Width, activation.Named)});");
                break;
            case CopyBackward copy:
                w.WriteLine($"{copy.OutputGradient}.Slice(0, batch * {Width(copy.Width, copy.Named)}).CopyTo({copy.Target});");
                break;
            case AccumulateGradient accumulate:
                w.WriteLine(AddInto(accumulate.Target, accumulate.Part, $"batch * {Width(accumulate.Width, accumulate.Named)}"));
                break;
            case BlockBackward block:
                WriteBlockBackward(w, block.Block);
                break;
            default:
                throw new System.InvalidOperationException($"no printer for {step}");
        }
    }
}
