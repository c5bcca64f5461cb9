namespace Mtrl.Contracts;

/// <summary>Bounds of the replay buffer that the spec checker and the runtime both enforce.</summary>
public static class ReplayLimits
{
    /// <summary>
    /// Transitions in one replay buffer: slots are 32-bit and prioritized replay keeps 2·capacity
    /// sum-tree nodes, so 2²⁹ keeps every index below 2³¹.
    /// </summary>
    public const int MaxCapacity = 1 << 29;
}
