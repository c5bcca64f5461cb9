using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Diagnostics;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Syntax;
using Mtrl.Dsl.Text;

namespace Mtrl.Dsl.Semantics;

/// <summary>
/// How spec names become C# names, in one place: the source generator mangles with these
/// functions, and the front end checks with them (MTRL0111) that every name the generator will
/// emit is a valid, unique identifier, so a spec that passes <c>check</c> generates C# that
/// compiles. The generator's naming scheme (docs/generator.md, "Names"):
/// <list type="bullet">
/// <item>agent → class of the same name; input or goal <c>x</c> → constant <c>{Pascal(x)}Width</c>;
/// network <c>n</c> → nested class <c>{Pascal(n)}Network</c>, and with a features output also
/// <c>{Pascal(n)}Features</c>;</item>
/// <item>inside a network class, an input or node <c>x</c> → field <c>_{Camel(x)}</c>, the generator's
/// other fields for it <c>_{Camel(x)}_{role}</c> and gradients <c>_{Camel(x)}_grad</c> / <c>_{Camel(x)}_{role}Grad</c>
/// (a camel name holds no underscore after its first character, so these never collide
/// with each other or with another node's); inputs are also parameters <c>{Camel(x)}</c> of Forward.</item>
/// </list>
/// </summary>
public static class GeneratedNames
{
    /// <summary>
    /// Longest spec name that becomes part of a C# identifier. Roslyn allows 512 characters; the
    /// generator adds at most a few dozen (<c>_…_gammaBeta99999Grad</c>, <c>…RoutingProbabilities</c>).
    /// </summary>
    public const int MaxLength = 256;

    /// <summary>snake_case or camelCase to PascalCase: <c>desired_goal</c> → <c>DesiredGoal</c>; a result starting with a digit gets a leading <c>_</c>.</summary>
    public static string Pascal(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 1);
        var upper = true;
        foreach (var c in name)
        {
            if (c == '_')
            {
                upper = true;
                continue;
            }
            builder.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        if (builder.Length == 0) return "Input";
        if (char.IsDigit(builder[0])) builder.Insert(0, '_');
        return builder.ToString();
    }

    /// <summary>Pascal with a lower-case first letter: <c>desired_goal</c> → <c>desiredGoal</c>.</summary>
    public static string Camel(string name)
    {
        var pascal = Pascal(name);
        return char.ToLowerInvariant(pascal[0]) + pascal.Substring(1);
    }

    /// <summary>An identifier as C# must spell it: a reserved keyword gets '@' (an input named <c>float</c> is the parameter <c>@float</c>).</summary>
    public static string Escape(string identifier) => ReservedKeywords.Contains(identifier) ? "@" + identifier : identifier;

    /// <summary>The C# keywords that can never be identifiers without '@'.</summary>
    public static IReadOnlyCollection<string> ReservedKeywords { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
    };

    /// <summary>
    /// Contextual keywords. As a type name (the agent class) several change the meaning of code
    /// around it (<c>var</c>, <c>dynamic</c>, <c>nameof</c>) or are refused by the compiler
    /// (<c>record</c>, <c>required</c>, <c>file</c>, <c>scoped</c>), so agent names avoid them all.
    /// </summary>
    public static IReadOnlyCollection<string> ContextualKeywords { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "add", "alias", "allows", "and", "args", "ascending", "async", "await", "by", "descending", "dynamic", "equals",
        "extension", "field", "file", "from", "get", "global", "group", "init", "into", "join", "let", "managed", "nameof",
        "nint", "not", "notnull", "nuint", "on", "or", "orderby", "partial", "record", "remove", "required", "scoped",
        "select", "set", "unmanaged", "value", "var", "when", "where", "with", "yield",
    };

