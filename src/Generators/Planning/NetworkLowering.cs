using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Semantics;
using static Mtrl.Generators.Planning.FieldNames;

namespace Mtrl.Generators.Planning;

/// <summary>
/// Lowers one network of the spec model into its <see cref="NetworkPlan"/>: which nodes need a
/// gradient, how many consumers add into each gradient (those get scratch and are cleared on
/// entry), every workspace and layer with its width, and the forward and backward steps. Nodes
/// reachable from the output only through detach get no backward steps. Module blocks are planned
/// by the other parts of this class (one file per kind).
/// </summary>
internal sealed partial class NetworkLowering
{
    private readonly AgentModel _agent;
    private readonly NetworkModel _network;
    private readonly NetworkModel? _featuresOf;
    private readonly Dictionary<string, NodeModel> _nodes;
    private readonly List<InputModel> _inputs;
    private readonly List<FieldPlan> _fields = new();
    private readonly HashSet<FieldPlan> _declared = new();
    private readonly List<ConstructorStatement> _constructor = new();
    private readonly Dictionary<string, ConstructorStatement> _assigned = new(StringComparer.Ordinal);
    private readonly List<ForwardStep> _forward = new();
    private readonly List<NodeBackward> _backward = new();
    private readonly Dictionary<string, int> _contributions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _needsGradient = new(StringComparer.Ordinal);
    private readonly List<(NodeModel Node, ProgressiveOp Op)> _progressive = new();
    private PathwayControls? _pathways;
    private bool _usesTasks;
    private bool _usesScratch;
    private bool _usesSecondScratch;
    private bool _usesTaskSlices;
    private int _scratchWidth;
    private readonly List<WidthConstant> _widthConstants = new();

    // The node being lowered: workspaces and steps of its width print its width constant.
    private NodeModel? _current;

    private NetworkLowering(AgentModel agent, NetworkModel network, NetworkModel? featuresOf)
    {
        _agent = agent;
        _network = network;
        _featuresOf = featuresOf;
        _nodes = network.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var read = new HashSet<string>(network.Nodes.SelectMany(n => n.Inputs).Select(i => i.Source), StringComparer.Ordinal);
        _inputs = agent.Inputs.Where(i => read.Contains(i.Name)).ToList();
    }

    /// <summary>The plan of <paramref name="network"/> of <paramref name="agent"/>.</summary>
    public static NetworkPlan Lower(AgentModel agent, NetworkModel network) => new NetworkLowering(agent, network, null).Lower();

