using System.Collections.Generic;

namespace Mtrl.Dsl.Diagnostics;

/// <summary>
/// Every diagnostic the front end can report. Codes are stable: never reuse or renumber one.
/// docs/diagnostics.md explains each with an example; a test keeps the two in step.
/// </summary>
public static class DiagnosticCatalog
{
    /// <summary>The text does not follow the grammar.</summary>
    public static readonly DiagnosticDescriptor SyntaxError = new("MTRL0001", DiagnosticSeverity.Error, "Syntax error");

    /// <summary>A number literal is malformed or too large.</summary>
    public static readonly DiagnosticDescriptor InvalidNumber = new("MTRL0002", DiagnosticSeverity.Error, "Invalid number");

    /// <summary>Reporting stopped after too many errors in one file.</summary>
    public static readonly DiagnosticDescriptor TooManyErrors = new("MTRL0003", DiagnosticSeverity.Error, "Too many errors");

    /// <summary>The file declares no agent.</summary>
    public static readonly DiagnosticDescriptor NoAgent = new("MTRL0004", DiagnosticSeverity.Warning, "No agent in file");

    /// <summary>Brackets or sections nest deeper than the parser allows.</summary>
    public static readonly DiagnosticDescriptor NestingTooDeep = new("MTRL0005", DiagnosticSeverity.Error, "Nesting too deep");

    /// <summary>A keyword is not known in this place.</summary>
    public static readonly DiagnosticDescriptor UnknownKeyword = new("MTRL0100", DiagnosticSeverity.Error, "Unknown keyword");

    /// <summary>A name refers to nothing declared.</summary>
    public static readonly DiagnosticDescriptor UnknownName = new("MTRL0101", DiagnosticSeverity.Error, "Unknown name");

    /// <summary>A call names no known block, output or option.</summary>
    public static readonly DiagnosticDescriptor UnknownFunction = new("MTRL0102", DiagnosticSeverity.Error, "Unknown function");

    /// <summary>A named argument is not a parameter of the call.</summary>
    public static readonly DiagnosticDescriptor UnknownArgument = new("MTRL0103", DiagnosticSeverity.Error, "Unknown argument");

    /// <summary>Two declarations share a name.</summary>
    public static readonly DiagnosticDescriptor DuplicateName = new("MTRL0104", DiagnosticSeverity.Error, "Duplicate name");

    /// <summary>A setting or argument is given twice.</summary>
    public static readonly DiagnosticDescriptor DuplicateSetting = new("MTRL0105", DiagnosticSeverity.Error, "Duplicate setting");

    /// <summary>Values are defined in terms of themselves.</summary>
    public static readonly DiagnosticDescriptor Cycle = new("MTRL0106", DiagnosticSeverity.Error, "Cycle in references");

    /// <summary>A required setting or argument is absent.</summary>
    public static readonly DiagnosticDescriptor Missing = new("MTRL0107", DiagnosticSeverity.Error, "Missing setting or argument");

    /// <summary>A value has the wrong kind (number, list, name, call).</summary>
    public static readonly DiagnosticDescriptor WrongKind = new("MTRL0108", DiagnosticSeverity.Error, "Wrong kind of value");

    /// <summary>An argument is given where it cannot be: an input in a block declaration, a setting where a block is used, too many inputs.</summary>
    public static readonly DiagnosticDescriptor MisplacedArgument = new("MTRL0109", DiagnosticSeverity.Error, "Misplaced argument");

    /// <summary>A declaration is never used.</summary>
    public static readonly DiagnosticDescriptor Unused = new("MTRL0110", DiagnosticSeverity.Warning, "Unused declaration");

    /// <summary>A name would not make valid, unique C# in the generated code (a keyword, a clash after mangling or with the generator's own names, too long).</summary>
    public static readonly DiagnosticDescriptor GeneratedNameConflict = new("MTRL0111", DiagnosticSeverity.Error, "Name unusable in generated C#");

    /// <summary>A name in <c>freeze</c> matches no parameter slice (unknown, ambiguous, or a node without parameters of its own).</summary>
    public static readonly DiagnosticDescriptor UnknownParameterName = new("MTRL0112", DiagnosticSeverity.Error, "Name matches no parameter slice");

    /// <summary>Two widths that must agree do not.</summary>
    public static readonly DiagnosticDescriptor WidthMismatch = new("MTRL0200", DiagnosticSeverity.Error, "Width mismatch");

    /// <summary>A value is used where its kind is not allowed (the task id as features, the action in a policy).</summary>
    public static readonly DiagnosticDescriptor ValueNotAllowed = new("MTRL0201", DiagnosticSeverity.Error, "Value not allowed here");

    /// <summary>A number lies outside its allowed range.</summary>
    public static readonly DiagnosticDescriptor OutOfRange = new("MTRL0300", DiagnosticSeverity.Error, "Number out of range");

