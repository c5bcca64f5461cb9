using System;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// The per-step output spans every environment kernel writes, in struct-of-arrays layout for N
/// environments: one row of <c>width</c> floats per environment for observations, one value per
/// environment for the rest. Bundled so kernel signatures stay short and every kernel writes the
/// same set of buffers.
/// </summary>
/// <remarks>
/// Autoreset is Gymnasium's same-step mode: for an environment whose episode ended in this step
/// (<see cref="Finished"/>), <see cref="Observations"/> holds the first observation of its next
/// episode and <see cref="FinalObservations"/> the last observation of the finished one. Rows of
/// <see cref="FinalObservations"/> for environments that did not finish are left untouched.
/// </remarks>
public readonly ref struct StepOutputs
{
    /// <summary>Bundles the output spans of one step.</summary>
    /// <param name="observations">N × width observations (after any autoreset).</param>
    /// <param name="rewards">N rewards of the step just taken.</param>
    /// <param name="terminated">N flags: the episode reached a terminal state in this step.</param>
    /// <param name="truncated">N flags: the episode hit its time limit in this step.</param>
    /// <param name="finished">N flags: terminated or truncated, i.e. the environment was reset in this step.</param>
    /// <param name="finalObservations">N × width last observations of finished episodes.</param>
    public StepOutputs(
        Span<float> observations, Span<float> rewards, Span<bool> terminated, Span<bool> truncated,
        Span<bool> finished, Span<float> finalObservations)
    {
        Observations = observations;
        Rewards = rewards;
        Terminated = terminated;
        Truncated = truncated;
        Finished = finished;
        FinalObservations = finalObservations;
    }

    /// <summary>N × width observations; for finished environments the first of the next episode.</summary>
    public Span<float> Observations { get; }

    /// <summary>Reward of the transition each environment just made.</summary>
    public Span<float> Rewards { get; }

    /// <summary>True where the transition reached a terminal state (no bootstrapping past it).</summary>
    public Span<bool> Terminated { get; }

    /// <summary>True where the episode hit its time limit (bootstrap from the final observation).</summary>
    public Span<bool> Truncated { get; }

    /// <summary>True where the episode ended (terminated or truncated) and the environment was autoreset.</summary>
    public Span<bool> Finished { get; }

    /// <summary>N × width final observations, written only for rows where <see cref="Finished"/> is true.</summary>
    public Span<float> FinalObservations { get; }
}