    /// <summary>
    /// The plan of <paramref name="network"/>'s features output as a class of its own over the same
    /// parameter store: the nodes the features read, then the features node as its output.
    /// </summary>
    public static NetworkPlan LowerFeatures(AgentModel agent, NetworkModel network) =>
        new NetworkLowering(agent, FeatureSchedule(network), network).Lower();

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
            ReadsAction = nodes.Any(n => n.Inputs.Any(i => i.Source == GradientFlow.ActionSource)),
            Features = null,
        };
    }

    /// <summary>True when <paramref name="network"/>'s features output implements the runtime's IFeatureNetwork (it does not read the action).</summary>
    public static bool HasFeatureNetwork(NetworkModel network) =>
        network.Features is not null && !FeatureSchedule(network).ReadsAction;

    private NodeModel Output => _network.Output;

    /// <summary>Floats per sample a node writes: a head's raw readout (a Gaussian's is [μ | log-std], 2d wide), else its width.</summary>
    private static int Width(NodeModel node) => node.Op is HeadOp head ? head.ReadoutWidth : node.Width;

    private string Prefix(NodeModel node) => node.Block ?? ParameterNames.Node(_network.Name, node.Name);

    private bool IsNode(string source) => _nodes.ContainsKey(source);

    private static bool IsAction(string source) => source == GradientFlow.ActionSource;

    /// <summary>The field holding a source's values.</summary>
    private string Value(string source) => source switch
    {
        "task" => TaskIds,
        GradientFlow.ActionSource => ActionInput,
        _ when IsNode(source) => Field(source),
        _ => FieldNames.Input(source),
    };

    /// <summary>The gradient of a node's output: Backward's parameter for the output node.</summary>
    private string OutputGradientOf(NodeModel node) => node.Name == Output.Name ? OutputGradient : GradientField(node.Name);

    private static string In(NodeModel node, string parameter) => node.Inputs.First(i => i.Parameter == parameter).Source;

    private static int InWidth(NodeModel node, string parameter) => node.Inputs.First(i => i.Parameter == parameter).Width;

    private NetworkPlan Lower()
    {
        CountContributions(out var actionNeeded);
        foreach (var input in _inputs)
        {
            Declare(new FieldPlan(Value(input.Name), FieldElement.Float, 1));
            Construct(new AllocateBuffer(Value(input.Name), input.Width, InputWidth(input)));
        }
        if (_network.ReadsAction)
        {
            Declare(new FieldPlan(ActionInput, FieldElement.Float, 1));
            Construct(new AllocateActionBuffer(ActionInput));
            if (actionNeeded)
            {
                Declare(new FieldPlan(ActionGradient, FieldElement.Float, 1));
                Construct(new AllocateActionBuffer(ActionGradient));
            }
        }
        _usesTasks = _network.Nodes.Any(n => n.Op is OneHotOp or EmbeddingOp or HeadsOp or PathNetOp or ProgressiveOp
            || n.Op is HeadOp { PerTask: true } || n.Op is FeaturesOp { PerTask: true }
            || n.Op is MoeOp { Gate: GateKind.PerTask } || n.Op is MoeOp { Gate: GateKind.Attention or GateKind.TopK } && !n.Inputs.Any(i => i.Parameter == "by"));
        if (_network.Nodes.Any(n => n.Op is ProgressiveOp or PathNetOp))
        {
            Declare(new FieldPlan(Store, FieldElement.ParameterStore));
            Construct(new KeepStore(Store));
        }
        if (_usesTasks)
        {
            Declare(new FieldPlan(TaskIds, FieldElement.Int, 1));
            Declare(new FieldPlan(Tasks, FieldElement.TaskBatch));
            Construct(new AllocateTaskIds(TaskIds));
            Construct(new CreateTaskBatch(Tasks));
        }

        foreach (var node in _network.Nodes)
        {
            _current = node;
            Buffer(Field(node.Name), Width(node), Named(Width(node)));
            if (_needsGradient.Contains(node.Name) && node.Name != Output.Name) Buffer(GradientField(node.Name), Width(node), Named(Width(node)));
            var backward = new List<BackwardStep>();
            _forward.Add(new NodeStart(node.Name, node.Op.Kind));
            LowerNode(node, backward);
            _backward.Add(new NodeBackward(node.Name, node.Op.Kind, backward.ToEquatableArray()));
        }
        _current = null;
        if (_usesScratch) Buffer(Scratch, _scratchWidth);
        if (_usesSecondScratch) Buffer(SecondScratch, _scratchWidth);

        var progressive = _progressive.Count > 0;
        var modular = new ModularMembers(
            _pathways,
            _softModular.Select(s => new RoutingAccessors(s.Node.Name, s.Node.Span.Line, _softModular.Count > 1 ? GeneratedNames.Pascal(s.Node.Name) : "",
                s.Op.Modules, s.Op.Layers, s.Op.Mix == SoftModularMix.Gated, s.Op.Style, Field(s.Node.Name, "Probabilities"), Field(s.Node.Name, "GateWeights"))).ToEquatableArray(),
            progressive
                ? new ColumnControls(
                    _progressive.Select(p => new NodeLine(p.Node.Name, p.Node.Span.Line)).ToEquatableArray(),
                    _progressive.Select(p => Prefix(p.Node) + ".").Distinct(StringComparer.Ordinal).ToEquatableArray(),
                    ReadoutPrefixes().ToEquatableArray())
                : null,
            progressive || _pathways is not null,
            _usesTaskSlices);
        var contract = Contract();
        return new NetworkPlan(
            _featuresOf is null ? GeneratedNames.NetworkClass(_network.Name) : GeneratedNames.FeatureClass(_featuresOf.Name),
            Header(),
            contract,
            _widthConstants.OrderBy(c => _network.Nodes.TakeWhile(n => n.Name != c.Node).Count()).ToEquatableArray(),
            _fields.ToEquatableArray(),
            _constructor.ToEquatableArray(),
            contract is RowContract.PolicyNetwork or RowContract.CriticNetwork ? TrainedPrefixes().ToEquatableArray() : EquatableArray<string>.Empty,
            Width(Output),
            Field(Output.Name),
            NetworkInputs(),
            _forward.ToEquatableArray(),
            _network.Nodes.Where(n => _needsGradient.Contains(n.Name)).Select(n => n.Name).ToEquatableArray(),
            _contributions.Where(c => c.Value > 1).Select(c => IsAction(c.Key)
                ? new SummedGradientClear(ActionGradient, 0, IsAction: true)
                : new SummedGradientClear(GradientField(c.Key), Width(_nodes[c.Key]), IsAction: false, NodeWidth(_nodes[c.Key], Width(_nodes[c.Key])))).ToEquatableArray(),
            Enumerable.Reverse(_backward).Where(b => b.Steps.Count > 0).ToEquatableArray(),
            _fields.Where(f => f.IsMatrixLayer).ToEquatableArray(),
            modular);
    }

    /// <summary>
    /// Which nodes need a gradient, and how many parts each gradient sums (ops that add one part
    /// per module into their input's gradient count each part).
    /// </summary>
    private void CountContributions(out bool actionNeeded)
    {
        _needsGradient.UnionWith(GradientFlow.NodesNeedingGradient(_network));
        actionNeeded = false;
        foreach (var node in _network.Nodes)
        {
            if (!_needsGradient.Contains(node.Name) || node.Op is DetachOp) continue;
            foreach (var input in node.Inputs)
            {
                if (!IsAction(input.Source) && !_needsGradient.Contains(input.Source) || !GradientFlow.CarriesGradient(node, input)) continue;
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
                actionNeeded |= IsAction(input.Source);
            }
        }
    }

    private NetworkHeader Header()
    {
        if (_featuresOf is null)
        {
            return new NetworkSummary(_network.Role.ToString().ToLowerInvariant(), _network.Name, _network.Span.Line, Output.Op.Kind, Output.Op is GaussianOp, Width(Output));
        }
        var features = (FeaturesOp)Output.Op;
        return new FeaturesSummary(Output.Name, _network.Name, In(Output, "x"), features.Affine, features.PerTask, Output.Span.Line,
            GeneratedNames.NetworkClass(_featuresOf.Name), Width(Output));
    }

    /// <summary>The runtime interface for rows the class implements.</summary>
    private RowContract Contract() =>
        _featuresOf is not null ? (_network.ReadsAction ? RowContract.None : RowContract.FeatureNetwork)
        : TrainerSupport.IsQNetwork(_agent, _network) || TrainerSupport.IsLogitsNetwork(_agent, _network) ? RowContract.QNetwork
        : TrainerSupport.IsPolicyNetwork(_agent, _network) ? RowContract.PolicyNetwork
        : TrainerSupport.IsCriticNetwork(_agent, _network) && _contributions.ContainsKey(GradientFlow.ActionSource) ? RowContract.CriticNetwork
        : RowContract.None;

    private NetworkInputs NetworkInputs()
    {
        EquatableArray<RowPart> Row(InputKind kind)
        {
            var parts = new List<RowPart>();
            var offset = 0;
            var row = _agent.Inputs.Where(i => i.Kind == kind).ToList();
            var total = row.Sum(i => i.Width);
            foreach (var input in row)
            {
                parts.Add(new RowPart(input.Name, offset, input.Width, _inputs.Contains(input) ? Value(input.Name) : null, input.Width == total));
                offset += input.Width;
            }
            return parts.ToEquatableArray();
        }
        return new NetworkInputs(
            _inputs.Select(i => new InputCopy(i.Name, GeneratedNames.Escape(GeneratedNames.Camel(i.Name)), Value(i.Name), i.Width)).ToEquatableArray(),
            _network.ReadsAction,
            _contributions.ContainsKey(GradientFlow.ActionSource),
            _usesTasks,
            Row(InputKind.Observation),
            Row(InputKind.Goal),
            Output.Op is GaussianOp);
    }

    /// <summary>Prefixes of the parameter slices this network's backward pass trains (nodes and blocks it reaches through no detach).</summary>
    private IEnumerable<string> TrainedPrefixes()
    {
        var owners = new HashSet<string>(_network.Parameters.Select(g => g.Node), StringComparer.Ordinal);
        return _network.Nodes.Where(n => _needsGradient.Contains(n.Name) && owners.Contains(n.Block ?? n.Name))
            .Select(Prefix).Distinct(StringComparer.Ordinal);
    }

    /// <summary>Name prefixes of this network's per-task readouts (frozen with their column or pathway).</summary>
    private IEnumerable<string> ReadoutPrefixes() =>
        _network.Nodes.Where(n => n.Op is HeadsOp || n.Op is HeadOp { PerTask: true }).Select(n => Prefix(n) + ".").Distinct();

    /// <summary>Declares a field once.</summary>
    private void Declare(FieldPlan field)
    {
        if (_declared.Add(field)) _fields.Add(field);
    }

    /// <summary>
    /// Adds a constructor statement; a statement assigning a field already assigned the same way is
    /// dropped (a workspace two steps ask for is allocated once).
    /// </summary>
    private void Construct(ConstructorStatement statement)
    {
        if (statement.Assigns is { } field)
        {
            if (_assigned.TryGetValue(field, out var earlier))
            {
                if (earlier.Equals(statement)) return;
                throw new InvalidOperationException($"field {field} is assigned twice in different ways: {earlier} and {statement}");
            }
            _assigned.Add(field, statement);
        }
        _constructor.Add(statement);
    }

    /// <summary>A workspace of <paramref name="width"/> floats per sample, printed as <paramref name="named"/> when given.</summary>
    private void Buffer(string field, int width, NamedWidth? named = null)
    {
        Declare(new FieldPlan(field, FieldElement.Float, 1));
        Construct(new AllocateBuffer(field, width, named));
    }

    // Members of a network class (or the interfaces it implements) a width constant must not shadow.
    private static readonly HashSet<string> NetworkWidthMembers = new(StringComparer.Ordinal) { "OutputWidth", "GoalWidth", "ObservationWidth" };

    /// <summary>
    /// <paramref name="multiple"/> × <paramref name="width"/> as the current node's width constant
    /// when <paramref name="width"/> is that node's width, else null (the number is printed). Only
    /// the lowering of plain nodes and affine chains names widths: a module block's workspaces
    /// (routing scores, module grids) are not its node's width even when the numbers agree.
    /// </summary>
    private NamedWidth? Named(int width, int multiple = 1) => _current is null ? null : NodeWidth(_current, width, multiple);

    /// <summary>
    /// <paramref name="width"/> in terms of <paramref name="node"/>'s width constant, declaring the
    /// constant on first use: <c>OutputWidth</c> for the output node, <c>{Node}Width</c> for the
    /// others unless that would shadow a member of the class (those print the number).
    /// </summary>
    private NamedWidth? NodeWidth(NodeModel node, int width, int multiple = 1)
    {
        var value = Width(node);
        if (width != value) return null;
        if (node.Name == Output.Name) return new NamedWidth("OutputWidth", multiple);
        var name = GeneratedNames.WidthConstant(node.Name);
        if (NetworkWidthMembers.Contains(name)) return null;
        if (!_widthConstants.Any(c => c.Name == name)) _widthConstants.Add(new WidthConstant(name, value, node.Name, node.Span.Line));
        return new NamedWidth(name, multiple);
    }

    /// <summary>The agent's constant for an input's width (<c>ObsWidth</c>), unless a member of the network class shadows it.</summary>
    private static NamedWidth? InputWidth(InputModel input)
    {
        var name = GeneratedNames.WidthConstant(input.Name);
        return NetworkWidthMembers.Contains(name) ? null : new NamedWidth(name, 1);
    }

    /// <summary>A runtime layer field created in the constructor.</summary>
    private void Layer(FieldElement type, string field, LayerCreation creation)
    {
        Declare(new FieldPlan(field, type));
        Construct(new CreateLayer(field, creation));
    }

    /// <summary>True when <paramref name="source"/> takes a gradient from its consumers.</summary>
    private bool ReceivesGradient(string source) =>
        IsAction(source) ? _contributions.ContainsKey(source) : IsNode(source) && _needsGradient.Contains(source);

    /// <summary>
    /// Where a consumer writes the gradient for <paramref name="source"/>: nothing for network
    /// inputs, the source's buffer when it is the only contribution, else scratch (added in after).
    /// </summary>
    private InputGradient InputGradientOf(string source, int width)
    {
        var into = IsAction(source) ? ActionGradient : GradientField(source);
        if (IsAction(source) && _contributions.ContainsKey(source))
        {
            if (_contributions[source] == 1) return new InputGradient(ActionGradient, null);
        }
        else if (!IsNode(source) || !_needsGradient.Contains(source))
        {
            return InputGradient.None;
        }
        else if (_contributions[source] == 1)
        {
            return new InputGradient(into, null);
        }
        _usesScratch = true;
        _scratchWidth = Math.Max(_scratchWidth, width);
        return new InputGradient(Scratch, into, IsAction(source) ? new NamedWidth("ActionSize", 1) : NodeWidth(_nodes[source], width));
    }

    /// <summary>The step adding a scratch part into the gradient it stands for.</summary>
    private static AccumulateGradient Accumulate(InputGradient gradient, int width) =>
        new(gradient.AccumulateInto!, gradient.Target!, width, gradient.Named);

    /// <summary>
    /// The gradient buffer a block adds its parts into (one per module), or none; a buffer the
    /// block alone contributes to is cleared by the block.
    /// </summary>
    private SummedGradient SummedGradientOf(string source, int width)
    {
        if (!ReceivesGradient(source)) return new SummedGradient(null, false, width);
        var target = IsAction(source) ? ActionGradient : GradientField(source);
        return new SummedGradient(target, _contributions[source] == 1, width);
    }
}
