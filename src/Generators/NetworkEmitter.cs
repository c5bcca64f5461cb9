using System.CodeDom.Compiler;
using System.Linq;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Semantics;
using Mtrl.Generators.Planning;
using static Mtrl.Generators.CSharpLiterals;

namespace Mtrl.Generators;

/// <summary>
/// Prints one network's <see cref="NetworkPlan"/> as a class whose Forward and Backward are
/// straight-line calls into the runtime's layers over workspaces allocated once in the
/// constructor. Every decision (gradients, workspaces, steps) is the plan's
/// (<see cref="NetworkLowering"/>); this class only writes it out.
/// </summary>
internal static partial class NetworkEmitter
{
    public static string ClassName(NetworkModel network) => GeneratedNames.NetworkClass(network.Name);

    /// <summary>The class of the features output of <paramref name="network"/> (which must have one).</summary>
    public static string FeatureClassName(NetworkModel network) => GeneratedNames.FeatureClass(network.Name);

    /// <summary>True when <paramref name="network"/>'s features output implements the runtime's IFeatureNetwork (it does not read the action).</summary>
    public static bool HasFeatureNetwork(AgentModel agent, NetworkModel network) => NetworkLowering.HasFeatureNetwork(network);

    public static void Emit(IndentedTextWriter w, AgentModel agent, NetworkModel network) => Write(w, NetworkLowering.Lower(agent, network));

    /// <summary>
    /// The features output of <paramref name="network"/> as a class of its own over the same
    /// parameter store. Bound to one store with the network, its backward reaches the same body parameters.
    /// </summary>
    public static void EmitFeatures(IndentedTextWriter w, AgentModel agent, NetworkModel network) => Write(w, NetworkLowering.LowerFeatures(agent, network));

    private static string InterfaceName(RowContract contract) => contract switch
    {
        RowContract.QNetwork => "IQNetwork",
        RowContract.PolicyNetwork => "IPolicyNetwork",
        RowContract.CriticNetwork => "ICriticNetwork",
        RowContract.FeatureNetwork => "IFeatureNetwork",
        _ => "",
    };