    /// <summary>
    /// Type names the generated agent class refers to without qualification: the <c>using</c>
    /// aliases the generator writes and the System types its code uses. An agent class or a
    /// nested network class of one of these names would hide the type it means.
    /// </summary>
    public static IReadOnlyCollection<string> ReservedTypeNames { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        // using aliases (RuntimeAliases.All in the generator; a file lists those it uses, but any may appear)
        "Accelerator", "DistillationCollector", "DistillationMethod", "DistillationOptions", "DistillationTrainer", "DistralOptions", "DistralTrainer", "DqnOptions", "DqnTrainer", "GemmBackend", "GradientReduction", "HerGoalStrategy", "HerOptions",
        "ActorMimicFeatures", "IContinuousVectorEnvironment", "ICriticNetwork", "IDiscreteVectorEnvironment", "IFeatureNetwork", "IPathNetNetwork", "IPolicyNetwork", "IProgressiveNetwork", "IQNetwork",
        "Initializer", "LoserUpdates", "NetworkInputs", "ParameterLayout", "ParameterLayoutBuilder", "ParameterOwner", "ParameterSlice",
        "ParameterStore", "PathNetEvolutionOptions", "PathwayFitness", "PriorityOptions", "ReplaySampling", "SacOptions", "SacTrainer", "SequentialOptions", "SequentialTrainer", "TaskGradientMethod",
        "TaskLossWeighting", "Td3Options", "Td3Trainer", "TdLossKind", "TemperatureMode", "Activation", "ActivationKind",
        "Concat", "ElementwiseProduct", "Embedding", "Film", "LayerNorm", "Linear", "LinearMap", "ModuleMix", "OneHot",
        "RowSoftmax", "RowTopKSoftmax", "Scale", "Split", "StopGradient", "TaskBatch", "TaskLinear", "TaskRows",
        "TensorPrimitives",
        // System and System.Collections.Generic types and namespaces used by name
        "System", "Array", "ArgumentException", "ArgumentNullException", "ArgumentOutOfRangeException", "InvalidOperationException", "Func",
        "IReadOnlyList", "List", "Span", "ReadOnlySpan", "StringComparison", "Math", "MathF", "Exception", "Object", "String",
    };

    /// <summary>
    /// <c>CreateTrainer(environment, options, accelerator, …)</c> on an agent class: its trainer. The
    /// CLI compiles agents at run time and reaches this and the other factories below by name, so
    /// the generator and the CLI both take the names from here.
    /// </summary>
    public const string CreateTrainer = "CreateTrainer";

    /// <summary><c>CreateLayout()</c> on an agent class: the parameter layout of all its networks.</summary>
    public const string CreateLayout = "CreateLayout";

    /// <summary><c>CreateSequentialOptions()</c> on a sequential agent's class: its task schedule.</summary>
    public const string CreateSequentialOptions = "CreateSequentialOptions";

    /// <summary>The runtime's options record of <paramref name="algorithm"/> (<c>DqnOptions</c>, <c>DistillationOptions</c>…).</summary>
    public static string OptionsType(Algorithm algorithm) => algorithm switch
    {
        Algorithm.Sac => "SacOptions",
        Algorithm.Td3 => "Td3Options",
        Algorithm.Distill => "DistillationOptions",
        Algorithm.Distral => "DistralOptions",
        _ => "DqnOptions",
    };

    /// <summary><c>Create{Options}()</c> on an agent class, e.g. <c>CreateDqnOptions</c>: the spec's settings as the options record.</summary>
    public static string CreateOptions(Algorithm algorithm) => "Create" + OptionsType(algorithm);

    /// <summary>The members the generator gives every agent class (besides <c>…Width</c> constants and <c>…Network</c> classes).</summary>
    public static IReadOnlyCollection<string> AgentMembers { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Tasks", "ActionSize", "DiscreteActions", "ActionLow", "ActionHigh", CreateLayout, "Training", CreateTrainer,
        CreateOptions(Algorithm.Dqn), CreateOptions(Algorithm.Sac), CreateOptions(Algorithm.Td3), CreateOptions(Algorithm.Distill), CreateOptions(Algorithm.Distral),
        CreateSequentialOptions, "CreateSequentialTrainer",
    };

    /// <summary>
    /// Fields every network class may declare for itself, without their '_' (<c>_tasks</c>,
    /// <c>_batch</c>, …): an input or node whose camel name is one of these would take the same field.
    /// </summary>
    public static IReadOnlyCollection<string> NetworkFields { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "taskIds", "tasks", "action", "dAction", "store", "scratch", "scratchB", "batch", "activeColumns",
    };

    /// <summary>Names the typed Forward uses besides its inputs: its other parameters and <c>nameof</c>, which a parameter of that name would hide.</summary>
    public static IReadOnlyCollection<string> ForwardNames { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "action", "task", "batch", "nameof",
    };

    /// <summary>The nested class the generator writes for network <paramref name="network"/>.</summary>
    public static string NetworkClass(string network) => Pascal(network) + "Network";

    /// <summary>The nested class the generator writes for the features output of network <paramref name="network"/>.</summary>
    public static string FeatureClass(string network) => Pascal(network) + "Features";

    /// <summary>The agent constant holding the width of input or goal <paramref name="input"/>.</summary>
    public static string WidthConstant(string input) => Pascal(input) + "Width";

