using System;

namespace Mtrl.Kernels.Replay;

/// <summary>
/// Read-only views of an episodic ring's bookkeeping, in the layout of stable-baselines3's
/// HerReplayBuffer: the ring has <see cref="Rows"/> rows of <see cref="Envs"/> slots (slot =
/// row · envs + env), each env's transitions run down its own column, and per slot the row where
/// its episode starts and the episode's length, 0 while the episode is unfinished or after the
/// ring has overwritten its first step.
/// </summary>
/// <remarks>
/// Because the ring overwrites rows in order and every env writes one slot per row, the
/// sampleable slots of one env always form a single circular run of rows
/// [<see cref="ValidStarts"/>[e], + <see cref="ValidCounts"/>[e]): complete episodes between the
/// remnant of the oldest, partly overwritten episode and the env's unfinished one. Samplers use
/// that run to draw uniformly without scanning the ring.
/// </remarks>
public readonly ref struct EpisodeIndex
{
    /// <summary>Row at which each slot's episode starts.</summary>
    public ReadOnlySpan<int> EpisodeStarts { get; init; }

    /// <summary>Length of each slot's episode; 0 marks a slot that must not be sampled.</summary>
    public ReadOnlySpan<int> EpisodeLengths { get; init; }

    /// <summary>First sampleable row of each env.</summary>
    public ReadOnlySpan<int> ValidStarts { get; init; }

    /// <summary>Number of sampleable rows of each env, starting at <see cref="ValidStarts"/> and wrapping.</summary>
    public ReadOnlySpan<int> ValidCounts { get; init; }

    /// <summary>Rows of the ring.</summary>
    public int Rows { get; init; }

    /// <summary>Slots per row (parallel environments).</summary>
    public int Envs { get; init; }
}
