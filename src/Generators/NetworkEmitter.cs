using System;
using System.CodeDom.Compiler;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Semantics;
using static Mtrl.Generators.CSharpLiterals;

namespace Mtrl.Generators;

/// <summary>
/// Emits one network as a class whose Forward and Backward are straight-line calls into the
/// runtime's layers over workspaces allocated once in the constructor. Backward walks the nodes
/// in reverse; a value read by several consumers (or by every FiLM layer of an MLP) gets its
/// gradient summed through a scratch buffer; nodes reachable from the output only through
/// detach are skipped.
/// </summary>
internal sealed partial class NetworkEmitter
{
    private readonly AgentModel _agent;
    private readonly NetworkModel _network;
    private readonly List<string> _fields = new();
    private readonly List<(string Type, string Field, int Rank)> _gemmLayers = new();
    private readonly HashSet<string> _gemmFields = new(StringComparer.Ordinal);
    private readonly List<string> _constructor = new();
    private readonly List<string> _forward = new();
    private readonly List<List<string>> _backward = new();
    private readonly Dictionary<string, NodeModel> _nodes;
    private readonly Dictionary<string, int> _contributions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _needsGradient = new(StringComparer.Ordinal);
    private readonly List<InputModel> _inputs;
    private bool _usesTasks;
    private bool _usesScratch;
    private bool _usesSecondScratch;
    private bool _usesTaskSlices;
    private (NodeModel Node, PathNetOp Grid)? _pathNet;
    private int _scratchWidth;

    /// <summary>The network whose features output this emitter schedules, or null for a network itself.</summary>
    private readonly NetworkModel? _featuresOf;

    private NetworkEmitter(AgentModel agent, NetworkModel network, NetworkModel? featuresOf = null)
    {
        _agent = agent;
        _network = network;
        _featuresOf = featuresOf;
        _nodes = network.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var read = new HashSet<string>(network.Nodes.SelectMany(n => n.Inputs).Select(i => i.Source), StringComparer.Ordinal);
        _inputs = agent.Inputs.Where(i => read.Contains(i.Name)).ToList();
    }

    public static string ClassName(NetworkModel network) => GeneratedNames.NetworkClass(network.Name);

    /// <summary>The class of the features output of <paramref name="network"/> (which must have one).</summary>
    public static string FeatureClassName(NetworkModel network) => GeneratedNames.FeatureClass(network.Name);

    public static void Emit(IndentedTextWriter w, AgentModel agent, NetworkModel network)
    {
        var emitter = new NetworkEmitter(agent, network);
        emitter.Plan();
        emitter.Write(w);
    }

    /// <summary>
    /// The features output of <paramref name="network"/> as a class of its own over the same
    /// parameter store: the nodes the features read, then the features node as its output. Bound
    /// to one store with the network, its backward reaches the same body parameters.
    /// </summary>
    public static void EmitFeatures(IndentedTextWriter w, AgentModel agent, NetworkModel network)
    {
        var emitter = new NetworkEmitter(agent, FeatureSchedule(network), network);
        emitter.Plan();
        emitter.Write(w);
    }