    /// <summary>The agent's parameters, a batch's activations, the replay buffer or a gradient copy exceed a documented limit (<see cref="SpecLimits"/>).</summary>
    public static readonly DiagnosticDescriptor TooLarge = new("MTRL0301", DiagnosticSeverity.Error, "Agent too large");

    /// <summary>An output head does not fit the action space.</summary>
    public static readonly DiagnosticDescriptor OutputActionMismatch = new("MTRL0400", DiagnosticSeverity.Error, "Output does not fit the action space");

    /// <summary>Hindsight relabeling needs a goal input.</summary>
    public static readonly DiagnosticDescriptor HerWithoutGoal = new("MTRL0401", DiagnosticSeverity.Error, "HER without a goal input");

    /// <summary>Multi-task gradient methods do nothing with one task.</summary>
    public static readonly DiagnosticDescriptor SingleTaskGradients = new("MTRL0402", DiagnosticSeverity.Warning, "Multi-task gradient method with one task");

    /// <summary>A sequential schedule without progressive columns or a PathNet grid fine-tunes one network from task to task.</summary>
    public static readonly DiagnosticDescriptor SequentialWithoutColumns = new("MTRL0403", DiagnosticSeverity.Info, "Sequential schedule without columns or PathNet");

    /// <summary>The algorithm needs a network the agent does not declare.</summary>
    public static readonly DiagnosticDescriptor MissingNetworkRole = new("MTRL0404", DiagnosticSeverity.Error, "Algorithm needs a network that is missing");

    /// <summary>A network must have exactly one output.</summary>
    public static readonly DiagnosticDescriptor NetworkOutputCount = new("MTRL0405", DiagnosticSeverity.Error, "Network needs exactly one output");

    /// <summary>A setting has no effect in this configuration.</summary>
    public static readonly DiagnosticDescriptor NoEffect = new("MTRL0406", DiagnosticSeverity.Warning, "Setting has no effect");

    /// <summary>A PathNet or progressive network reads out through a shared head.</summary>
    public static readonly DiagnosticDescriptor SharedReadout = new("MTRL0407", DiagnosticSeverity.Warning, "Shared readout after per-task columns or pathways");

    /// <summary>More than one network could play a role the algorithm needs once.</summary>
    public static readonly DiagnosticDescriptor AmbiguousNetworkRole = new("MTRL0408", DiagnosticSeverity.Error, "Ambiguous network role");

    /// <summary>The source generator made no trainer factory for an agent: its algorithm or a training feature it asks for has no trainer in the runtime yet.</summary>
    public static readonly DiagnosticDescriptor NoTrainerFactory = new("MTRL0410", DiagnosticSeverity.Info, "Trainer factory not generated");

    /// <summary>GradNorm has no shared weight matrix to balance the tasks' gradient norms on.</summary>
    public static readonly DiagnosticDescriptor NoSharedWeights = new("MTRL0411", DiagnosticSeverity.Error, "GradNorm without shared weights");

    /// <summary><c>freeze</c> covers every parameter the algorithm trains, so training would change nothing.</summary>
    public static readonly DiagnosticDescriptor NothingToTrain = new("MTRL0412", DiagnosticSeverity.Error, "Everything frozen");

    /// <summary>A distillation regresses features (<c>actor_mimic(features: β)</c>, β &gt; 0) but the student has no <c>features</c> output.</summary>
    public static readonly DiagnosticDescriptor FeaturesOutputMissing = new("MTRL0413", DiagnosticSeverity.Error, "Feature regression without a features output");

    /// <summary>The front end failed internally; the message names the spec.</summary>
    public static readonly DiagnosticDescriptor InternalError = new("MTRL9000", DiagnosticSeverity.Error, "Internal error");

    /// <summary>
    /// Codes no longer reported. A code is never reused: MTRL0409 ("network class not generated
    /// yet") was retired when the generator learned moe, soft_modular and progressive networks.
    /// </summary>
    public static IReadOnlyList<string> Retired { get; } = new[] { "MTRL0409" };

    /// <summary>All descriptors, in code order.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> All { get; } = new[]
    {
        SyntaxError, InvalidNumber, TooManyErrors, NoAgent, NestingTooDeep,
        UnknownKeyword, UnknownName, UnknownFunction, UnknownArgument, DuplicateName, DuplicateSetting,
        Cycle, Missing, WrongKind, MisplacedArgument, Unused, GeneratedNameConflict, UnknownParameterName,
        WidthMismatch, ValueNotAllowed,
        OutOfRange, TooLarge,
        OutputActionMismatch, HerWithoutGoal, SingleTaskGradients, SequentialWithoutColumns,
        MissingNetworkRole, NetworkOutputCount, NoEffect, SharedReadout, AmbiguousNetworkRole, NoTrainerFactory, NoSharedWeights, NothingToTrain, FeaturesOutputMissing,
        InternalError,
    };
}
