namespace Mtrl.Contracts;

/// <summary>What happens to the parameter updates a contestant made during its window when it loses its tournament.</summary>
public enum LoserUpdates
{
    /// <summary>They stay, as in the paper: every contestant trains the shared modules in turn.</summary>
    Keep,

    /// <summary>
    /// They are undone: every contestant of a tournament trains from the parameters the tournament
    /// started with, and only the winner's training is kept (the replay keeps every contestant's
    /// transitions). Gentler on shared modules when contestants train one after another.
    /// </summary>
    Discard,
}