    /// <summary>The features output's schedule: the nodes it reads, in the network's order, ending in the features node.</summary>
    private static NetworkModel FeatureSchedule(NetworkModel network)
    {
        var features = network.Features ?? throw new InvalidOperationException($"network '{network.Name}' has no features output");
        var byName = network.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var read = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push(features.Inputs[0].Source);
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (!byName.TryGetValue(name, out var node) || !read.Add(name)) continue;
            foreach (var input in node.Inputs) pending.Push(input.Source);
        }
        var nodes = network.Nodes.Where(n => read.Contains(n.Name)).Append(features).ToEquatableArray();
        return network with
        {
            Nodes = nodes,
            ReadsAction = nodes.Any(n => n.Inputs.Any(i => i.Source == "action")),
            Features = null,
        };
    }

    /// <summary>True when <paramref name="network"/>'s features output implements the runtime's IFeatureNetwork (it does not read the action).</summary>
    public static bool HasFeatureNetwork(AgentModel agent, NetworkModel network) =>
        network.Features is not null && !FeatureSchedule(network).ReadsAction;

    private NodeModel Output => _network.Output;

    /// <summary>The typed Forward's parameter for an input: its camel name, '@'-escaped if a keyword.</summary>
    private static string Parameter(string input) => GeneratedNames.Escape(Camel(input));

    private static string Camel(string name) => GeneratedNames.Camel(name);

    /// <summary>
    /// The field of a node's value (<c>_h</c>), or of the part <paramref name="role"/> of it
    /// (<c>_h_fc0</c>). A camel name holds no '_' after its first character, so the '_' before the
    /// role keeps every node's fields apart from every other node's (GeneratedNames).
    /// </summary>
    private static string Field(string node, string role = "") =>
        role.Length == 0 ? "_" + Camel(node) : "_" + Camel(node) + "_" + LowerFirst(role);

    /// <summary>The gradient of a node's value (<c>_h_grad</c>) or of one of its parts (<c>_h_fc0Grad</c>).</summary>
    private static string GradientField(string node, string role = "") =>
        role.Length == 0 ? "_" + Camel(node) + "_grad" : "_" + Camel(node) + "_" + LowerFirst(role) + "Grad";

    private static string LowerFirst(string role) => char.ToLowerInvariant(role[0]) + role.Substring(1);


    /// <summary>Floats per sample a node writes: a head's raw readout (a Gaussian's is [μ | log-std], 2d wide), else its width.</summary>
    private static int Width(NodeModel node) => node.Op is HeadOp head ? head.ReadoutWidth : node.Width;

    private string Prefix(NodeModel node) => node.Block ?? ParameterNames.Node(_network.Name, node.Name);

    /// <summary>The C# expression of the slice named <paramref name="name"/>: an interpolated string when the name holds a loop variable (<c>{t}</c>).</summary>
    private static string Slice(string name) => name.IndexOf('{') >= 0 ? $"layout[$\"{name}\"]" : $"layout[\"{name}\"]";

    /// <summary>The weight and bias slices of the affine layer named <paramref name="affine"/>, as two arguments.</summary>
    private static string AffineSlices(string affine) => $"{Slice(ParameterNames.Weight(affine))}, {Slice(ParameterNames.Bias(affine))}";

    private bool IsNode(string source) => _nodes.ContainsKey(source);

    /// <summary>The span expression for a source's values.</summary>
    private string Value(string source) => source switch
    {
        "task" => "_taskIds",
        "action" => "_action",
        _ when IsNode(source) => Field(source),
        _ => "_" + Camel(source),
    };

    /// <summary>The gradient of a node's output as a span expression.</summary>
    private string OutputGradient(NodeModel node) => node.Name == Output.Name ? "outputGradient" : GradientField(node.Name);

    private void Plan()
    {
        _needsGradient.UnionWith(GradientFlow.NodesNeedingGradient(_network));
        var actionNeeded = false;
        foreach (var node in _network.Nodes)
        {
            if (!_needsGradient.Contains(node.Name) || node.Op is DetachOp) continue;
            foreach (var input in node.Inputs)
            {
                if (input.Source != "action" && !_needsGradient.Contains(input.Source) || !GradientFlow.CarriesGradient(node, input)) continue;
                // Ops that add one part per module into their input's gradient count each part.
                var count = node.Op switch
                {
                    MlpOp mlp when input.Parameter == "film" => mlp.Widths.Count,
                    PathNetOp grid => grid.Modules,
                    MoeOp { Gate: not GateKind.PerTask } moe when input.Parameter == "x" => moe.Experts,
                    // Soft-Module's modules read relu(x) and sum their parts before that ReLU's backward.
                    SoftModularOp { Style: SoftModularStyle.SoftModule } when input.Parameter == "x" => 2,
                    SoftModularOp soft when input.Parameter == "x" => soft.Modules + 1,
                    _ => 1,
                };
                _contributions[input.Source] = (_contributions.TryGetValue(input.Source, out var c) ? c : 0) + count;
                actionNeeded |= input.Source == "action";
            }
        }

        foreach (var input in _inputs)
        {
            _fields.Add($"private readonly float[] {Value(input.Name)};");
            _constructor.Add($"{Value(input.Name)} = new float[maxBatch * {Int(input.Width)}];");
        }
        if (_network.ReadsAction)
        {
            _fields.Add("private readonly float[] _action;");
            _constructor.Add($"_action = new float[maxBatch * ActionSize];");
            if (actionNeeded)
            {
                _fields.Add("private readonly float[] _dAction;");
                _constructor.Add("_dAction = new float[maxBatch * ActionSize];");
            }
        }
        _usesTasks = _network.Nodes.Any(n => n.Op is OneHotOp or EmbeddingOp or HeadsOp or PathNetOp or ProgressiveOp
            || n.Op is HeadOp { PerTask: true } || n.Op is FeaturesOp { PerTask: true }
            || n.Op is MoeOp { Gate: GateKind.PerTask } || n.Op is MoeOp { Gate: GateKind.Attention or GateKind.TopK } && !n.Inputs.Any(i => i.Parameter == "by"));
        if (_network.Nodes.Any(n => n.Op is ProgressiveOp or PathNetOp))
        {
            _fields.Add("private readonly ParameterStore _store;");
            _constructor.Add("_store = store;");
        }
        if (_usesTasks)
        {
            _fields.Add("private readonly int[] _taskIds;");
            _fields.Add("private readonly TaskBatch _tasks;");
            _constructor.Add("_taskIds = new int[maxBatch];");
            _constructor.Add("_tasks = new TaskBatch(Tasks, maxBatch);");
        }

        foreach (var node in _network.Nodes)
        {
            Buffer(Field(node.Name), Width(node));
            if (_needsGradient.Contains(node.Name) && node.Name != Output.Name) Buffer(GradientField(node.Name), Width(node));
            var backward = new List<string>();
            _backward.Add(backward);
            PlanNode(node, backward);
        }
        if (_usesScratch)
        {
            _fields.Add("private readonly float[] _scratch;");
            _constructor.Add($"_scratch = new float[maxBatch * {Int(_scratchWidth)}];");
        }
        if (_usesSecondScratch)
        {
            _fields.Add("private readonly float[] _scratchB;");
            _constructor.Add($"_scratchB = new float[maxBatch * {Int(_scratchWidth)}];");
        }
    }

    private void Buffer(string field, int width)
    {
        _fields.Add($"private readonly float[] {field};");
        _constructor.Add($"{field} = new float[maxBatch * {Int(width)}];");
    }

    private void Layer(string type, string field, string creation)
    {
        Declare(type, field);
        _constructor.Add($"{field} = {creation};");
    }

    /// <summary>Declares a field; fields holding matrix-product layers (alone or in arrays) are remembered for UseGemm.</summary>
    private void Declare(string type, string field)
    {
        _fields.Add($"private readonly {type} {field};");
        var element = type.Replace("[]", "");
        var layer = (element, field, (type.Length - element.Length) / 2);
        if (element is "Linear" or "TaskLinear" or "LinearMap" && _gemmFields.Add(field))
        {
            _gemmLayers.Add(layer);
        }
    }

    /// <summary>
    /// Where a consumer writes the gradient for <paramref name="source"/>: nothing for network
    /// inputs, the source's buffer when it is the only contribution, else the scratch buffer
    /// (then <see cref="Accumulate"/> adds it in).
    /// </summary>
    private bool ReceivesGradient(string source) =>
        source == "action" ? _contributions.ContainsKey("action") : IsNode(source) && _needsGradient.Contains(source);

    private string InputGradient(string source, int width, out bool accumulate)
    {
        accumulate = false;
        if (source == "action" && _contributions.ContainsKey("action"))
        {
            accumulate = _contributions["action"] > 1;
            if (!accumulate) return "_dAction";
        }
        else if (!IsNode(source) || !_needsGradient.Contains(source))
        {
            return "default";
        }
        else if (_contributions[source] == 1)
        {
            return GradientField(source);
        }
        accumulate = true;
        _usesScratch = true;
        _scratchWidth = Math.Max(_scratchWidth, width);
        return "_scratch";
    }

    private void Accumulate(List<string> backward, string source, int width, string scratch = "_scratch")
    {
        var target = source == "action" ? "_dAction" : GradientField(source);
        backward.Add(AddInto(target, scratch, $"batch * {Int(width)}"));
    }

    private string In(NodeModel node, string parameter) => node.Inputs.First(i => i.Parameter == parameter).Source;

    private int InWidth(NodeModel node, string parameter) => node.Inputs.First(i => i.Parameter == parameter).Width;

    private void PlanNode(NodeModel node, List<string> backward)
    {
        var name = node.Name;
        var prefix = Prefix(node);
        var output = Field(name);
        var needs = _needsGradient.Contains(name);
        var dy = OutputGradient(node);
        _forward.Add($"// {name}: {node.Op.Kind}");
        backward.Add($"// {name}: {node.Op.Kind}");
        switch (node.Op)
        {
            case OneHotOp oneHot:
                Layer("OneHot", Field(name, "Layer"), $"new OneHot({Int(oneHot.Tasks)})");
                _forward.Add($"{Field(name, "Layer")}.Forward(_taskIds, {output}, batch);");
                break;
            case EmbeddingOp:
                Layer("Embedding", Field(name, "Layer"), $"new Embedding(store, {Slice(ParameterNames.Table(prefix))})");
                _forward.Add($"{Field(name, "Layer")}.Forward(_taskIds, {output}, batch);");
                if (needs) backward.Add($"{Field(name, "Layer")}.Backward(_taskIds, {dy}, batch);");
                break;
            case ConcatOp:
                {
                    Layer("Concat", Field(name, "Layer"), $"new Concat({string.Join(", ", node.Inputs.Select(i => Int(i.Width)))})");
                    for (var part = 0; part < node.Inputs.Count; part++)
                    {
                        _forward.Add($"{Field(name, "Layer")}.Forward({part}, {Value(node.Inputs[part].Source)}, {output}, batch);");
                    }
                    if (!needs) break;
                    for (var part = 0; part < node.Inputs.Count; part++)
                    {
                        var input = node.Inputs[part];
                        var target = InputGradient(input.Source, input.Width, out var accumulate);
                        if (target == "default") continue;
                        backward.Add($"{Field(name, "Layer")}.Backward({part}, {dy}, {target}, batch);");
                        if (accumulate) Accumulate(backward, input.Source, input.Width);
                    }
                    break;
                }
            case DetachOp:
                _forward.Add($"StopGradient.Forward({Value(In(node, "x"))}, {output}, batch * {Int(node.Width)});");
                break;
            case FilmOp:
                {
                    Layer("Film", Field(name, "Layer"), $"new Film(store, {AffineSlices(prefix)})");
                    Buffer(Field(name, "GammaBeta"), 2 * node.Width);
                    var x = In(node, "x");
                    var by = In(node, "by");
                    _forward.Add($"{Field(name, "Layer")}.Forward({Value(x)}, {Value(by)}, {Field(name, "GammaBeta")}, {output}, batch);");
                    if (!needs) break;
                    Buffer(GradientField(name, "GammaBeta"), 2 * node.Width);
                    var dx = InputGradient(x, node.Width, out var accumulateX);
                    var dBy = InputGradient(by, InWidth(node, "by"), out var accumulateBy);
                    if (accumulateX && accumulateBy)
                    {
                        // Both inputs sum gradients: the conditioning gets the second scratch buffer.
                        dBy = "_scratchB";
                        _usesSecondScratch = true;
                    }
                    backward.Add($"{Field(name, "Layer")}.Backward({Value(x)}, {Value(by)}, {Field(name, "GammaBeta")}, {dy}, {GradientField(name, "GammaBeta")}, {dx}, {dBy}, batch);");
                    if (accumulateX) Accumulate(backward, x, node.Width);
                    if (accumulateBy) Accumulate(backward, by, InWidth(node, "by"), dBy);
                    break;
                }
            case LinearOp linear:
                PlanAffineChain(node, backward, new[] { linear.Width }, linear.Activation, layerNorm: false, film: false, perTask: false, readout: false, single: true);
                break;
            case MlpOp mlp:
                PlanAffineChain(node, backward, mlp.Widths.ToArray(), mlp.Activation, mlp.LayerNorm, mlp.Film, perTask: false, readout: false);
                break;
            case HeadsOp heads:
                PlanAffineChain(node, backward, heads.Widths.ToArray(), heads.Activation, layerNorm: false, film: false, perTask: true, readout: false);
                break;
            case FeaturesOp { Affine: true } features:
                PlanAffineChain(node, backward, new[] { features.Width }, ActivationKind.None, layerNorm: false, film: false, perTask: features.PerTask, readout: true);
                break;
            case FeaturesOp:
                {
                    // The features are x itself: copied out, so the output survives the caller's next use of x's workspace.
                    var x = In(node, "x");
                    var size = $"batch * {Int(node.Width)}";
                    _forward.Add($"{Value(x)}.AsSpan(0, {size}).CopyTo({output});");
                    if (!needs) break;
                    var target = InputGradient(x, node.Width, out var accumulate);
                    if (target == "default") break;
                    backward.Add($"{dy}.Slice(0, {size}).CopyTo({target});");
                    if (accumulate) Accumulate(backward, x, node.Width);
                    break;
                }
            case HeadOp head:
                PlanAffineChain(node, backward, new[] { head.ReadoutWidth }, head is DeterministicOp ? ActivationKind.Tanh : ActivationKind.None,
                    layerNorm: false, film: false, perTask: head.PerTask, readout: true);
                break;
            case PathNetOp grid:
                PlanPathNet(node, grid, backward);
                break;
            case MoeOp { Gate: GateKind.PerTask } moe:
                // Expert t for task t: a per-task MLP over the expert slices, rows grouped by task.
                PlanAffineChain(node, backward, moe.Widths.ToArray(), moe.Activation, layerNorm: false, film: false, perTask: true, readout: false, experts: true);
                break;
            case MoeOp moe:
                PlanMoe(node, moe, backward);
                break;
            case SoftModularOp soft:
                PlanSoftModular(node, soft, backward);
                break;
            case ProgressiveOp progressive:
                PlanProgressive(node, progressive, backward);
                break;
            default:
                throw new InvalidOperationException($"the generator cannot schedule {node.Op.Kind} yet");
        }
    }

    /// <summary>
    /// A PathNet grid: every module of a layer runs on the whole batch, and each sample sums the
    /// modules on its task's pathway (ModuleMix with 0/1 weights), so one schedule serves batches
    /// of mixed tasks. Modules off a sample's pathway get exactly zero gradient from it. A ReLU
    /// grid runs each module's ReLU inside its call (ForwardRelu, no pre-activation kept); the
    /// backward masks by the module's output (relu(a) &gt; 0 ⇔ a &gt; 0).
    /// </summary>
    private void PlanPathNet(NodeModel node, PathNetOp grid, List<string> backward)
    {
        var name = node.Name;
        var prefix = Prefix(node);
        int m = grid.Modules, w = grid.Width, layers = grid.Layers;
        var x = In(node, "x");
        var inputWidth = InWidth(node, "x");
        _pathNet = (node, grid);
        var modules = Field(name, "Modules");
        var pre = Field(name, "Pre");
        var post = Field(name, "Out");
        var needs = _needsGradient.Contains(name);
        var fuse = grid.Activation == ActivationKind.Relu;
        if (!fuse || needs) Layer("Activation", Field(name, "Activation"), $"new Activation(ActivationKind.{grid.Activation})");
        Layer("Concat", Field(name, "Grid"), $"new Concat({string.Join(", ", Enumerable.Repeat(Int(w), m))})");
        Layer("ModuleMix", Field(name, "Sum"), $"new ModuleMix({Int(m)}, 1, {Int(w)})");
        _fields.Add($"private readonly float[] {Field(name, "Pathways")};");
        Declare("Linear[][]", modules);
        if (!fuse) _fields.Add($"private readonly float[][][] {pre};");
        _fields.Add($"private readonly float[][][] {post};");
        _constructor.Add($"{Field(name, "Pathways")} = DefaultPathways();");
        _constructor.Add($"{modules} = new Linear[{Int(layers)}][];");
        if (!fuse) _constructor.Add($"{pre} = new float[{Int(layers)}][][];");
        _constructor.Add($"{post} = new float[{Int(layers)}][][];");
        _constructor.Add($"for (var layer = 0; layer < {Int(layers)}; layer++)");
        _constructor.Add("{");
        _constructor.Add($"    {modules}[layer] = new Linear[{Int(m)}];");
        if (!fuse) _constructor.Add($"    {pre}[layer] = new float[{Int(m)}][];");
        _constructor.Add($"    {post}[layer] = new float[{Int(m)}][];");
        _constructor.Add($"    for (var module = 0; module < {Int(m)}; module++)");
        _constructor.Add("    {");
        _constructor.Add($"        {modules}[layer][module] = new Linear(store, {AffineSlices(ParameterNames.Module(prefix, "{layer}", "{module}"))});");
        if (!fuse) _constructor.Add($"        {pre}[layer][module] = new float[maxBatch * {Int(w)}];");
        _constructor.Add($"        {post}[layer][module] = new float[maxBatch * {Int(w)}];");
        _constructor.Add("    }");
        _constructor.Add("}");
        for (var l = 0; l < layers; l++)
        {
            var input = l == 0 ? Value(x) : Field(name, $"Layer{l - 1}");
            var layerOut = l == layers - 1 ? Field(name) : Field(name, $"Layer{l}");
            if (l < layers - 1) Buffer(layerOut, w);
            Buffer(Field(name, $"Grid{l}"), m * w);
            Buffer(Field(name, $"Weights{l}"), m);
            _forward.Add($"for (var module = 0; module < {Int(m)}; module++)");
            _forward.Add("{");
            if (fuse)
            {
                _forward.Add($"    {modules}[{l}][module].ForwardRelu({input}, {post}[{l}][module], batch);");
            }
            else
            {
                _forward.Add($"    {modules}[{l}][module].Forward({input}, {pre}[{l}][module], batch);");
                _forward.Add($"    {Field(name, "Activation")}.Forward({pre}[{l}][module], {post}[{l}][module], batch * {Int(w)});");
            }
            _forward.Add($"    {Field(name, "Grid")}.Forward(module, {post}[{l}][module], {Field(name, $"Grid{l}")}, batch);");
            _forward.Add("}");
            _forward.Add($"PathwayWeights({Int(l)}, {Field(name, $"Weights{l}")}, batch);");
            _forward.Add($"{Field(name, "Sum")}.Forward({Field(name, $"Weights{l}")}, {Field(name, $"Grid{l}")}, {layerOut}, batch);");
        }
        if (!needs) return;

        Buffer(Field(name, "GridGradient"), m * w);
        Buffer(Field(name, "OutGradient"), w);
        Buffer(Field(name, "PreGradient"), w);
        Buffer(Field(name, "InputPart"), Math.Max(w, inputWidth));
        var gradient = OutputGradient(node);
        for (var l = layers - 1; l >= 0; l--)
        {
            var input = l == 0 ? Value(x) : Field(name, $"Layer{l - 1}");
            var inWidth = l == 0 ? inputWidth : w;
            string? target;
            if (l == 0)
            {
                target = AccumulationTarget(backward, x, inWidth);
            }
            else
            {
                target = GradientField(name, $"Layer{l - 1}");
                Buffer(target, w);
            }
            backward.Add($"{Field(name, "Sum")}.Backward({Field(name, $"Weights{l}")}, {Field(name, $"Grid{l}")}, {gradient}, default, {Field(name, "GridGradient")}, batch);");
            if (l > 0)
            {
                // The layer's input gradient is the sum over its modules.
                backward.Add($"Array.Clear({target}, 0, batch * {Int(inWidth)});");
            }
            backward.Add($"for (var module = 0; module < {Int(m)}; module++)");
            backward.Add("{");
            backward.Add($"    {Field(name, "Grid")}.Backward(module, {Field(name, "GridGradient")}, {Field(name, "OutGradient")}, batch);");
            backward.Add($"    {Field(name, "Activation")}.Backward({(fuse ? post : pre)}[{l}][module], {post}[{l}][module], {Field(name, "OutGradient")}, {Field(name, "PreGradient")}, batch * {Int(w)});");
            backward.Add($"    {modules}[{l}][module].Backward({input}, {Field(name, "PreGradient")}, {(target is null ? "default" : Field(name, "InputPart"))}, batch);");
            if (target is not null)
            {
                backward.Add($"    TensorPrimitives.Add({target}.AsSpan(0, batch * {Int(inWidth)}), {Field(name, "InputPart")}.AsSpan(0, batch * {Int(inWidth)}), {target}.AsSpan(0, batch * {Int(inWidth)}));");
            }
            backward.Add("}");
            gradient = target ?? "default";
        }
    }

    /// <summary>
    /// Affine layers with optional layer norm, FiLM and activation: linear, mlp, heads and readouts.
    /// In a chain of plain Linear layers with ReLU and nothing between layer and activation, each
    /// ReLU runs inside its layer's call: ForwardRelu keeps no pre-activation, the next layer's
    /// BackwardThroughRelu carries the gradient through the ReLU it reads, and a ReLU ending the
    /// chain takes its mask from its output (relu(a) &gt; 0 ⇔ a &gt; 0).
    /// </summary>
    private void PlanAffineChain(NodeModel node, List<string> backward, int[] widths, ActivationKind activation, bool layerNorm, bool film, bool perTask, bool readout, bool single = false, bool experts = false)
    {
        var name = node.Name;
        var prefix = Prefix(node);
        var needs = _needsGradient.Contains(name);
        var x = In(node, "x");
        var filmSource = film ? In(node, "film") : null;
        var current = Value(x);
        var inputWidth = InWidth(node, "x");
        var fuseRelu = activation == ActivationKind.Relu && !perTask && !layerNorm && !film;
        // Gradient flow: each stage knows its input value, its output value and the span its output gradient lives in.
        var steps = new List<(string Kind, string Layer, string InputValue, string OutputValue, int InWidth, int Width, string GammaBeta)>();
        for (var i = 0; i < widths.Length; i++)
        {
            var width = widths[i];
            var last = i == widths.Length - 1;
            var affineOut = Field(name, $"Affine{i}");
            var fc = Field(name, $"Fc{i}");
            if (perTask)
            {
                _usesTaskSlices = true;
                var part = ParameterNames.Indexed(prefix, experts, "{t}");
                var slice = readout ? part : ParameterNames.Layer(part, i);
                Layer("TaskLinear", fc, $"new TaskLinear(store, TaskSlices(layout, t => $\"{ParameterNames.Weight(slice)}\"), TaskSlices(layout, t => $\"{ParameterNames.Bias(slice)}\"), maxBatch)");
            }
            else
            {
                Layer("Linear", fc, $"new Linear(store, {AffineSlices(readout || single ? prefix : ParameterNames.Layer(prefix, i))})");
            }
            var hasActivation = !((readout || single) && activation == ActivationKind.None);
            if (fuseRelu)
            {
                // relu(x·W + b) in one call. The ReLU's step stays for the backward walk: the next
                // layer's BackwardThroughRelu passes through it, or, ending the chain, it masks by its output.
                var act = Field(name, $"Activation{i}");
                var actOut = last ? Field(name) : Field(name, $"Hidden{i}");
                if (last && needs) Layer("Activation", act, $"new Activation(ActivationKind.Relu)");
                if (!last) Buffer(actOut, width);
                _forward.Add($"{fc}.ForwardRelu({current}, {actOut}, batch);");
                steps.Add(("affine", fc, current, actOut, i == 0 ? inputWidth : widths[i - 1], width, ""));
                steps.Add(("relu", act, actOut, actOut, width, width, ""));
                current = actOut;
                continue;
            }
            var terminal = last && !hasActivation && !layerNorm && !film;
            var affineTarget = terminal ? Field(name) : affineOut;
            if (!terminal) Buffer(affineOut, width);
            _forward.Add(perTask
                ? $"{fc}.Forward({current}, _tasks, {affineTarget});"
                : $"{fc}.Forward({current}, {affineTarget}, batch);");
            steps.Add(("affine", fc, current, affineTarget, i == 0 ? inputWidth : widths[i - 1], width, ""));
            current = affineTarget;
            if (layerNorm)
            {
                var norm = Field(name, $"Norm{i}");
                var normOut = Field(name, $"Normalized{i}");
                Layer("LayerNorm", norm, $"new LayerNorm(store, {Slice(ParameterNames.NormGain(prefix, i))}, {Slice(ParameterNames.NormShift(prefix, i))})");
                Buffer(normOut, width);
                _forward.Add($"{norm}.Forward({current}, {normOut}, batch);");
                steps.Add(("norm", norm, current, normOut, width, width, ""));
                current = normOut;
            }
            if (film)
            {
                var filmLayer = Field(name, $"Film{i}");
                var filmOut = Field(name, $"Modulated{i}");
                var gammaBeta = Field(name, $"GammaBeta{i}");
                Layer("Film", filmLayer, $"new Film(store, {AffineSlices(ParameterNames.Film(prefix, i))})");
                Buffer(filmOut, width);
                Buffer(gammaBeta, 2 * width);
                _forward.Add($"{filmLayer}.Forward({current}, {Value(filmSource!)}, {gammaBeta}, {filmOut}, batch);");
                steps.Add(("film", filmLayer, current, filmOut, width, width, gammaBeta));
                current = filmOut;
            }
            if (hasActivation)
            {
                var act = Field(name, $"Activation{i}");
                var actOut = last ? Field(name) : Field(name, $"Hidden{i}");
                Layer("Activation", act, $"new Activation(ActivationKind.{activation})");
                if (!last) Buffer(actOut, width);
                _forward.Add($"{act}.Forward({current}, {actOut}, batch * {Int(width)});");
                steps.Add(("activation", act, current, actOut, width, width, ""));
                current = actOut;
            }
            else if (last && current != Field(name))
            {
                _forward.Add($"{current}.AsSpan(0, batch * {Int(width)}).CopyTo({Field(name)});");
            }
        }
        if (!needs) return;

        // Backward through the steps in reverse; each step's output gradient is the previous step's input gradient buffer.
        var gradient = OutputGradient(node);
        for (var s = steps.Count - 1; s >= 0; s--)
        {
            var step = steps[s];
            // A fused ReLU read by the next affine layer: that layer's BackwardThroughRelu wrote the
            // gradient at the ReLU's input, which is where the walk goes on from.
            if (step.Kind == "relu" && s + 1 < steps.Count && steps[s + 1].Kind == "affine") continue;
            var first = s == 0;
            // An affine layer reading a fused ReLU's output writes the gradient at that ReLU's input.
            var throughRelu = step.Kind == "affine" && s > 0 && steps[s - 1].Kind == "relu";
            var into = throughRelu ? s - 1 : s;
            string target;
            var accumulate = false;
            if (first)
            {
                target = InputGradient(x, step.InWidth, out accumulate);
            }
            else
            {
                target = GradientField(name, $"Step{into}");
                Buffer(target, steps[into].InWidth);
            }
            switch (step.Kind)
            {
                case "affine" when throughRelu:
                    backward.Add($"{step.Layer}.BackwardThroughRelu({step.InputValue}, {gradient}, {target}, batch);");
                    break;
                case "affine":
                    backward.Add(perTask
                        ? $"{step.Layer}.Backward({step.InputValue}, {gradient}, _tasks, {target});"
                        : $"{step.Layer}.Backward({step.InputValue}, {gradient}, {target}, batch);");
                    break;
                case "relu":
                    // Ends the chain; the fused forward kept no pre-activation, so the mask is read from the output.
                    backward.Add($"{step.Layer}.Backward({step.OutputValue}, {step.OutputValue}, {gradient}, {target}, batch * {Int(step.Width)});");
                    break;
                case "norm":
                    backward.Add($"{step.Layer}.Backward({step.InputValue}, {gradient}, {target}, batch);");
                    break;
                case "activation":
                    backward.Add($"{step.Layer}.Backward({step.InputValue}, {step.OutputValue}, {gradient}, {target}, batch * {Int(step.Width)});");
                    break;
                case "film":
                    {
                        var dGammaBeta = GradientField(name, $"GammaBeta{s}");
                        Buffer(dGammaBeta, 2 * step.Width);
                        var dFilm = InputGradient(filmSource!, InWidth(node, "film"), out var accumulateFilm);
                        backward.Add($"{step.Layer}.Backward({step.InputValue}, {Value(filmSource!)}, {step.GammaBeta}, {gradient}, {dGammaBeta}, {target}, {dFilm}, batch);");
                        if (accumulateFilm) Accumulate(backward, filmSource!, InWidth(node, "film"));
                        break;
                    }
            }
            if (first && accumulate) Accumulate(backward, x, step.InWidth);
            gradient = target;
        }
    }

    /// <summary>Pathway get/set (validated), the default pathways and the per-sample 0/1 module weights.</summary>
    private void WritePathwayMembers(IndentedTextWriter w, NodeModel node, PathNetOp grid)
    {
        var field = Field(node.Name, "Pathways");
        int layers = grid.Layers, modules = grid.Modules, active = grid.Active;
        w.WriteLineNoTabs("");
        w.WriteLine($"/// <summary>PathNet grid <c>{node.Name}</c>: {Int(layers)} layers of {Int(modules)} modules, at most {Int(active)} active per layer.</summary>");
        w.WriteLine($"public const int PathLayers = {Int(layers)};");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Modules per layer of the grid.</summary>");
        w.WriteLine($"public const int PathModules = {Int(modules)};");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Most modules a pathway may use in one layer.</summary>");
        w.WriteLine($"public const int PathActive = {Int(active)};");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Sets the modules task <paramref name=\"task\"/> uses in <paramref name=\"layer\"/> (1 to PathActive distinct modules in [0, PathModules)).</summary>");
        w.WriteLine("public void SetPathway(int task, int layer, ReadOnlySpan<int> modules)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("if ((uint)task >= Tasks) throw new ArgumentOutOfRangeException(nameof(task), task, $\"task must be in [0, {Tasks})\");");
        w.WriteLine("if ((uint)layer >= PathLayers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $\"layer must be in [0, {PathLayers})\");");
        w.WriteLine("if (modules.Length < 1 || modules.Length > PathActive) throw new ArgumentOutOfRangeException(nameof(modules), modules.Length, $\"a pathway uses 1 to {PathActive} modules per layer\");");
        w.WriteLine("Span<float> row = stackalloc float[PathModules];");
        w.WriteLine("foreach (var module in modules)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("if ((uint)module >= PathModules) throw new ArgumentOutOfRangeException(nameof(modules), module, $\"modules must be in [0, {PathModules})\");");
        w.WriteLine("if (row[module] != 0f) throw new ArgumentException($\"module {module} is listed twice\", nameof(modules));");
        w.WriteLine("row[module] = 1f;");
        w.Indent--;
        w.WriteLine("}");
        w.WriteLine($"row.CopyTo({field}.AsSpan((task * PathLayers + layer) * PathModules, PathModules));");
        w.Indent--;
        w.WriteLine("}");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>The modules task <paramref name=\"task\"/> uses in <paramref name=\"layer\"/>.</summary>");
        w.WriteLine("public int[] GetPathway(int task, int layer)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("if ((uint)task >= Tasks) throw new ArgumentOutOfRangeException(nameof(task), task, $\"task must be in [0, {Tasks})\");");
        w.WriteLine("if ((uint)layer >= PathLayers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $\"layer must be in [0, {PathLayers})\");");
        w.WriteLine($"var row = {field}.AsSpan((task * PathLayers + layer) * PathModules, PathModules);");
        w.WriteLine("var modules = new System.Collections.Generic.List<int>();");
        w.WriteLine("for (var module = 0; module < PathModules; module++) if (row[module] != 0f) modules.Add(module);");
        w.WriteLine("return modules.ToArray();");
        w.Indent--;
        w.WriteLine("}");
        w.WriteLineNoTabs("");
        var modules2 = Field(node.Name, "Modules");
        var readouts = ReadoutPrefixes().Select(p => $"\"{p}\"").ToList();
        w.WriteLine($"/// <summary>Freezes the modules on task <paramref name=\"task\"/>'s pathway{(readouts.Count > 0 ? " and its readout" : "")} in the parameter store, so optimizers leave them untouched.</summary>");
        w.WriteLine("public void FreezePathway(int task)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("if ((uint)task >= Tasks) throw new ArgumentOutOfRangeException(nameof(task), task, $\"task must be in [0, {Tasks})\");");
        w.WriteLine("for (var layer = 0; layer < PathLayers; layer++)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine($"var row = {field}.AsSpan((task * PathLayers + layer) * PathModules, PathModules);");
        w.WriteLine("for (var module = 0; module < PathModules; module++)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("if (row[module] == 0f) continue;");
        w.WriteLine($"_store.SetFrozen({modules2}[layer][module].Weight, true);");
        w.WriteLine($"_store.SetFrozen({modules2}[layer][module].Bias, true);");
        w.Indent--;
        w.WriteLine("}");
        w.Indent--;
        w.WriteLine("}");
        if (readouts.Count > 0) w.WriteLine($"foreach (var slice in OwnedSlices(_store.Layout, ParameterOwner.Task(task), {string.Join(", ", readouts)})) _store.SetFrozen(slice, true);");
        w.Indent--;
        w.WriteLine("}");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>The weight and bias slices of every module of the grid that is not frozen (on no finished task's pathway).</summary>");
        w.WriteLine("public IReadOnlyList<ParameterSlice> UnfrozenModuleSlices()");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("var slices = new List<ParameterSlice>();");
        w.WriteLine($"foreach (var layer in {modules2})");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("foreach (var module in layer)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("if (_store.IsFrozen(module.Weight)) continue;");
        w.WriteLine("slices.Add(module.Weight);");
        w.WriteLine("slices.Add(module.Bias);");
        w.Indent--;
        w.WriteLine("}");
        w.Indent--;
        w.WriteLine("}");
        w.WriteLine("return slices;");
        w.Indent--;
        w.WriteLine("}");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>");
        w.WriteLine("/// Ends task <paramref name=\"task\"/> (Fernando et al. 2017): freezes its pathway (<see cref=\"FreezePathway(int)\"/>), then");
        w.WriteLine("/// reinitialises every module of the grid that is not frozen, drawing from <paramref name=\"seed\"/> (pass a seed");
        w.WriteLine("/// other than the first initialisation's for fresh values). Optimizer state of the reinitialised slices is the caller's to reset.");
        w.WriteLine("/// </summary>");
        w.WriteLine("public void FreezePathway(int task, ulong seed)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("FreezePathway(task);");
        w.WriteLine("_store.Reinitialize(UnfrozenModuleSlices(), seed);");
        w.Indent--;
        w.WriteLine("}");
        w.WriteLineNoTabs("");
        w.WriteLine("int IPathNetNetwork.Tasks => Tasks;");
        w.WriteLineNoTabs("");
        w.WriteLine("int IPathNetNetwork.PathLayers => PathLayers;");
        w.WriteLineNoTabs("");
        w.WriteLine("int IPathNetNetwork.PathModules => PathModules;");
        w.WriteLineNoTabs("");
        w.WriteLine("int IPathNetNetwork.PathActive => PathActive;");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>True when module <paramref name=\"module\"/> of <paramref name=\"layer\"/> is frozen (on the pathway of a finished task).</summary>");
        w.WriteLine("public bool IsModuleFrozen(int layer, int module)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("if ((uint)layer >= PathLayers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $\"layer must be in [0, {PathLayers})\");");
        w.WriteLine("if ((uint)module >= PathModules) throw new ArgumentOutOfRangeException(nameof(module), module, $\"module must be in [0, {PathModules})\");");
        w.WriteLine($"return _store.IsFrozen({modules2}[layer][module].Weight);");
        w.Indent--;
        w.WriteLine("}");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Every task starts on modules 0 .. PathActive − 1 of every layer.</summary>");
        w.WriteLine("private static float[] DefaultPathways()");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("var pathways = new float[Tasks * PathLayers * PathModules];");
        w.WriteLine("for (var row = 0; row < Tasks * PathLayers; row++) pathways.AsSpan(row * PathModules, PathActive).Fill(1f);");
        w.WriteLine("return pathways;");
        w.Indent--;
        w.WriteLine("}");
        w.WriteLineNoTabs("");
        w.WriteLine("private void PathwayWeights(int layer, float[] weights, int batch)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine($"for (var b = 0; b < batch; b++) {field}.AsSpan((_taskIds[b] * PathLayers + layer) * PathModules, PathModules).CopyTo(weights.AsSpan(b * PathModules, PathModules));");
        w.Indent--;
        w.WriteLine("}");
    }

    /// <summary>The runtime interface the generated class implements, or null.</summary>
    private string? RowInterface =>
        _featuresOf is not null ? (_network.ReadsAction ? null : "IFeatureNetwork")
        : TrainerSupport.IsQNetwork(_agent, _network) || TrainerSupport.IsLogitsNetwork(_agent, _network) ? "IQNetwork"
        : TrainerSupport.IsPolicyNetwork(_agent, _network) ? "IPolicyNetwork"
        : TrainerSupport.IsCriticNetwork(_agent, _network) && _contributions.ContainsKey("action") ? "ICriticNetwork"
        : null;

    /// <summary>Prefixes of the parameter slices this network's backward pass trains (nodes and blocks it reaches through no detach).</summary>
    private IEnumerable<string> TrainedPrefixes()
    {
        var owners = new HashSet<string>(_network.Parameters.Select(g => g.Node), StringComparer.Ordinal);
        return _network.Nodes.Where(n => _needsGradient.Contains(n.Name) && owners.Contains(n.Block ?? n.Name))
            .Select(Prefix).Distinct(StringComparer.Ordinal);
    }

    /// <summary>
    /// The members of the runtime interface <paramref name="contract"/> (IQNetwork, IPolicyNetwork or
    /// ICriticNetwork): the row widths, what the contract adds, and a Forward over rows as
    /// environments and replay buffers hold them, sharing the typed Forward's schedule.
    /// </summary>
    private void WriteRowMembers(IndentedTextWriter w, string contract)
    {
        var observations = _agent.Inputs.Where(i => i.Kind == InputKind.Observation).ToList();
        var goals = _agent.Inputs.Where(i => i.Kind == InputKind.Goal).ToList();
        var critic = contract == "ICriticNetwork";
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Floats per observation row of <see cref=\"NetworkInputs\"/>: " +
            (observations.Count == 0 ? "none" : string.Join(", ", observations.Select(i => $"<c>{i.Name}</c>"))) + " side by side.</summary>");
        w.WriteLine($"public int ObservationWidth => {Int(observations.Sum(i => i.Width))};");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Floats per goal row of <see cref=\"NetworkInputs\"/>" +
            (goals.Count == 0 ? " (the agent has no goals)" : ": " + string.Join(", ", goals.Select(i => $"<c>{i.Name}</c>")) + " side by side") + ".</summary>");
        w.WriteLine($"public int GoalWidth => {Int(goals.Sum(i => i.Width))};");
        w.WriteLineNoTabs("");
        if (contract == "IQNetwork")
        {
            w.WriteLine("/// <summary>Q values per row: one per action.</summary>");
            w.WriteLine("public int ActionCount => OutputWidth;");
        }
        else if (contract == "IFeatureNetwork")
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
                w.WriteLine($"bool IPolicyNetwork.IsStochastic => {(Output.Op is GaussianOp ? "true" : "false")};");
            }
            w.WriteLineNoTabs("");
            w.WriteLine("/// <summary>The slices Backward accumulates gradients into: " + string.Join(", ", TrainedPrefixes().Select(p => $"<c>{p}</c>")) + ".</summary>");
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
        WriteRowCopies(w, observations, "inputs.Observations", "ObservationWidth");
        WriteRowCopies(w, goals, "inputs.Goals", "GoalWidth");
        if (critic) w.WriteLine("actions.Slice(0, batch * ActionSize).CopyTo(_action);");
        if (_usesTasks)
        {
            w.WriteLine("if (inputs.Tasks.IsEmpty) Array.Clear(_taskIds, 0, batch);");
            w.WriteLine("else inputs.Tasks.Slice(0, batch).CopyTo(_taskIds);");
        }
        w.WriteLine("return Run(batch);");
        w.Indent--;
        w.WriteLine("}");
        WriteRun(w);
    }

    /// <summary>The schedule both Forward overloads share, once the inputs are in place.</summary>
    private void WriteRun(IndentedTextWriter w)
    {
        w.WriteLineNoTabs("");
        w.WriteLine("private ReadOnlySpan<float> Run(int batch)");
        w.WriteLine("{");
        w.Indent++;
        WriteSchedule(w, "_taskIds");
        w.Indent--;
        w.WriteLine("}");
    }

    /// <summary>The forward schedule once the inputs are in place: task grouping, the layer calls, the output.</summary>
    private void WriteSchedule(IndentedTextWriter w, string taskIds)
    {
        if (_usesTasks) w.WriteLine($"_tasks.Assign({taskIds}, batch);");
        w.WriteLine("_batch = batch;");
        foreach (var line in _forward) w.WriteLine(line);
        w.WriteLine($"return {Field(Output.Name)}.AsSpan(0, batch * OutputWidth);");
    }

    /// <summary>Copies the inputs the network reads out of packed rows: one bulk copy when an input is the whole row.</summary>
    private void WriteRowCopies(IndentedTextWriter w, List<InputModel> inputs, string rows, string rowWidth)
    {
        var offset = 0;
        var total = inputs.Sum(i => i.Width);
        foreach (var input in inputs)
        {
            if (_inputs.Contains(input))
            {
                w.WriteLine(input.Width == total
                    ? $"{rows}.Slice(0, batch * {Int(input.Width)}).CopyTo({Value(input.Name)});"
                    : $"for (var b = 0; b < batch; b++) {rows}.Slice(b * {rowWidth} + {Int(offset)}, {Int(input.Width)}).CopyTo({Value(input.Name)}.AsSpan(b * {Int(input.Width)}, {Int(input.Width)}));");
            }
            offset += input.Width;
        }
    }

    /// <summary>Writes <c>UseGemm</c>: every layer <see cref="Declare"/> recorded gets the chosen back end and accelerator.</summary>
    private void WriteUseGemm(IndentedTextWriter w)
    {
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Runs every matrix product of this network with <paramref name=\"backend\"/> on <paramref name=\"accelerator\"/> (null: the default accelerator, all cores).</summary>");
        w.WriteLine("public void UseGemm(GemmBackend backend, Accelerator? accelerator)");
        w.WriteLine("{");
        w.Indent++;
        foreach (var group in _gemmLayers.Where(l => l.Rank == 0).GroupBy(l => l.Type))
        {
            if (group.Count() == 1)
            {
                w.WriteLine($"{group.First().Field}.Backend = backend;");
                w.WriteLine($"{group.First().Field}.Accelerator = accelerator;");
                continue;
            }
            w.WriteLine($"foreach (var layer in new[] {{ {string.Join(", ", group.Select(l => l.Field))} }})");
            WriteConfigure(w);
        }
        foreach (var (_, field, rank) in _gemmLayers.Where(l => l.Rank > 0))
        {
            w.WriteLine(rank == 1 ? $"foreach (var layer in {field})" : $"foreach (var row in {field}) foreach (var layer in row)");
            WriteConfigure(w);
        }
        w.Indent--;
        w.WriteLine("}");
    }

    private static void WriteConfigure(IndentedTextWriter w)
    {
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("layer.Backend = backend;");
        w.WriteLine("layer.Accelerator = accelerator;");
        w.Indent--;
        w.WriteLine("}");
    }

    private void Write(IndentedTextWriter w)
    {
        var className = _featuresOf is null ? ClassName(_network) : FeatureClassName(_featuresOf);
        var role = _network.Role.ToString().ToLowerInvariant();
        w.WriteLineNoTabs("");
        if (_featuresOf is null)
        {
            w.WriteLine($"/// <summary>The {role} network <c>{_network.Name}</c>: forward and backward as a fixed schedule over preallocated workspaces.</summary>");
            w.WriteLine($"/// <remarks>Declared at line {_network.Span.Line}. Output: {_network.Output.Op.Kind}, {Int(Width(Output))} values per sample{(Output.Op is GaussianOp ? " (mean, then unsquashed log-std)" : "")}.</remarks>");
        }
        else
        {
            var features = (FeaturesOp)Output.Op;
            var source = In(Output, "x");
            w.WriteLine($"/// <summary>The features output <c>{Output.Name}</c> of network <c>{_network.Name}</c> (Actor-Mimic's feature regression): {(features.Affine ? $"an affine predictor{(features.PerTask ? " per task" : "")} of <c>{source}</c>" : $"<c>{source}</c> as it is")}, with the network's schedule up to it.</summary>");
            w.WriteLine($"/// <remarks>Declared at line {Output.Span.Line}. Output: {Int(Width(Output))} features per sample. Bound to the store of <see cref=\"{ClassName(_featuresOf)}\"/>, so Backward reaches the same parameters.</remarks>");
        }
        var contract = RowInterface;
        var contracts = new List<string>();
        if (contract is not null) contracts.Add(contract);
        if (_progressive.Count > 0) contracts.Add("IProgressiveNetwork");
        if (_pathNet is not null) contracts.Add("IPathNetNetwork");
        w.WriteLine(contracts.Count == 0 ? $"public sealed class {className}" : $"public sealed class {className} : {string.Join(", ", contracts)}");
        w.WriteLine("{");
        w.Indent++;
        foreach (var field in _fields.Distinct()) w.WriteLine(field);
        w.WriteLine("private int _batch;");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Binds the network to the agent's parameter store, with room for batches of up to <paramref name=\"maxBatch\"/> samples.</summary>");
        w.WriteLine($"public {className}(ParameterStore store, int maxBatch)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, \"maxBatch must be at least 1\");");
        w.WriteLine("var layout = store.Layout;");
        w.WriteLine("MaxBatch = maxBatch;");
        if (contract is "IPolicyNetwork" or "ICriticNetwork")
        {
            w.WriteLine($"TrainedSlices = layout.SlicesUnder({string.Join(", ", TrainedPrefixes().Select(Str))});");
        }
        var assigned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in _constructor)
        {
            // A workspace requested twice is allocated once; block structure lines are kept as they are.
            if (line.StartsWith("_", StringComparison.Ordinal) && !assigned.Add(line)) continue;
            w.WriteLine(line);
        }
        w.Indent--;
        w.WriteLine("}");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Largest batch accepted.</summary>");
        w.WriteLine("public int MaxBatch { get; }");
        w.WriteLineNoTabs("");
        w.WriteLine($"/// <summary>Values per sample in the output: {Int(Width(Output))}.</summary>");
        w.WriteLine($"public const int OutputWidth = {Int(Width(Output))};");
        if (_contributions.ContainsKey("action"))
        {
            w.WriteLineNoTabs("");
            w.WriteLine("/// <summary>∂L/∂action from the last Backward (the actor's update reads it).</summary>");
            w.WriteLine("public ReadOnlySpan<float> ActionGradient => _dAction.AsSpan(0, _batch * ActionSize);");
        }

        var parameters = _inputs.Select(i => $"ReadOnlySpan<float> {Parameter(i.Name)}").ToList();
        if (_network.ReadsAction) parameters.Add("ReadOnlySpan<float> action");
        if (_usesTasks) parameters.Add("ReadOnlySpan<int> task");
        parameters.Add("int batch");
        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Runs the network on a batch; inputs are copied so Backward can follow without them.</summary>");
        w.WriteLine($"public ReadOnlySpan<float> Forward({string.Join(", ", parameters)})");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("if (batch < 1 || batch > MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $\"batch must be in [1, {MaxBatch}]\");");
        foreach (var input in _inputs)
        {
            w.WriteLine($"{Parameter(input.Name)}.Slice(0, batch * {Int(input.Width)}).CopyTo({Value(input.Name)});");
        }
        if (_network.ReadsAction) w.WriteLine("action.Slice(0, batch * ActionSize).CopyTo(_action);");
        // Forward only copies its inputs into place; the schedule runs in Run, whose only
        // parameter is batch, so no input's name can meet a local of the schedule.
        if (_usesTasks) w.WriteLine("task.Slice(0, batch).CopyTo(_taskIds);");
        w.WriteLine("return Run(batch);");
        w.Indent--;
        w.WriteLine("}");
        if (contract is not null)
        {
            WriteRowMembers(w, contract);
        }
        else
        {
            WriteRun(w);
        }

        w.WriteLineNoTabs("");
        w.WriteLine("/// <summary>Back-propagates ∂L/∂output of the last Forward, accumulating parameter gradients into the store.</summary>");
        w.WriteLine("public void Backward(ReadOnlySpan<float> outputGradient)");
        w.WriteLine("{");
        w.Indent++;
        w.WriteLine("var batch = _batch;");
        w.WriteLine("if (outputGradient.Length < batch * OutputWidth) throw new ArgumentException($\"outputGradient needs {batch * OutputWidth} values\", nameof(outputGradient));");
        foreach (var source in _contributions.Where(c => c.Value > 1).Select(c => c.Key))
        {
            var width = source == "action" ? "ActionSize" : Int(Width(_nodes[source]));
            w.WriteLine($"Array.Clear({(source == "action" ? "_dAction" : GradientField(source))}, 0, batch * {width});");
        }
        for (var n = _network.Nodes.Count - 1; n >= 0; n--)
        {
            var lines = _backward[n];
            if (lines.Count <= 1) continue;
            foreach (var line in lines) w.WriteLine(line);
        }
        w.Indent--;
        w.WriteLine("}");
        WriteUseGemm(w);
        if (_pathNet is { } pathNet) WritePathwayMembers(w, pathNet.Node, pathNet.Grid);
        WriteModularMembers(w);
        if (_usesTaskSlices)
        {
            w.WriteLineNoTabs("");
            w.WriteLine("private static ParameterSlice[] TaskSlices(ParameterLayout layout, Func<int, string> name)");
            w.WriteLine("{");
            w.Indent++;
            w.WriteLine("var slices = new ParameterSlice[Tasks];");
            w.WriteLine("for (var t = 0; t < Tasks; t++) slices[t] = layout[name(t)];");
            w.WriteLine("return slices;");
            w.Indent--;
            w.WriteLine("}");
        }
        w.Indent--;
        w.WriteLine("}");
    }
}
