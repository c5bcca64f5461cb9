using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Diagnostics;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Syntax;
using Mtrl.Dsl.Text;

namespace Mtrl.Dsl.Semantics;

/// <summary>Turns a parsed file into the semantic model: one <see cref="AgentModel"/> per <c>agent</c> section.</summary>
internal sealed class AgentBinder
{
    private static readonly string[] AgentKeywords = { "description", "tasks", "action", "input", "goal", "block", "network", "train", "replay", "evolution" };

    private readonly DiagnosticBag _diagnostics;

    public AgentBinder(DiagnosticBag diagnostics) => _diagnostics = diagnostics;

    public SpecModel Bind(SyntaxFile file, SourceText text)
    {
        var agents = new List<AgentModel>();
        var names = new Dictionary<string, Identifier>();
        foreach (var item in file.Items)
        {
            if (item.Head.Text != "agent")
            {
                _diagnostics.Report(DiagnosticCatalog.UnknownKeyword, item.Head.Span,
                    $"a spec file holds 'agent Name {{ … }}' sections, found '{item.Head.Text}'{Suggestions.DidYouMean(item.Head.Text, new[] { "agent" })}");
                continue;
            }
            if (item.Kind != ItemKind.Section || item.Name is null)
            {
                _diagnostics.Report(DiagnosticCatalog.WrongKind, item.Head.Span, "an agent is written 'agent Name { … }'");
                continue;
            }
            if (names.TryGetValue(item.Name.Text, out var first))
            {
                _diagnostics.Report(DiagnosticCatalog.DuplicateName, item.Name.Span,
                    $"agent '{item.Name.Text}' is already declared at line {first.Span.Line}, column {first.Span.Column}");
                continue;
            }
            names.Add(item.Name.Text, item.Name);
            agents.Add(BindAgent(item));
        }
        if (file.Items.Count == 0)
        {
            _diagnostics.Report(DiagnosticCatalog.NoAgent, text.Span(0, 0), "the file declares no agent; start with 'agent Name { … }'");
        }
        return new SpecModel(file.Path, agents.ToEquatableArray());
    }