    /// <summary>
    /// MTRL0111 for every name of <paramref name="model"/> that would not make valid, unique C#
    /// (and for parameter slices of different owners that share a name), positioned at the name
    /// as written (nested calls, which have no name of their own, at the call).
    /// </summary>
    internal static void Check(SyntaxFile syntax, SpecModel model, DiagnosticBag diagnostics)
    {
        var items = new Dictionary<string, Item>(StringComparer.Ordinal);
        foreach (var item in syntax.Items)
        {
            if (item.Head.Text == "agent" && item.Name is not null && !items.ContainsKey(item.Name.Text)) items.Add(item.Name.Text, item);
        }
        foreach (var agent in model.Agents)
        {
            items.TryGetValue(agent.Name, out var agentItem);
            new Checker(agent, agentItem, diagnostics).Run();
        }
    }

    private sealed class Checker
    {
        private readonly AgentModel _agent;
        private readonly Item? _item;
        private readonly DiagnosticBag _diagnostics;

        public Checker(AgentModel agent, Item? item, DiagnosticBag diagnostics)
        {
            _agent = agent;
            _item = item;
            _diagnostics = diagnostics;
        }

        /// <summary>A name as messages quote it: long ones cut, so the message keeps its point (DiagnosticBag caps messages).</summary>
        private static string Q(string name) => name.Length <= 40 ? name : name.Substring(0, 32) + "…";

        private void Report(SourceSpan span, string message) => _diagnostics.Report(DiagnosticCatalog.GeneratedNameConflict, span, message);

        /// <summary>Length and letters: true when the name can be mangled at all.</summary>
        private bool Usable(string what, string name, SourceSpan span)
        {
            if (name.Length > MaxLength)
            {
                Report(span, $"{what} is {name.Length} characters long; a name that becomes a C# identifier may have at most {MaxLength}");
                return false;
            }
            if (name.Trim('_').Length == 0)
            {
                Report(span, $"{what} needs a letter or digit besides '_' to name the C# generated from it");
                return false;
            }
            return true;
        }

        public void Run()
        {
            var agentSpan = _item?.Name?.Span ?? _agent.Span;
            var agentName = _agent.Name;
            var members = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var member in AgentMembers) members[member] = "a member the generator writes";

            // Inputs and goals: constants of the agent class, fields and Forward parameters of networks.
            var inputs = new Dictionary<string, InputModel>(StringComparer.Ordinal);
            foreach (var input in _agent.Inputs)
            {
                var what = $"{(input.Kind == InputKind.Goal ? "goal" : "input")} '{Q(input.Name)}'";
                if (!Usable(what, input.Name, input.Span)) continue;
                var camel = Camel(input.Name);
                if (inputs.TryGetValue(camel, out var first))
                {
                    Report(input.Span, $"{what} and '{Q(first.Name)}' (line {first.Span.Line}) both become '{Q(WidthConstant(input.Name))}' in the generated C#; rename one");
                    continue;
                }
                if (NetworkFields.Contains(camel) || ForwardNames.Contains(camel))
                {
                    Report(input.Span, $"{what} would become '{Q(camel)}', a name the generated network code uses itself; rename it");
                    continue;
                }
                inputs.Add(camel, input);
                members[WidthConstant(input.Name)] = $"the width constant of {what}";
            }

            var networks = new Dictionary<string, NetworkModel>(StringComparer.Ordinal);
            var networkItems = new Dictionary<string, Item>(StringComparer.Ordinal);
            foreach (var candidate in _item?.Body ?? EquatableArray<Item>.Empty)
            {
                if (candidate.Head.Text == "network" && candidate.Name is not null && !networkItems.ContainsKey(candidate.Name.Text)) networkItems.Add(candidate.Name.Text, candidate);
            }
            foreach (var network in _agent.Networks)
            {
                networkItems.TryGetValue(network.Name, out var item);
                var span = item?.Name?.Span ?? network.Span;
                var what = $"network '{Q(network.Name)}'";
                if (!Usable(what, network.Name, span)) continue;
                var className = NetworkClass(network.Name);
                if (networks.TryGetValue(className, out var first))
                {
                    Report(span, $"{what} and '{Q(first.Name)}' both become the class '{Q(className)}' in the generated C#; rename one");
                    continue;
                }
                if (ReservedTypeNames.Contains(className))
                {
                    Report(span, $"{what} would become the class '{Q(className)}', which hides the type of that name the generated code uses; rename it");
                    continue;
                }
                networks.Add(className, network);
                members[className] = $"the class of {what}";
                if (network.Features is { } features)
                {
                    var featureClass = FeatureClass(network.Name);
                    if (ReservedTypeNames.Contains(featureClass))
                    {
                        Report(span, $"{what} would give its features output the class '{Q(featureClass)}', which hides the type of that name the generated code uses; rename it");
                        continue;
                    }
                    members[featureClass] = $"the features class of {what}";
                }
                CheckNodes(network, item, inputs);
            }

