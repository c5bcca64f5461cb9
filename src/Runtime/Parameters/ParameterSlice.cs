using Mtrl.Contracts;

namespace Mtrl.Runtime.Parameters;

/// <summary>
/// One named tensor inside the flat parameter buffer: rows × columns, row-major, starting at
/// <see cref="Offset"/>. Gradients and optimizer state use the same offsets.
/// Weights of affine layers are stored input-major ([in, out]) so a batch-major forward is X·W.
/// </summary>
public sealed record ParameterSlice(int Index, string Name, ParameterOwner Owner, int Offset, int Rows, int Columns, Initializer Initializer)
{
    /// <summary>Number of scalars.</summary>
    public int Length => Rows * Columns;

    /// <summary>Offset just past the slice.</summary>
    public int End => Offset + Length;
}
