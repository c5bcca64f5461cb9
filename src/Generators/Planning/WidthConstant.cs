namespace Mtrl.Generators.Planning;

/// <summary>
/// <c>private const int HWidth = 256;</c>: the width of node <see cref="Node"/> (spec line
/// <see cref="Line"/>), declared once in the network class so its workspaces and steps say whose
/// width they are instead of repeating the number.
/// </summary>
internal sealed record WidthConstant(string Name, int Value, string Node, int Line);

/// <summary>A width printed as <see cref="Multiple"/> × the constant <see cref="Constant"/> (<c>HWidth</c>, <c>2 * HWidth</c>).</summary>
internal sealed record NamedWidth(string Constant, int Multiple);