    private AgentModel BindAgent(Item agent)
    {
        var name = agent.Name!.Text;
        var settingItems = new List<Item>();
        var inputs = new List<Item>();
        var blocks = new List<Item>();
        var networks = new List<Item>();
        Item? train = null, replay = null, evolution = null;

        foreach (var item in agent.Body)
        {
            switch (item.Head.Text)
            {
                case "tasks" or "action" or "description":
                    if (Expect(item, ItemKind.Setting, named: false, $"{item.Head.Text}: …")) settingItems.Add(item);
                    break;
                case "input" or "goal":
                    if (Expect(item, ItemKind.Setting, named: true, $"{item.Head.Text} name: width")) inputs.Add(item);
                    break;
                case "block":
                    if (Expect(item, ItemKind.Binding, named: true, "block name = mlp(widths: […])")) blocks.Add(item);
                    break;
                case "network":
                    if (Expect(item, ItemKind.Section, named: true, "network name { … }")) networks.Add(item);
                    break;
                case "train":
                    if (Expect(item, ItemKind.Section, named: null, "train sac { … }")) SetOnce(ref train, item);
                    break;
                case "replay":
                    if (Expect(item, ItemKind.Section, named: null, "replay { … }")) SetOnce(ref replay, item);
                    break;
                case "evolution":
                    if (Expect(item, ItemKind.Section, named: false, "evolution { … }")) SetOnce(ref evolution, item);
                    break;
                default:
                    _diagnostics.Report(DiagnosticCatalog.UnknownKeyword, item.Head.Span,
                        $"unknown keyword '{item.Head.Text}' in agent '{name}'{Suggestions.DidYouMean(item.Head.Text, AgentKeywords)}");
                    break;
            }
        }

        var settings = Settings.FromItems($"agent '{name}'", agent.Name.Span, settingItems, _diagnostics);
        var tasks = settings.Int("tasks", 1, NumberRange.Integers(1, SpecLimits.MaxTasks));
        var description = settings.String("description", "");
        var action = ReadAction(settings, agent.Name.Span, agent.IsIncomplete);
        settings.ReportUnknown();

        var scope = new AgentScope(tasks, action, _diagnostics);
        var inputModels = BindInputs(inputs, scope);
        BindBlocks(blocks, scope);

        var networkModels = new List<NetworkModel>();
        var networkNames = new Dictionary<string, Identifier>();
        var networkFailed = false;
        foreach (var network in networks)
        {
            var networkName = network.Name!;
            if (networkNames.TryGetValue(networkName.Text, out var first))
            {
                _diagnostics.Report(DiagnosticCatalog.DuplicateName, networkName.Span,
                    $"network '{networkName.Text}' is already declared at line {first.Span.Line}, column {first.Span.Column}");
                continue;
            }
            networkNames.Add(networkName.Text, networkName);
            var errorsBefore = _diagnostics.ErrorCount;
            var model = new NetworkBinder(scope, network, networkName.Text).Bind();
            if (model is not null) networkModels.Add(model);
            networkFailed |= _diagnostics.ErrorCount > errorsBefore;
        }

        // After a syntax error inside the agent, or an error in a network, "missing" and "unused"
        // findings mostly echo it.
        var quiet = agent.IsIncomplete || networkFailed;
        foreach (var block in scope.Blocks.Values.Where(b => b.UsedBy.Count == 0 && !quiet))
        {
            _diagnostics.Report(DiagnosticCatalog.Unused, block.Name.Span, $"block '{block.Name.Text}' is never used by a network's output");
        }
        foreach (var input in inputModels.Where(i => !scope.UsedInputs.Contains(i.Name) && !quiet))
        {
            _diagnostics.Report(DiagnosticCatalog.Unused, input.Span, $"{(input.Kind == InputKind.Goal ? "goal" : "input")} '{input.Name}' is never used by a network's output");
        }

        var allOps = networkModels.SelectMany(n => n.Nodes).Select(n => n.Op).ToList();
        var draft = new AgentModelDraft(tasks, action,
            inputModels.Any(i => i.Kind == InputKind.Goal),
            allOps.Any(op => op is ProgressiveOp or PathNetOp),
            agent.Name.Span, scope.Budget.WithInterface(inputModels, action));
        if (train is null && !agent.IsIncomplete)
        {
            _diagnostics.Report(DiagnosticCatalog.Missing, agent.Name.Span,
                $"agent '{name}' needs a 'train <algorithm> {{ … }}' section (dqn, sac or td3)");
        }
        else if (train is not null && train.Name is null)
        {
            _diagnostics.Report(DiagnosticCatalog.Missing, train.Head.Span, "'train' needs an algorithm: train dqn { … }, train sac { … } or train td3 { … }");
        }
        var training = TrainingBinder.Train(train, draft, quiet ? null : networkModels, _diagnostics);
        var replayModel = TrainingBinder.Replay(replay, draft, _diagnostics);
        var evolutionModel = TrainingBinder.Evolution(evolution, draft, allOps.OfType<PathNetOp>().FirstOrDefault(), _diagnostics);
        if (train is not null && !quiet) CheckRoles(training, networkModels, action, train);
        if (train is not null && !quiet) TrainerRequirements.Check(training, networkModels, train, _diagnostics);
        if (!quiet) TrainingBinder.CheckUnusedPredictors(training, networkModels, _diagnostics);

        var blockModels = scope.Blocks.Values.Select(b => new BlockModel(
            b.Name.Text, b.Op,
            (b.FirstInputs ?? new List<Value?>()).Where(v => v is not null).Select(v => v!.Width).ToEquatableArray(),
            b.Width, b.UsedBy.ToEquatableArray(), b.Span));

        return new AgentModel(name, description, tasks, inputModels.ToEquatableArray(), action, blockModels.ToEquatableArray(),
            networkModels.ToEquatableArray(), training, replayModel, evolutionModel, agent.Span);
    }

