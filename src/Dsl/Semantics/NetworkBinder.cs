using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Diagnostics;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Syntax;
using Mtrl.Dsl.Text;

namespace Mtrl.Dsl.Semantics;

/// <summary>
/// Binds one <c>network</c> section: resolves names (bindings may appear in any order), detects
/// cycles, applies blocks and inline ops, infers and checks every width, and produces the nodes
/// in schedule order with their parameter groups.
/// </summary>
internal sealed class NetworkBinder
{
    private enum State
    {
        Unvisited,
        Visiting,
        Done,
    }

    private sealed class Binding
    {
        public Binding(Identifier name, Expression value, bool isOutput, SourceSpan span)
        {
            Name = name;
            Expression = value;
            IsOutput = isOutput;
            Span = span;
        }

        public Identifier Name { get; }
        public Expression Expression { get; }
        public bool IsOutput { get; }
        public SourceSpan Span { get; }
        public State State { get; set; }
        public bool CycleReported { get; set; }
        public int PathIndex { get; set; }
        public Value? Result { get; set; }
    }

    private readonly AgentScope _scope;
    private readonly Item _network;
    private readonly string _name;
    private readonly DiagnosticBag _diagnostics;
    private readonly Dictionary<string, Binding> _bindings = new();
    private readonly List<NodeModel> _nodes = new();
    private readonly Dictionary<string, IReadOnlyList<ParameterGroup>> _nodeParameters = new();
    private readonly HashSet<string> _nodeNames = new();
    private readonly Dictionary<string, int> _nextSuffix = new();
    private SourceSpan? _actionReference;

    public NetworkBinder(AgentScope scope, Item network, string name)
    {
        _scope = scope;
        _network = network;
        _name = name;
        _diagnostics = scope.Diagnostics;
    }

    public NetworkModel? Bind()
    {
        CollectBindings();
        foreach (var binding in _bindings.Values) ResolveFrom(binding);

        var featureOutputs = _bindings.Values.Where(b => b.IsOutput && IsFeatureOutput(b)).ToList();
        var outputs = _bindings.Values.Where(b => b.IsOutput && !IsFeatureOutput(b)).ToList();
        if (outputs.Count == 0)
        {
            if (_network.IsIncomplete) return null;
            _diagnostics.Report(DiagnosticCatalog.NetworkOutputCount, _network.Head.Span.Cover(_network.Name!.Span),
                featureOutputs.Count == 0
                    ? $"network '{_name}' has no output; end it with 'out name = head(…)' using gaussian, categorical, deterministic, q_values or value"
                    : $"network '{_name}' has only a features output; it also needs 'out name = head(…)' using gaussian, categorical, deterministic, q_values or value");
            return null;
        }
        if (outputs.Count > 1)
        {
            foreach (var extra in outputs.Skip(1))
            {
                _diagnostics.Report(DiagnosticCatalog.NetworkOutputCount, extra.Name.Span,
                    $"network '{_name}' already has output '{outputs[0].Name.Text}' (line {outputs[0].Name.Span.Line}); a network has exactly one output head (besides at most one features output)");
            }
        }
        foreach (var extra in featureOutputs.Skip(1))
        {
            _diagnostics.Report(DiagnosticCatalog.NetworkOutputCount, extra.Name.Span,
                $"network '{_name}' already has features output '{featureOutputs[0].Name.Text}' (line {featureOutputs[0].Name.Span.Line}); a network has at most one");
        }
        var output = outputs[0];
        if (output.Result is not { Kind: ValueKind.Head } head) return null;

        var reachable = Reachable(head.Source);
        var features = FeatureNode(featureOutputs, reachable, head.Source);
        foreach (var binding in _bindings.Values)
        {
            if (binding.IsOutput || binding.Result is null || binding.Result.IsError || _network.IsIncomplete) continue;
            if (!reachable.Contains(binding.Result.Source) && !_scope.Inputs.ContainsKey(binding.Result.Source))
            {
                _diagnostics.Report(DiagnosticCatalog.Unused, binding.Name.Span,
                    $"'{binding.Name.Text}' is computed but the output of network '{_name}' never uses it");
            }
        }
        var nodes = _nodes.Where(n => reachable.Contains(n.Name)).ToList();
        var readsAction = nodes.Any(n => n.Inputs.Any(i => i.Source == AgentScope.ActionName));
        foreach (var node in nodes)
        {
            foreach (var input in node.Inputs)
            {
                if (_scope.Inputs.ContainsKey(input.Source)) _scope.UsedInputs.Add(input.Source);
            }
        }

        var headOp = (HeadOp)nodes[nodes.Count - 1].Op;
        var role = headOp switch
        {
            QValuesOp => NetworkRole.Critic,
            ValueOp => NetworkRole.Value,
            _ => NetworkRole.Policy,
        };
        CheckRole(role, headOp, readsAction, nodes[nodes.Count - 1]);

        var parameters = new List<ParameterGroup>();
        var seenBlocks = new HashSet<string>();
        foreach (var node in nodes)
        {
            if (node.Block is { } block)
            {
                if (seenBlocks.Add(block)) parameters.AddRange(_scope.Blocks[block].Parameters);
                if (!_scope.Blocks[block].UsedBy.Contains(_name)) _scope.Blocks[block].UsedBy.Add(_name);
            }
            else if (_nodeParameters.TryGetValue(node.Name, out var groups))
            {
                parameters.AddRange(groups);
            }
        }
        if (features is not null)
        {
            if (_scope.Inputs.ContainsKey(features.Inputs[0].Source)) _scope.UsedInputs.Add(features.Inputs[0].Source);
            if (_nodeParameters.TryGetValue(features.Name, out var predictor)) parameters.AddRange(predictor);
        }
        return new NetworkModel(_name, role, nodes.ToEquatableArray(), parameters.ToEquatableArray(), readsAction, _network.Span) { Features = features };
    }