            if (Usable($"agent '{Q(agentName)}'", agentName, agentSpan))
            {
                if (ReservedKeywords.Contains(agentName) || ContextualKeywords.Contains(agentName))
                {
                    Report(agentSpan, $"agent '{Q(agentName)}' would be a C# class named by a keyword; pick another name");
                }
                else if (ReservedTypeNames.Contains(agentName))
                {
                    Report(agentSpan, $"agent '{Q(agentName)}' would be a C# class that hides the type '{Q(agentName)}' the generated code uses; pick another name");
                }
                else if (members.TryGetValue(agentName, out var member))
                {
                    Report(agentSpan, $"agent '{Q(agentName)}' would be a C# class with a member of its own name ({member}); pick another name");
                }
            }
            CheckSlices();
        }

        /// <summary>Nodes share one field space with the inputs the network reads: camel names must differ.</summary>
        private void CheckNodes(NetworkModel network, Item? item, Dictionary<string, InputModel> inputs)
        {
            var bindings = new Dictionary<string, SourceSpan>(StringComparer.Ordinal);
            foreach (var binding in item?.Body ?? EquatableArray<Item>.Empty)
            {
                if (binding.Kind != ItemKind.Binding) continue;
                var name = binding.Name ?? binding.Head;
                if (!bindings.ContainsKey(name.Text)) bindings.Add(name.Text, name.Span);
            }
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in inputs) fields[pair.Key] = $"input '{Q(pair.Value.Name)}'";
            foreach (var node in NamedNodes(network))
            {
                var span = bindings.TryGetValue(node.Name, out var named) ? named : node.Span;
                var what = $"'{Q(node.Name)}' in network '{Q(network.Name)}'";
                if (!Usable(what, node.Name, span)) continue;
                var camel = Camel(node.Name);
                if (fields.TryGetValue(camel, out var first))
                {
                    Report(span, $"{what} and {first} both become '_{Q(camel)}' in the generated network class; rename one");
                    continue;
                }
                if (NetworkFields.Contains(camel))
                {
                    Report(span, $"{what} would become the field '_{Q(camel)}', which the generated network class uses itself; rename it");
                    continue;
                }
                fields.Add(camel, $"'{Q(node.Name)}'");
            }
        }

        /// <summary>A network's nodes and its features output: all of them name fields and slices.</summary>
        private static IEnumerable<NodeModel> NamedNodes(NetworkModel network) =>
            network.Features is { } features ? network.Nodes.Append(features) : network.Nodes;

        /// <summary>Parameter slices are looked up by name: two owners (blocks or network nodes) must not produce one name.</summary>
        private void CheckSlices()
        {
            var blocks = new HashSet<string>(_agent.Blocks.Select(b => b.Name), StringComparer.Ordinal);
            // Slice name → (owner key, owner as messages show it).
            var owners = new Dictionary<string, (string Key, string Shown)>(StringComparer.Ordinal);
            foreach (var network in _agent.Networks)
            {
                var nodes = new Dictionary<string, NodeModel>(StringComparer.Ordinal);
                foreach (var node in NamedNodes(network))
                {
                    if (node.Block is null && !nodes.ContainsKey(node.Name)) nodes.Add(node.Name, node);
                }
                string? reported = null;
                foreach (var group in network.Parameters)
                {
                    var block = blocks.Contains(group.Node);
                    if (!block && !nodes.ContainsKey(group.Node)) continue;
                    var key = block ? group.Node : network.Name + "." + group.Node;
                    var shown = block ? $"block '{Q(group.Node)}'" : $"'{Q(group.Node)}' in network '{Q(network.Name)}'";
                    if (!owners.TryGetValue(group.Name, out var other))
                    {
                        owners.Add(group.Name, (key, shown));
                        continue;
                    }
                    if (other.Key == key || reported == group.Node) continue;
                    reported = group.Node;
                    Report(block ? network.Span : nodes[group.Node].Span,
                        $"the parameter slice '{Q(group.Name)}' of {shown} has the same name as one of {other.Shown}; rename one of them");
                }
            }
        }
    }
}
