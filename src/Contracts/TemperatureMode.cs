namespace Mtrl.Contracts;

/// <summary>How SAC's entropy temperature α is set.</summary>
public enum TemperatureMode
{
    /// <summary>A constant <c>SacOptions.AlphaInit</c>.</summary>
    Fixed,

    /// <summary>One learned temperature for all tasks.</summary>
    Learned,

    /// <summary>One learned temperature per task ("disentangled alpha", as in mtrl's MT-SAC).</summary>
    PerTask,
}
