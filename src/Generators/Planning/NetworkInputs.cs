using Mtrl.Dsl;

namespace Mtrl.Generators.Planning;

/// <summary>
/// What a network's Forward overloads read: the agent inputs it copies (in the typed Forward's
/// order), the action (critics) and whether Backward gives its gradient, the task ids, and the layout of observation and goal rows.
/// </summary>
internal sealed record NetworkInputs(
    EquatableArray<InputCopy> Read,
    bool ReadsAction,
    bool TakesActionGradient,
    bool UsesTasks,
    EquatableArray<RowPart> ObservationRow,
    EquatableArray<RowPart> GoalRow,
    bool Stochastic);

/// <summary>An agent input a network reads: the typed Forward's parameter, the field it is copied to, its width.</summary>
internal sealed record InputCopy(string Name, string Parameter, string Field, int Width);

/// <summary>
/// One input's place in an observation or goal row; <see cref="Field"/> is null when this network
/// does not read it. <see cref="WholeRow"/>: the input is the whole row, copied in one piece.
/// </summary>
internal sealed record RowPart(string Name, int Offset, int Width, string? Field, bool WholeRow);