    private void SetOnce(ref Item? slot, Item item)
    {
        if (slot is not null)
        {
            _diagnostics.Report(DiagnosticCatalog.DuplicateSetting, item.Head.Span,
                $"'{item.Head.Text}' is already given at line {slot.Head.Span.Line}; merge the two sections");
            return;
        }
        slot = item;
    }

    /// <summary>Checks an item has the form its keyword needs (named: null means the name is optional).</summary>
    private bool Expect(Item item, ItemKind kind, bool? named, string form)
    {
        var nameOk = named is null || (named.Value ? item.Name is not null : item.Name is null);
        if (item.Kind == kind && nameOk) return true;
        _diagnostics.Report(DiagnosticCatalog.WrongKind, item.Head.Span, $"'{item.Head.Text}' is written '{form}'");
        return false;
    }

    private ActionSpaceModel ReadAction(Settings settings, SourceSpan agentName, bool quiet)
    {
        var fallback = new ActionSpaceModel(ActionKind.Discrete, 1, 0, 0, agentName);
        var raw = settings.Raw("action");
        if (raw is null)
        {
            if (quiet) return fallback;
            _diagnostics.Report(DiagnosticCatalog.Missing, agentName,
                "the agent needs an action space: 'action: discrete(n)' or 'action: continuous(d, low: -1, high: 1)'");
            return fallback;
        }
        if (raw is not CallExpression call || call.Callee.Text is not ("discrete" or "continuous"))
        {
            var hint = raw is CallExpression or NameExpression
                ? Suggestions.DidYouMean(raw is CallExpression c ? c.Callee.Text : ((NameExpression)raw).Name.Text, new[] { "discrete", "continuous" })
                : "";
            _diagnostics.Report(DiagnosticCatalog.WrongKind, raw.Span, $"'action' must be discrete(n) or continuous(d, low: …, high: …){hint}");
            return fallback;
        }
        var kind = call.Callee.Text == "discrete" ? ActionKind.Discrete : ActionKind.Continuous;
        var positional = call.Arguments.Where(a => a.Name is null).ToList();
        var args = Settings.FromArguments(call.Callee.Text, call.Span, call.Arguments, _diagnostics);
        int size;
        if (positional.Count > 0)
        {
            size = 1;
            if (positional[0].Value is NumberLiteral { IsValid: true } n && n.Value == System.Math.Floor(n.Value))
            {
                if (!NumberRange.Width.Contains(n.Value))
                {
                    _diagnostics.Report(DiagnosticCatalog.OutOfRange, n.Span, $"the action size must be {NumberRange.Width.Describe(integer: true)}, found {n.Text}");
                }
                else
                {
                    size = (int)n.Value;
                }
            }
            else if (positional[0].Value is not NumberLiteral { IsValid: false })
            {
                _diagnostics.Report(DiagnosticCatalog.WrongKind, positional[0].Span, $"the action size must be a whole number, found {ExpressionText.Describe(positional[0].Value)}");
            }
            foreach (var extra in positional.Skip(1))
            {
                _diagnostics.Report(DiagnosticCatalog.MisplacedArgument, extra.Span, $"{call.Callee.Text} takes one size; bounds are written low: …, high: …");
            }
            if (args.Has("size")) _diagnostics.Report(DiagnosticCatalog.DuplicateSetting, args.KeySpan("size")!.Value, "the size is already given");
        }
        else
        {
            size = args.RequiredInt("size", NumberRange.Width);
        }
        double low = 0, high = 0;
        if (kind == ActionKind.Continuous)
        {
            low = args.Real("low", -1, NumberRange.Any);
            high = args.Real("high", 1, NumberRange.Any);
            if (!(low < high))
            {
                _diagnostics.Report(DiagnosticCatalog.OutOfRange, args.SpanOf("high"), $"'high' must be greater than 'low' ({NumberRange.Format(low)}), found {NumberRange.Format(high)}");
                (low, high) = (-1, 1);
            }
        }
        args.ReportUnknown();
        return new ActionSpaceModel(kind, size, low, high, raw.Span);
    }