    /// <summary>True for <c>out name = features(…)</c> (unless a block is called features, which makes it a head-less block call).</summary>
    private bool IsFeatureOutput(Binding binding) =>
        binding.Expression is CallExpression { Callee.Text: "features" } && !_scope.Blocks.ContainsKey("features");

    /// <summary>
    /// The node of the features output, or null: it must read the input or a hidden binding the
    /// output head is computed from (Actor-Mimic regresses the features the policy acts on).
    /// </summary>
    private NodeModel? FeatureNode(List<Binding> featureOutputs, HashSet<string> reachable, string head)
    {
        if (featureOutputs.Count == 0 || featureOutputs[0].Result is not { Kind: ValueKind.Head } value) return null;
        var node = _nodes.FirstOrDefault(n => n.Name == value.Source && n.Op is FeaturesOp);
        if (node is null) return null;
        var source = node.Inputs[0].Source;
        if (!reachable.Contains(source) && !_scope.Inputs.ContainsKey(source))
        {
            _diagnostics.Report(DiagnosticCatalog.ValueNotAllowed, node.Span,
                $"features output '{node.Name}' reads '{source}', which output '{head}' is not computed from; give it a hidden binding the head reads, e.g. features(h) for 'out {head} = …(h)'");
            return null;
        }
        return node;
    }

    private void CheckRole(NetworkRole role, HeadOp head, bool readsAction, NodeModel headNode)
    {
        if (role == NetworkRole.Policy && readsAction && _actionReference is { } reference)
        {
            _diagnostics.Report(DiagnosticCatalog.ValueNotAllowed, reference,
                $"policy network '{_name}' cannot read 'action': the policy is what chooses it");
        }
        if (head is QValuesOp && _scope.Action.Kind == ActionKind.Continuous && !readsAction)
        {
            _diagnostics.Report(DiagnosticCatalog.OutputActionMismatch, headNode.Span,
                $"q_values for continuous actions is Q(s, a), so network '{_name}' must read the action, e.g. concat(obs, action)");
        }
        if (!head.PerTask && _nodes.Any(n => n.Op is PathNetOp or ProgressiveOp))
        {
            _diagnostics.Report(DiagnosticCatalog.SharedReadout, headNode.Span,
                $"network '{_name}' uses per-task columns or pathways but reads out through one shared head; add 'per_task: true'");
        }
    }

