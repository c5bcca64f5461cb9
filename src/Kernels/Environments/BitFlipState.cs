using System;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// Struct-of-arrays state of N BitFlip environments: bit vectors packed into 64-bit words (bit b
/// of a word is bit b of the state), so a flip is one XOR and a success test one comparison.
/// </summary>
public readonly ref struct BitFlipState
{
    /// <summary>Bundles the state spans; all have one element per environment.</summary>
    /// <param name="states">Current bit vectors.</param>
    /// <param name="goals">Goal bit vectors of the current episodes.</param>
    /// <param name="steps">Steps taken in the current episodes.</param>
    /// <param name="episodes">Episodes started since the last full reset (the RNG's episode index).</param>
    public BitFlipState(Span<ulong> states, Span<ulong> goals, Span<int> steps, Span<uint> episodes)
    {
        States = states;
        Goals = goals;
        Steps = steps;
        Episodes = episodes;
    }

    /// <summary>Current bit vector of each environment.</summary>
    public Span<ulong> States { get; }

    /// <summary>Goal bit vector of each environment's episode.</summary>
    public Span<ulong> Goals { get; }

    /// <summary>Steps taken in each environment's current episode.</summary>
    public Span<int> Steps { get; }

    /// <summary>Index of each environment's current episode since the last full reset.</summary>
    public Span<uint> Episodes { get; }
}