    private static void Write(IndentedTextWriter w, NetworkPlan plan)
    {
        var className = plan.ClassName;
        var inputs = plan.Inputs;
        w.WriteLineNoTabs("");
        switch (plan.Header)
        {
            case NetworkSummary network:
                w.WriteLine($"/// <summary>The {network.Role} network <c>{network.Network}</c>: forward and backward as a fixed schedule over preallocated workspaces.</summary>");
                w.WriteLine($"/// <remarks>Declared at line {network.Line}. Output: {network.OutputKind}, {Int(network.OutputWidth)} values per sample{(network.GaussianOutput ? " (mean, then unsquashed log-std)" : "")}.</remarks>");
                break;
            case FeaturesSummary features:
                w.WriteLine($"/// <summary>The features output <c>{features.Output}</c> of network <c>{features.Network}</c> (Actor-Mimic's feature regression): {(features.Affine ? $"an affine predictor{(features.PerTask ? " per task" : "")} of <c>{features.Source}</c>" : $"<c>{features.Source}</c> as it is")}, with the network's schedule up to it.</summary>");
                w.WriteLine($"/// <remarks>Declared at line {features.Line}. Output: {Int(features.OutputWidth)} features per sample. Bound to the store of <see cref=\"{features.NetworkClass}\"/>, so Backward reaches the same parameters.</remarks>");
                break;
        }
        var contracts = new System.Collections.Generic.List<string>();
        if (plan.Contract != RowContract.None) contracts.Add(InterfaceName(plan.Contract));
        if (plan.Modular.Columns is not null) contracts.Add("IProgressiveNetwork");
        if (plan.Modular.Pathways is not null) contracts.Add("IPathNetNetwork");
        w.WriteLine(contracts.Count == 0 ? $"public sealed class {className}" : $"public sealed class {className} : {string.Join(", ", contracts)}");
        w.WriteLine("{");
        w.Indent++;
        foreach (var constant in plan.WidthConstants)
        {
            w.WriteLine($"/// <summary>Values per sample of <c>{constant.Node}</c> (line {constant.Line}).</summary>");
            w.WriteLine($"private const int {constant.Name} = {Int(constant.Value)};");
            w.WriteLineNoTabs("");
        }
        foreach (var field in plan.Fields) WriteField(w, field);
        w.WriteLine("private int _batch;");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Binds the network to the agent's parameter store, with room for batches of up to <paramref name=\"maxBatch\"/> samples.</summary>");
        w.WriteLine($"public {className}(ParameterStore store, int maxBatch)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, \"maxBatch must be at least 1\");");
        w.WriteLine("var layout = store.Layout;");
        w.WriteLine("MaxBatch = maxBatch;");
        if (plan.Contract is RowContract.PolicyNetwork or RowContract.CriticNetwork)
        {
            w.WriteLine($"TrainedSlices = layout.SlicesUnder({string.Join(", ", plan.TrainedPrefixes.Select(Str))});");
        }
        foreach (var statement in plan.Constructor) WriteConstructorStatement(w, statement);
        w.Indent--;
        w.WriteLine("}");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Largest batch accepted.</summary>");
        w.WriteLine("public int MaxBatch { get; }");
        w.WriteLineNoTabs("");
        w.WriteLine($"/// <summary>Values per sample in the output: {Int(plan.OutputWidth)}.</summary>");
        w.WriteLine($"public const int OutputWidth = {Int(plan.OutputWidth)};");
        if (inputs.TakesActionGradient)
        {
            w.WriteLineNoTabs("");
            w.WriteLine("/// <summary>∂L/∂action from the last Backward (the actor's update reads it).</summary>");
            w.WriteLine($"public ReadOnlySpan<float> ActionGradient => {FieldNames.ActionGradient}.AsSpan(0, _batch * ActionSize);");
        }

        var parameters = inputs.Read.Select(i => $"ReadOnlySpan<float> {i.Parameter}").ToList();
        if (inputs.ReadsAction) parameters.Add("ReadOnlySpan<float> action");
        if (inputs.UsesTasks) parameters.Add("ReadOnlySpan<int> task");
        parameters.Add("int batch");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Runs the network on a batch; inputs are copied so Backward can follow without them.</summary>");
        w.WriteLine($"public ReadOnlySpan<float> Forward({string.Join(", ", parameters)})");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("if (batch < 1 || batch > MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $\"batch must be in [1, {MaxBatch}]\");");
        foreach (var input in inputs.Read)
        {
            w.WriteLine($"{input.Parameter}.Slice(0, batch * {Int(input.Width)}).CopyTo({input.Field});");
        }
        if (inputs.ReadsAction) w.WriteLine($"action.Slice(0, batch * ActionSize).CopyTo({FieldNames.ActionInput});");
        // Forward only copies its inputs into place; the schedule runs in Run, whose only
        // parameter is batch, so no input's name can meet a local of the schedule.
        if (inputs.UsesTasks) w.WriteLine($"task.Slice(0, batch).CopyTo({FieldNames.TaskIds});");
        w.WriteLine("return Run(batch);");
        w.Indent--;
        w.WriteLine("}");
        if (plan.Contract != RowContract.None) WriteRowMembers(w, plan);
        else WriteRun(w, plan);

        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Back-propagates ∂L/∂output of the last Forward, accumulating parameter gradients into the store.</summary>");
        w.WriteLine($"public void Backward(ReadOnlySpan<float> {FieldNames.OutputGradient})");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("var batch = _batch;");
        w.WriteLine($"if ({FieldNames.OutputGradient}.Length < batch * OutputWidth) throw new ArgumentException($\"outputGradient needs {{batch * OutputWidth}} values\", nameof({FieldNames.OutputGradient}));");
        foreach (var summed in plan.SummedGradients)
        {
            w.WriteLine($"Array.Clear({summed.Field}, 0, batch * {(summed.IsAction ? "ActionSize" : Width(summed.Width, summed.Named))});");
        }
        foreach (var node in plan.Backward)
        {
            w.WriteLine($"// {node.Node}: {node.Kind}");
            foreach (var step in node.Steps) WriteBackwardStep(w, step);
        }
        w.Indent--;
        w.WriteLine("}");
        WriteUseGemm(w, plan);
        if (plan.Modular.Pathways is { } pathways) WritePathwayMembers(w, pathways);
        WriteModularMembers(w, plan.Modular);
        if (plan.Modular.UsesTaskSlices) WriteTemplate(w, NetworkTemplates.TaskSlices);
        w.Indent--;
        w.WriteLine("}");
    }