    private List<InputModel> BindInputs(List<Item> items, AgentScope scope)
    {
        var result = new List<InputModel>();
        foreach (var item in items)
        {
            var inputName = item.Name!;
            var kind = item.Head.Text == "goal" ? InputKind.Goal : InputKind.Observation;
            if (AgentScope.ReservedReason(inputName.Text) is { } reserved)
            {
                _diagnostics.Report(DiagnosticCatalog.DuplicateName, inputName.Span, reserved);
                continue;
            }
            if (scope.Inputs.TryGetValue(inputName.Text, out var first))
            {
                _diagnostics.Report(DiagnosticCatalog.DuplicateName, inputName.Span,
                    $"'{inputName.Text}' is already declared at line {first.Span.Line}, column {first.Span.Column}");
                continue;
            }
            var width = 1;
            if (item.Value is NumberLiteral { IsValid: true } number && number.Value == System.Math.Floor(number.Value))
            {
                if (!NumberRange.Width.Contains(number.Value))
                {
                    _diagnostics.Report(DiagnosticCatalog.OutOfRange, number.Span, $"the width of '{inputName.Text}' must be {NumberRange.Width.Describe(integer: true)}, found {number.Text}");
                }
                else
                {
                    width = (int)number.Value;
                }
            }
            else if (item.Value is not NumberLiteral { IsValid: false })
            {
                _diagnostics.Report(DiagnosticCatalog.WrongKind, item.Value!.Span,
                    $"the width of '{inputName.Text}' must be a whole number, found {ExpressionText.Describe(item.Value)}");
            }
            var model = new InputModel(inputName.Text, kind, width, inputName.Span);
            scope.Inputs.Add(inputName.Text, model);
            result.Add(model);
        }
        return result;
    }

    private void BindBlocks(List<Item> items, AgentScope scope)
    {
        foreach (var item in items)
        {
            var blockName = item.Name!;
            if (scope.Blocks.TryGetValue(blockName.Text, out var first))
            {
                _diagnostics.Report(DiagnosticCatalog.DuplicateName, blockName.Span,
                    $"block '{blockName.Text}' is already declared at line {first.Name.Span.Line}, column {first.Name.Span.Column}");
                continue;
            }
            if (AgentScope.ReservedReason(blockName.Text) is { } reserved)
            {
                _diagnostics.Report(DiagnosticCatalog.DuplicateName, blockName.Span, reserved);
                continue;
            }
            if (scope.Inputs.ContainsKey(blockName.Text))
            {
                _diagnostics.Report(DiagnosticCatalog.DuplicateName, blockName.Span, $"'{blockName.Text}' is already an input; pick another name for the block");
                continue;
            }
            if (item.Value is not CallExpression call)
            {
                _diagnostics.Report(DiagnosticCatalog.WrongKind, item.Value!.Span,
                    $"a block is declared with its settings, e.g. block {blockName.Text} = mlp(widths: [400, 400])");
                continue;
            }
            if (!OpCatalog.All.TryGetValue(call.Callee.Text, out var signature))
            {
                _diagnostics.Report(DiagnosticCatalog.UnknownFunction, call.Callee.Span,
                    $"unknown block '{call.Callee.Text}'{Suggestions.DidYouMean(call.Callee.Text, OpCatalog.All.Values.Where(o => o.HasParameters).Select(o => o.Name))}");
                continue;
            }
            if (!signature.HasParameters || signature.IsHead)
            {
                _diagnostics.Report(DiagnosticCatalog.ValueNotAllowed, call.Callee.Span,
                    signature.IsHead
                        ? $"{call.Callee.Text} is an output head; write it inside a network as 'out name = {call.Callee.Text}(…)'"
                        : $"{call.Callee.Text} has no parameters to share; use it inline in a network");
                continue;
            }
            var valid = true;
            foreach (var argument in call.Arguments)
            {
                if (argument.Name is null || signature.IsInputName(argument.Name.Text))
                {
                    _diagnostics.Report(DiagnosticCatalog.MisplacedArgument, argument.Span,
                        $"a block declaration holds only settings; give its input{(argument.Name is null ? "" : $" '{argument.Name.Text}'")} where the block is used, e.g. {blockName.Text}(obs)");
                    valid = false;
                }
            }
            var settings = Settings.FromArguments(call.Callee.Text, call.Span, call.Arguments.Where(a => a.Name is not null && !signature.IsInputName(a.Name.Text)), _diagnostics);
            var op = signature.Bind(new OpContext(scope.Tasks, scope.Action, _diagnostics, call.Span, blockName.Text), settings);
            settings.ReportUnknown();
            if (!valid) continue;
            scope.Blocks.Add(blockName.Text, new BlockState(blockName, signature, op, item.Span));
        }
    }

