using Mtrl.Contracts;

namespace Mtrl.Dsl.Model;

/// <summary>
/// One named parameter tensor (row-major <see cref="Rows"/> × <see cref="Columns"/>; vectors have
/// one row). <see cref="Node"/> is the node or block it belongs to. The runtime lays groups out
/// in this order in one flat buffer.
/// </summary>
public sealed record ParameterGroup(string Name, string Node, ParameterOwner Owner, int Rows, int Columns)
{
    /// <summary>Number of scalars.</summary>
    public long Count => (long)Rows * Columns;
}