    /// <summary>
    /// The members of the runtime interface the plan's contract names (IQNetwork, IPolicyNetwork,
    /// ICriticNetwork or IFeatureNetwork): the row widths, what the contract adds, and a Forward over
    /// rows as environments and replay buffers hold them, sharing the typed Forward's schedule.
    /// </summary>
    private static void WriteRowMembers(IndentedTextWriter w, NetworkPlan plan)
    {
        var inputs = plan.Inputs;
        var contract = InterfaceName(plan.Contract);
        var critic = plan.Contract == RowContract.CriticNetwork;
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Floats per observation row of <see cref=\"NetworkInputs\"/>: " +
            (inputs.ObservationRow.Count == 0 ? "none" : string.Join(", ", inputs.ObservationRow.Select(i => $"<c>{i.Name}</c>"))) + " side by side.</summary>");
        w.WriteLine($"public int ObservationWidth => {Int(inputs.ObservationRow.Sum(i => i.Width))};");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Floats per goal row of <see cref=\"NetworkInputs\"/>" +
            (inputs.GoalRow.Count == 0 ? " (the agent has no goals)" : ": " + string.Join(", ", inputs.GoalRow.Select(i => $"<c>{i.Name}</c>")) + " side by side") + ".</summary>");
        w.WriteLine($"public int GoalWidth => {Int(inputs.GoalRow.Sum(i => i.Width))};");
        w.WriteLineNoTabs("");
        if (plan.Contract == RowContract.QNetwork)
        {
            w.WriteLine("/// <summary>Q values per row: one per action.</summary>");
            w.WriteLine("public int ActionCount => OutputWidth;");
        }
        else if (plan.Contract == RowContract.FeatureNetwork)
        {
            w.WriteLine("/// <summary>Features per row.</summary>");
            w.WriteLine("public int Width => OutputWidth;");
        }
        else
        {
            w.WriteLine($"int {contract}.ActionSize => ActionSize;");
            if (!critic)
            {
                w.WriteLineNoTabs("");
                w.WriteLine($"bool IPolicyNetwork.IsStochastic => {(inputs.Stochastic ? "true" : "false")};");
            }
            w.WriteLineNoTabs("");
            w.WriteLine("/// <summary>The slices Backward accumulates gradients into: " + string.Join(", ", plan.TrainedPrefixes.Select(p => $"<c>{p}</c>")) + ".</summary>");
            w.WriteLine("public IReadOnlyList<ParameterSlice> TrainedSlices { get; }");
        }
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Runs the network on rows as environments and replay buffers hold them; each input is read from its place in the observation or goal row.</summary>");
        w.WriteLine(critic ? "public ReadOnlySpan<float> Forward(scoped in NetworkInputs inputs, ReadOnlySpan<float> actions)" : "public ReadOnlySpan<float> Forward(scoped in NetworkInputs inputs)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("var batch = inputs.Count;");
        w.WriteLine("if (batch < 1 || batch > MaxBatch) throw new ArgumentOutOfRangeException(nameof(inputs), batch, $\"batch must be in [1, {MaxBatch}]\");");
        w.WriteLine("if (inputs.Observations.Length < batch * ObservationWidth || inputs.Goals.Length < batch * GoalWidth) throw new ArgumentException($\"inputs need {batch} rows of {ObservationWidth} observation and {GoalWidth} goal values\", nameof(inputs));");
        WriteRowCopies(w, inputs.ObservationRow, "inputs.Observations", "ObservationWidth");
        WriteRowCopies(w, inputs.GoalRow, "inputs.Goals", "GoalWidth");
        if (critic) w.WriteLine($"actions.Slice(0, batch * ActionSize).CopyTo({FieldNames.ActionInput});");
        if (inputs.UsesTasks)
        {
            w.WriteLine($"if (inputs.Tasks.IsEmpty) Array.Clear({FieldNames.TaskIds}, 0, batch);");
            w.WriteLine($"else inputs.Tasks.Slice(0, batch).CopyTo({FieldNames.TaskIds});");
        }
        w.WriteLine("return Run(batch);");
        w.Indent--;
        w.WriteLine("}");
        WriteRun(w, plan);
    }

    /// <summary>The schedule both Forward overloads share, once the inputs are in place: task grouping, the layer calls, the output.</summary>
    private static void WriteRun(IndentedTextWriter w, NetworkPlan plan)
    {
        w.WriteLineNoTabs("");
        w.WriteLine("private ReadOnlySpan<float> Run(int batch)");
        w.WriteLine("{");
        w.Indent++;
        if (plan.Inputs.UsesTasks) w.WriteLine($"{FieldNames.Tasks}.Assign({FieldNames.TaskIds}, batch);");
        w.WriteLine("_batch = batch;");
        foreach (var step in plan.Forward) WriteForwardStep(w, step);
        w.WriteLine($"return {plan.OutputField}.AsSpan(0, batch * OutputWidth);");
        w.Indent--;
        w.WriteLine("}");
    }

    /// <summary>Copies the inputs the network reads out of packed rows: one bulk copy when an input is the whole row.</summary>
    private static void WriteRowCopies(IndentedTextWriter w, Dsl.EquatableArray<RowPart> row, string rows, string rowWidth)
    {
        foreach (var part in row)
        {
            if (part.Field is not { } field) continue;
            w.WriteLine(part.WholeRow
                ? $"{rows}.Slice(0, batch * {Int(part.Width)}).CopyTo({field});"
                : $"for (var b = 0; b < batch; b++) {rows}.Slice(b * {rowWidth} + {Int(part.Offset)}, {Int(part.Width)}).CopyTo({field}.AsSpan(b * {Int(part.Width)}, {Int(part.Width)}));");
        }
    }

    /// <summary>Writes <c>UseGemm</c>: every matrix layer of the plan gets the chosen back end and accelerator.</summary>
    private static void WriteUseGemm(IndentedTextWriter w, NetworkPlan plan)
    {
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Runs every matrix product of this network with <paramref name=\"backend\"/> on <paramref name=\"accelerator\"/> (null: the default accelerator, all cores).</summary>");
        w.WriteLine("public void UseGemm(GemmBackend backend, Accelerator? accelerator)");
        w.WriteLine("{");
        w.Indent++;
        foreach (var group in plan.MatrixLayers.Where(l => l.Rank == 0).GroupBy(l => l.Element))
        {
            if (group.Count() == 1)
            {
                w.WriteLine($"{group.First().Name}.Backend = backend;");
                w.WriteLine($"{group.First().Name}.Accelerator = accelerator;");
                continue;
            }
            w.WriteLine($"foreach (var layer in new[] {{ {string.Join(", ", group.Select(l => l.Name))} }})");
            WriteTemplate(w, NetworkTemplates.ConfigureLayer);
        }
        foreach (var layer in plan.MatrixLayers.Where(l => l.Rank > 0))
        {
            w.WriteLine(layer.Rank == 1 ? $"foreach (var layer in {layer.Name})" : $"foreach (var row in {layer.Name}) foreach (var layer in row)");
            WriteTemplate(w, NetworkTemplates.ConfigureLayer);
        }
        w.Indent--;
        w.WriteLine("}");
    }

    /// <summary>Writes a template line by line at the writer's indentation (blank lines without indentation).</summary>
    private static void WriteTemplate(IndentedTextWriter w, string template)
    {
        foreach (var line in template.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.Length == 0) w.WriteLineNoTabs("");
            else w.WriteLine(line);
        }
    }
}
