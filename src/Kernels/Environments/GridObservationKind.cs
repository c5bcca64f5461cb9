namespace Mtrl.Kernels.Environments;

/// <summary>How a GridWorld encodes the agent's cell: tabular-style or as a position.</summary>
public enum GridObservationKind
{
    /// <summary>Width × height floats, 1 at the agent's cell (row-major) and 0 elsewhere.</summary>
    OneHot,

    /// <summary>Two floats: row / (height − 1) and column / (width − 1), both in [0, 1].</summary>
    Coordinates,
}