    private void CheckRoles(TrainingModel training, List<NetworkModel> networks, ActionSpaceModel action, Item train)
    {
        var algorithm = training.Algorithm.ToString().ToLowerInvariant();
        var at = train.Name?.Span ?? train.Head.Span;
        if (training.Algorithm != Algorithm.Sac)
        {
            var needed = training.Algorithm == Algorithm.Td3 ? ActionKind.Continuous : ActionKind.Discrete;
            if (action.Kind != needed)
            {
                _diagnostics.Report(DiagnosticCatalog.OutputActionMismatch, at,
                    $"{algorithm} needs {(needed == ActionKind.Discrete ? "discrete" : "continuous")} actions, but the agent's action is {(action.Kind == ActionKind.Discrete ? "discrete" : "continuous")}");
            }
        }
        void Need(NetworkRole role, string what, System.Func<NetworkModel, bool>? headOk = null, string? headHint = null)
        {
            var matching = networks.Where(n => n.Role == role).ToList();
            if (matching.Count == 0)
            {
                _diagnostics.Report(DiagnosticCatalog.MissingNetworkRole, at, $"{algorithm} needs {what}; no network has one");
                return;
            }
            if (matching.Count > 1)
            {
                _diagnostics.Report(DiagnosticCatalog.AmbiguousNetworkRole, matching[1].Span,
                    $"{algorithm} uses one {role.ToString().ToLowerInvariant()} network (it makes twins and targets itself), but '{matching[0].Name}' and '{matching[1].Name}' both are");
                return;
            }
            if (headOk is not null && !headOk(matching[0]))
            {
                _diagnostics.Report(DiagnosticCatalog.MissingNetworkRole, matching[0].Output.Span, $"{algorithm} {headHint}");
            }
        }
        switch (training.Algorithm)
        {
            case Algorithm.Dqn:
                Need(NetworkRole.Critic, "a network with a q_values output");
                break;
            case Algorithm.Sac:
                Need(NetworkRole.Policy, "a policy network (gaussian or categorical output)",
                    n => n.Output.Op is GaussianOp or CategoricalOp, "needs a stochastic policy: gaussian or categorical, not deterministic");
                Need(NetworkRole.Critic, "a critic network with a q_values output");
                break;
            case Algorithm.Td3:
                Need(NetworkRole.Policy, "a policy network with a deterministic output",
                    n => n.Output.Op is DeterministicOp, "needs a deterministic policy head");
                Need(NetworkRole.Critic, "a critic network with a q_values output");
                break;
            case Algorithm.Distill:
                Need(NetworkRole.Critic, "a student network with a q_values output (its values are read as logits)");
                break;
            case Algorithm.Distral:
                Need(NetworkRole.Critic, "a network of task columns with a q_values output");
                Need(NetworkRole.Policy, "a distilled policy network with a categorical output",
                    n => n.Output.Op is CategoricalOp, "needs the distilled policy as a categorical head");
                break;
        }
        foreach (var network in networks)
        {
            var used = training.Algorithm is Algorithm.Dqn or Algorithm.Distill
                ? network.Role == NetworkRole.Critic
                : network.Role is NetworkRole.Critic or NetworkRole.Policy;
            if (!used)
            {
                _diagnostics.Report(DiagnosticCatalog.NoEffect, network.Span, $"network '{network.Name}' ({network.Role.ToString().ToLowerInvariant()}) is not used by {algorithm}");
            }
        }
    }
}
