using Mtrl.Contracts;
using Mtrl.Dsl.Text;

namespace Mtrl.Dsl.Model;

// The semantic model: plain immutable records with value equality, independent of Roslyn and
// of the runtime, with every default applied and every width known. Consumers (CLI, source
// generator, a later TorchSharp back end) read only this.

/// <summary>All agents of one spec file.</summary>
public sealed record SpecModel(string Path, EquatableArray<AgentModel> Agents);

/// <summary>
/// One agent: its interface to the environment, its networks and how it trains.
/// <see cref="Description"/> is the optional <c>description: "…"</c> text (empty if absent).
/// </summary>
public sealed record AgentModel(
    string Name,
    string Description,
    int Tasks,
    EquatableArray<InputModel> Inputs,
    ActionSpaceModel Action,
    EquatableArray<BlockModel> Blocks,
    EquatableArray<NetworkModel> Networks,
    TrainingModel Training,
    ReplayModel Replay,
    EvolutionModel? Evolution,
    SourceSpan Span);

/// <summary>Whether an input carries observations or goals (goals make HER possible).</summary>
public enum InputKind
{
    /// <summary>Declared with <c>input</c>.</summary>
    Observation,
    /// <summary>Declared with <c>goal</c>: the desired goal of a goal-conditioned task.</summary>
    Goal,
}

/// <summary>A named float vector the environment provides each step.</summary>
public sealed record InputModel(string Name, InputKind Kind, int Width, SourceSpan Span);

/// <summary>
/// The action space. For discrete actions <see cref="Size"/> is the number of choices and the
/// bounds are unused; the action as a network input is then one-hot of that width.
/// </summary>
public sealed record ActionSpaceModel(ActionKind Kind, int Size, double Low, double High, SourceSpan Span);

/// <summary>
/// A block declared at agent level: one set of parameters, used by every network that applies it
/// (that is how weights are shared).
/// </summary>
public sealed record BlockModel(
    string Name,
    LayerOp Op,
    EquatableArray<int> InputWidths,
    int Width,
    EquatableArray<string> UsedBy,
    SourceSpan Span);