    private HashSet<string> Reachable(string output)
    {
        var byName = _nodes.ToDictionary(n => n.Name);
        var seen = new HashSet<string>();
        var pending = new Stack<string>();
        pending.Push(output);
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (!seen.Add(name) || !byName.TryGetValue(name, out var node)) continue;
            foreach (var input in node.Inputs) pending.Push(input.Source);
        }
        return seen;
    }

    private void CollectBindings()
    {
        foreach (var item in _network.Body)
        {
            Identifier name;
            var isOutput = false;
            if (item.Kind != ItemKind.Binding || item.Value is null)
            {
                _diagnostics.Report(DiagnosticCatalog.UnknownKeyword, item.Head.Span,
                    $"a network holds bindings 'name = value' and one 'out name = head(…)', found '{item.Head.Text}'" +
                    (item.Kind == ItemKind.Setting ? $"; did you mean '{item.Head.Text} = …'?" : ""));
                continue;
            }
            if (item.Name is null)
            {
                name = item.Head;
            }
            else if (item.Head.Text == "out")
            {
                name = item.Name;
                isOutput = true;
            }
            else
            {
                _diagnostics.Report(DiagnosticCatalog.UnknownKeyword, item.Head.Span,
                    $"unknown modifier '{item.Head.Text}' before '{item.Name.Text}'; only 'out' may precede a binding{Suggestions.DidYouMean(item.Head.Text, new[] { "out" })}");
                continue;
            }

            if (_bindings.TryGetValue(name.Text, out var first))
            {
                _diagnostics.Report(DiagnosticCatalog.DuplicateName, name.Span,
                    $"'{name.Text}' is already bound at line {first.Name.Span.Line}, column {first.Name.Span.Column}");
                continue;
            }
            if (_scope.Inputs.TryGetValue(name.Text, out var input))
            {
                _diagnostics.Report(DiagnosticCatalog.DuplicateName, name.Span,
                    $"'{name.Text}' is already an input (line {input.Span.Line}); pick another name");
                continue;
            }
            if (_scope.Blocks.TryGetValue(name.Text, out var block))
            {
                _diagnostics.Report(DiagnosticCatalog.DuplicateName, name.Span,
                    $"'{name.Text}' is already a block (line {block.Span.Line}); pick another name");
                continue;
            }
            if (AgentScope.ReservedReason(name.Text) is { } reserved)
            {
                _diagnostics.Report(DiagnosticCatalog.DuplicateName, name.Span, reserved);
                continue;
            }
            _bindings.Add(name.Text, new Binding(name, item.Value, isOutput, item.Span));
            _nodeNames.Add(name.Text);
        }
    }

    /// <summary>
    /// Resolves <paramref name="root"/> and everything it reads, deepest first, with an explicit
    /// stack: a spec may chain any number of bindings in any order, and a recursive walk would run
    /// out of thread stack (uncatchably) after a few thousand. When a binding is evaluated, every
    /// binding it reads is already done, so <see cref="Resolve"/> never recurses.
    /// </summary>
    private void ResolveFrom(Binding root)
    {
        if (root.State != State.Unvisited) return;
        var path = new List<Binding>();
        var pending = new List<IEnumerator<Binding>>();
        // lastReported[i]: the deepest index ≤ i on the path whose binding is already on a
        // reported cycle (−1 if none), so "is any member of this cycle reported" is O(1).
        var lastReported = new List<int>();
        root.State = State.Visiting;
        root.PathIndex = 0;
        path.Add(root);
        pending.Add(Dependencies(root).GetEnumerator());
        lastReported.Add(root.CycleReported ? 0 : -1);
        while (path.Count > 0)
        {
            var top = path.Count - 1;
            var dependencies = pending[top];
            if (dependencies.MoveNext())
            {
                var next = dependencies.Current;
                if (next.State == State.Unvisited)
                {
                    next.State = State.Visiting;
                    next.PathIndex = path.Count;
                    path.Add(next);
                    pending.Add(Dependencies(next).GetEnumerator());
                    lastReported.Add(next.CycleReported ? next.PathIndex : lastReported[next.PathIndex - 1]);
                }
                else if (next.State == State.Visiting)
                {
                    ReportCycle(path, lastReported, next);
                }
                continue;
            }
            dependencies.Dispose();
            var binding = path[top];
            path.RemoveAt(top);
            pending.RemoveAt(top);
            lastReported.RemoveAt(top);
            Evaluate(binding);
        }
    }

    /// <summary>
    /// Reports the cycle that closes at <paramref name="target"/> (path[target.PathIndex..] back
    /// to target) on each member, unless a member is already on a reported cycle. Bounded work: the path
    /// text is built once and cut where messages are cut, and nothing is done once reporting has
    /// stopped, so a cycle through 100,000 bindings costs no more than its length.
    /// </summary>
    private void ReportCycle(List<Binding> path, List<int> lastReported, Binding target)
    {
        if (lastReported[path.Count - 1] >= target.PathIndex || _diagnostics.IsCapped) return;
        var text = new System.Text.StringBuilder();
        for (var i = target.PathIndex; i <= path.Count && text.Length <= DiagnosticBag.MaxMessageLength; i++)
        {
            if (text.Length > 0) text.Append(" → ");
            text.Append(i < path.Count ? path[i].Name.Text : target.Name.Text);
        }
        if (text.Length > DiagnosticBag.MaxMessageLength) text.Append(" → …");
        var described = text.ToString();
        for (var i = target.PathIndex; i < path.Count; i++)
        {
            var member = path[i];
            member.CycleReported = true;
            lastReported[i] = i;
            if (_diagnostics.IsCapped) continue;
            _diagnostics.Report(DiagnosticCatalog.Cycle, member.Name.Span, $"'{member.Name.Text}' depends on itself: {described}");
        }
    }

    /// <summary>
    /// The bindings <paramref name="binding"/> reads as values, in the order evaluation reads
    /// them: exactly the sub-expressions <see cref="Evaluate(Expression, string, bool)"/> evaluates
    /// (a setting such as <c>activation: relu</c> is not a read, even if a binding is called relu).
    /// </summary>
    private IEnumerable<Binding> Dependencies(Binding binding)
    {
        var pending = new Stack<Expression>();
        pending.Push(binding.Expression);
        while (pending.Count > 0)
        {
            switch (pending.Pop())
            {
                case NameExpression name:
                    if (_bindings.TryGetValue(name.Name.Text, out var read)) yield return read;
                    break;
                case CallExpression call:
                    // Pushed in reverse so they are visited in source order.
                    var reads = ValueArguments(call);
                    for (var i = reads.Count - 1; i >= 0; i--) pending.Push(reads[i]);
                    break;
            }
        }
    }

    /// <summary>The argument expressions of <paramref name="call"/> that evaluation reads as values.</summary>
    private List<Expression> ValueArguments(CallExpression call)
    {
        var signature = Signature(call.Callee.Text, out var block);
        if (signature is null)
        {
            return call.Arguments.Where(a => a.Value is NameExpression or CallExpression).Select(a => a.Value).ToList();
        }
        // Evaluation reads the first expression given for each input.
        var (inputs, _) = SplitArguments(call, signature, block, report: false);
        return inputs.GroupBy(i => i.Parameter).Select(g => g.First().Value).ToList();
    }

    /// <summary>The block or op called <paramref name="callee"/>, or null if there is none.</summary>
    private OpSignature? Signature(string callee, out BlockState? block)
    {
        _scope.Blocks.TryGetValue(callee, out block);
        if (block is not null) return block.Signature;
        return OpCatalog.All.TryGetValue(callee, out var signature) ? signature : null;
    }

    /// <summary>Evaluates one binding whose reads are all done (or are part of a reported cycle).</summary>
    private void Evaluate(Binding binding)
    {
        var value = Evaluate(binding.Expression, binding.Name.Text, top: true);
        if (binding.IsOutput && value.Kind is ValueKind.Features or ValueKind.TaskId)
        {
            _diagnostics.Report(DiagnosticCatalog.NetworkOutputCount, binding.Expression.Span,
                $"output '{binding.Name.Text}' must be a head (gaussian, categorical, deterministic, q_values or value) or features(…)");
            value = Value.Error(binding.Expression.Span);
        }
        else if (!binding.IsOutput && value.Kind == ValueKind.Head)
        {
            _diagnostics.Report(DiagnosticCatalog.NetworkOutputCount, binding.Name.Span,
                $"'{binding.Name.Text}' is an output head; write it as 'out {binding.Name.Text} = …'");
        }
        binding.State = State.Done;
        binding.Result = value;
    }

    /// <summary>
    /// The value of a binding read by another. <see cref="ResolveFrom"/> evaluates reads first,
    /// so the binding is done unless it is on a cycle (already reported), which reads as an error.
    /// </summary>
    private Value Resolve(Binding binding) =>
        binding.State == State.Done ? binding.Result! : Value.Error(binding.Name.Span);

    private IEnumerable<string> VisibleNames() =>
        _bindings.Keys.Concat(_scope.Inputs.Keys).Concat(new[] { AgentScope.TaskName, AgentScope.ActionName });

    private Value Evaluate(Expression expression, string binding, bool top)
    {
        switch (expression)
        {
            case NameExpression name:
                return EvaluateName(name.Name);
            case CallExpression call:
                return EvaluateCall(call, binding, top);
            default:
                _diagnostics.Report(DiagnosticCatalog.WrongKind, expression.Span,
                    $"expected an input, a binding or a call such as mlp(obs, widths: [64]), found {ExpressionText.Describe(expression)}");
                return Value.Error(expression.Span);
        }
    }

    private Value EvaluateName(Identifier name)
    {
        var text = name.Text;
        if (_bindings.TryGetValue(text, out var binding))
        {
            var value = Resolve(binding);
            return value with { Span = name.Span };
        }
        if (_scope.Inputs.TryGetValue(text, out var input))
        {
            return new Value(ValueKind.Features, input.Width, text, $"input '{text}' declared at line {input.Span.Line}", name.Span);
        }
        if (text == AgentScope.TaskName)
        {
            return new Value(ValueKind.TaskId, 0, text, "the task id", name.Span);
        }
        if (text == AgentScope.ActionName)
        {
            _actionReference ??= name.Span;
            return new Value(ValueKind.Features, _scope.ActionWidth, text,
                _scope.Action.Kind == ActionKind.Discrete ? "the action, one-hot" : "the action", name.Span);
        }
        if (_scope.Blocks.ContainsKey(text))
        {
            _diagnostics.Report(DiagnosticCatalog.ValueNotAllowed, name.Span,
                $"block '{text}' is a layer, not a value; apply it to its input, e.g. {text}(obs)");
            return Value.Error(name.Span);
        }
        _diagnostics.Report(DiagnosticCatalog.UnknownName, name.Span,
            $"unknown name '{text}' in network '{_name}'{(_diagnostics.IsCapped ? "" : Suggestions.DidYouMean(text, VisibleNames()))}");
        return Value.Error(name.Span);
    }

    /// <summary>
    /// <paramref name="stem"/>, or stem2, stem3, … if taken. Each stem remembers its next suffix,
    /// so a binding with thousands of nested calls names them in linear time.
    /// </summary>
    private string FreshName(string stem)
    {
        var name = stem;
        _nextSuffix.TryGetValue(stem, out var i);
        if (i == 0) i = 2;
        while (_nodeNames.Contains(name)) name = $"{stem}{i++}";
        _nextSuffix[stem] = i;
        _nodeNames.Add(name);
        return name;
    }

    private Value EvaluateCall(CallExpression call, string binding, bool top)
    {
        var callee = call.Callee.Text;
        _scope.Blocks.TryGetValue(callee, out var block);
        OpSignature? signature = block?.Signature;
        if (signature is null && !OpCatalog.All.TryGetValue(callee, out signature))
        {
            var candidates = OpCatalog.Names.Concat(_scope.Blocks.Keys);
            // Suggestions scan every block; once reporting has stopped they would only cost time.
            var hint = _diagnostics.IsCapped ? "" : Suggestions.DidYouMean(callee, candidates);
            if (hint.Length == 0 && (_bindings.ContainsKey(callee) || _scope.Inputs.ContainsKey(callee)))
            {
                hint = $"; '{callee}' is a value, not a layer";
            }
            _diagnostics.Report(DiagnosticCatalog.UnknownFunction, call.Callee.Span,
                $"unknown block or head '{callee}'{hint}");
            // Still resolve arguments so errors inside them are reported too.
            foreach (var argument in call.Arguments.Where(a => a.Value is NameExpression or CallExpression)) Evaluate(argument.Value, binding, top: false);
            return Value.Error(call.Span);
        }

        var (inputExpressions, settingArguments) = SplitArguments(call, signature, block, report: true);

        // The first expression given for each input (a duplicate was reported); a dictionary keeps
        // a concat of thousands of inputs linear.
        var firstInputs = new Dictionary<string, (string Parameter, Expression Value, SourceSpan Span)>();
        foreach (var input in inputExpressions)
        {
            if (!firstInputs.ContainsKey(input.Parameter)) firstInputs.Add(input.Parameter, input);
        }
        var values = new List<Value?>();
        var failed = false;
        var inputs = signature.Variadic
            ? inputExpressions.Select(i => new OpInput(i.Parameter, ValueKind.Features, true)).ToArray()
            : signature.Inputs;
        foreach (var parameter in inputs)
        {
            var given = firstInputs.TryGetValue(parameter.Name, out var found) ? found : default;
            if (given.Value is null)
            {
                if (parameter.Required)
                {
                    _diagnostics.Report(DiagnosticCatalog.Missing, call.Span, $"{callee} needs input '{parameter.Name}'");
                    failed = true;
                }
                values.Add(null);
                continue;
            }
            var value = Evaluate(given.Value, binding, top: false);
            failed |= !CheckInputKind(callee, parameter, value);
            values.Add(value);
        }
        if (signature.Variadic && inputs.Length < 2)
        {
            _diagnostics.Report(DiagnosticCatalog.Missing, call.Span, $"{callee} needs at least two inputs");
            failed = true;
        }

        var nodeName = top ? binding : FreshName($"{binding}_{callee}");
        var context = new OpContext(_scope.Tasks, _scope.Action, _diagnostics, call.Span, nodeName);
        LayerOp op;
        if (block is not null)
        {
            op = block.Op;
        }
        else
        {
            var settings = Settings.FromArguments(callee, call.Span, settingArguments, _diagnostics);
            op = signature.Bind(context, settings);
            settings.ReportUnknown();
            if (op is MlpOp mlp && values.Count > 1 && values[1] is not null) op = mlp with { Film = true };
            if (op is ConcatOp) op = new ConcatOp(values.Count);
            if (op is FeaturesOp features)
            {
                if (!top || !_bindings.TryGetValue(binding, out var owner) || !owner.IsOutput)
                {
                    _diagnostics.Report(DiagnosticCatalog.ValueNotAllowed, call.Span,
                        $"features(…) is an output that nothing inside the network reads; write it as its own 'out {(top ? binding : "features")} = features(…)'");
                    return Value.Error(call.Span);
                }
                if (!features.Affine) op = features with { Width = values.Count > 0 ? values[0]?.Width ?? 0 : 0 };
            }
        }
        if (failed || values.Any(v => v is { IsError: true })) return Value.Error(call.Span);

        var width = signature.Width(context, op, values);
        var widths = values.Select(v => v?.Width ?? 0).ToList();
        if (block is not null)
        {
            if (!CheckBlockInputs(block, values, call)) return Value.Error(call.Span);
            if (block.FirstInputs is null)
            {
                if (op is MlpOp mlp && values.Count > 1 && values[1] is not null) op = mlp with { Film = true };
                if (!WithinBudget(block.Name.Text, op, widths, call, $"block '{block.Name.Text}'")) return Value.Error(call.Span);
                block.FirstInputs = values.ToList();
                block.Op = op;
                block.Width = width;
                block.Parameters = ParameterLayout.Groups(block.Name.Text, block.Name.Text, op, widths, _scope.Tasks);
            }
        }
        else
        {
            if (!WithinBudget($"{_name}.{nodeName}", op, widths, call, $"{callee} '{nodeName}'")) return Value.Error(call.Span);
            _nodeParameters[nodeName] = ParameterLayout.Groups(ParameterNames.Node(_name, nodeName), nodeName, op, widths, _scope.Tasks);
        }
        _scope.Budget.AddActivations(LayerSizes.Activations(op, widths, width));

        var nodeInputs = inputs.Zip(values, (p, v) => (p, v))
            .Where(pair => pair.v is not null)
            .Select(pair => new NodeInput(pair.p.Name, pair.v!.Source, pair.v.Width))
            .ToEquatableArray();
        _nodes.Add(new NodeModel(nodeName, op, nodeInputs, width, block?.Name.Text, call.Span));
        var origin = block is not null ? $"block '{callee}' applied at line {call.Span.Line}" : $"{callee} '{nodeName}' at line {call.Span.Line}";
        return new Value(op.IsHead ? ValueKind.Head : ValueKind.Features, width, nodeName, origin, call.Span);
    }

    /// <summary>
    /// Splits a call's arguments into inputs (values flowing in) and settings. Evaluation and
    /// <see cref="Dependencies"/> both use it, so they agree on what a call reads;
    /// only evaluation reports (<paramref name="report"/>).
    /// </summary>
    private (List<(string Parameter, Expression Value, SourceSpan Span)> Inputs, List<Argument> Settings) SplitArguments(
        CallExpression call, OpSignature signature, BlockState? block, bool report)
    {
        var callee = call.Callee.Text;
        var inputExpressions = new List<(string Parameter, Expression Value, SourceSpan Span)>();
        var settingArguments = new List<Argument>();
        var positional = 0;
        foreach (var argument in call.Arguments)
        {
            if (argument.Name is null)
            {
                if (signature.Variadic)
                {
                    inputExpressions.Add(($"x{positional}", argument.Value, argument.Span));
                }
                else if (positional < signature.Inputs.Length)
                {
                    inputExpressions.Add((signature.Inputs[positional].Name, argument.Value, argument.Span));
                }
                else
                {
                    if (report) _diagnostics.Report(DiagnosticCatalog.MisplacedArgument, argument.Span,
                        $"{callee} takes {signature.Inputs.Length} input{(signature.Inputs.Length == 1 ? "" : "s")} ({string.Join(", ", signature.Inputs.Select(i => i.Name))}); settings are written by name, e.g. widths: [64]");
                }
                positional++;
                continue;
            }
            if (signature.IsInputName(argument.Name.Text))
            {
                if (inputExpressions.Any(i => i.Parameter == argument.Name.Text))
                {
                    if (report) _diagnostics.Report(DiagnosticCatalog.DuplicateSetting, argument.Name.Span, $"input '{argument.Name.Text}' of {callee} is given twice");
                    continue;
                }
                inputExpressions.Add((argument.Name.Text, argument.Value, argument.Span));
            }
            else if (block is not null)
            {
                if (report) _diagnostics.Report(DiagnosticCatalog.MisplacedArgument, argument.Name.Span,
                    $"settings of block '{callee}' belong where it is declared (line {block.Span.Line}); here give only its inputs ({string.Join(", ", signature.Inputs.Select(i => i.Name))})");
            }
            else
            {
                settingArguments.Add(argument);
            }
        }

        return (inputExpressions, settingArguments);
    }

    /// <summary>
    /// Measures the parameters a layer would own (in 64-bit, without allocating them) and counts
    /// them into the agent's budget; past <see cref="SpecLimits.MaxParameters"/> or
    /// <see cref="SpecLimits.MaxParameterTensors"/> it reports MTRL0301 here, once per agent,
    /// and nothing is allocated.
    /// </summary>
    private bool WithinBudget(string key, LayerOp op, List<int> widths, CallExpression call, string what)
    {
        var budget = _scope.Budget;
        if (budget.Exceeded) return false;
        var size = LayerSizes.Measure(op, widths, _scope.Tasks);
        var (parameters, tensors) = budget.Reach(key, size);
        if (parameters <= SpecLimits.MaxParameters && tensors <= SpecLimits.MaxParameterTensors)
        {
            budget.Add(key, size);
            return true;
        }
        budget.Exceeded = true;
        string message;
        if (parameters > SpecLimits.MaxParameters)
        {
            message = size.Parameters == parameters
                ? $"{what} would have {Sizes.Count(size.Parameters)} parameters"
                : $"{what} would have {Sizes.Count(size.Parameters)} parameters, bringing the agent to {Sizes.Count(parameters)}";
            message += $"; an agent may have at most {Sizes.Count(SpecLimits.MaxParameters)}; lower its widths or counts";
        }
        else
        {
            message = size.Tensors == tensors
                ? $"{what} would have {Sizes.Count(size.Tensors)} parameter tensors"
                : $"{what} would have {Sizes.Count(size.Tensors)} parameter tensors, bringing the agent to {Sizes.Count(tensors)}";
            message += $"; an agent may have at most {Sizes.Count(SpecLimits.MaxParameterTensors)}; lower its layer, task or module counts";
        }
        _diagnostics.Report(DiagnosticCatalog.TooLarge, call.Span, message);
        return false;
    }

    private bool CheckInputKind(string callee, OpInput parameter, Value value)
    {
        if (value.IsError) return false;
        if (value.Kind == ValueKind.Head)
        {
            _diagnostics.Report(DiagnosticCatalog.ValueNotAllowed, value.Span,
                $"'{value.Source}' is an output head; heads end a network and cannot feed {callee}");
            return false;
        }
        if (parameter.Kind == ValueKind.TaskId && value.Kind != ValueKind.TaskId)
        {
            _diagnostics.Report(DiagnosticCatalog.ValueNotAllowed, value.Span,
                $"{callee} reads the task id: write {callee}(task{(callee == "embedding" ? ", dim: …" : "")})");
            return false;
        }
        if (parameter.Kind == ValueKind.Features && value.Kind == ValueKind.TaskId)
        {
            _diagnostics.Report(DiagnosticCatalog.ValueNotAllowed, value.Span,
                $"the task id is not a feature vector; feed {callee} onehot(task) or embedding(task, dim: …)");
            return false;
        }
        return true;
    }

    private bool CheckBlockInputs(BlockState block, IReadOnlyList<Value?> values, CallExpression call)
    {
        if (block.FirstInputs is null) return true;
        var ok = true;
        for (var i = 0; i < values.Count && i < block.FirstInputs.Count; i++)
        {
            var now = values[i];
            var first = block.FirstInputs[i];
            if (now is null || first is null || first.IsError) continue;
            if (now.Width != first.Width)
            {
                _diagnostics.Report(DiagnosticCatalog.WidthMismatch, now.Span,
                    $"block '{block.Name.Text}' shares its parameters, so every use needs the same widths: its input '{block.Signature.Inputs[i].Name}' is {now.Width} wide here ({now.Origin}) but {first.Width} wide at its first use (line {first.Span.Line}, {first.Origin})");
                ok = false;
            }
        }
        return ok;
    }
}
