namespace Mtrl.Runtime.Environments;

/// <summary>A cell of a GridWorld by row (0 = top) and column (0 = left), for naming goals in a layout.</summary>
/// <param name="Row">Row index.</param>
/// <param name="Column">Column index.</param>
public readonly record struct GridCell(int Row, int Column);
