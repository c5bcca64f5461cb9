using System.Collections.Generic;
using Mtrl.Dsl.Diagnostics;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Syntax;
using Mtrl.Dsl.Text;

namespace Mtrl.Dsl.Semantics;

/// <summary>What networks of one agent can see: tasks, action space, inputs and blocks.</summary>
internal sealed class AgentScope
{
    public AgentScope(int tasks, ActionSpaceModel action, DiagnosticBag diagnostics)
    {
        Tasks = tasks;
        Action = action;
        Diagnostics = diagnostics;
    }

    public int Tasks { get; }
    public ActionSpaceModel Action { get; }
    public DiagnosticBag Diagnostics { get; }
    public Dictionary<string, InputModel> Inputs { get; } = new();
    public Dictionary<string, BlockState> Blocks { get; } = new();
    public HashSet<string> UsedInputs { get; } = new();

    /// <summary>Sizes of everything bound so far, checked against <see cref="SpecLimits"/> before allocating.</summary>
    public AgentBudget Budget { get; } = new();

    /// <summary>Built-in values every network can read.</summary>
    public const string TaskName = "task";

    /// <summary>The action (only critics may read it).</summary>
    public const string ActionName = "action";

    /// <summary>
    /// Why <paramref name="name"/> cannot name an input, block or binding, or null if it can.
    /// docs/language.md reserves these as names of values: <c>task</c> and <c>action</c> are
    /// built-in inputs, <c>true</c> and <c>false</c> are the boolean values settings read.
    /// </summary>
    public static string? ReservedReason(string name) => name switch
    {
        TaskName or ActionName => $"'{name}' is built in; pick another name",
        "true" or "false" => $"'{name}' is a reserved word (a boolean value); pick another name",
        _ => null,
    };

    /// <summary>Width of the action as a network input: one-hot for discrete actions.</summary>
    public int ActionWidth => Action.Size;
}

/// <summary>A declared block while networks are bound; its input widths are fixed by its first use.</summary>
internal sealed class BlockState
{
    public BlockState(Identifier name, OpSignature signature, LayerOp op, SourceSpan span)
    {
        Name = name;
        Signature = signature;
        Op = op;
        Span = span;
    }

    public Identifier Name { get; }
    public OpSignature Signature { get; }
    public LayerOp Op { get; set; }
    public SourceSpan Span { get; }
    public IReadOnlyList<Value?>? FirstInputs { get; set; }
    public int Width { get; set; }
    public List<string> UsedBy { get; } = new();
    public IReadOnlyList<ParameterGroup> Parameters { get; set; } = new List<ParameterGroup>();
}
