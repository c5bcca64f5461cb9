using System;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// One step of a vectorized environment, as handed to <see cref="ReplayBuffer.Add"/>: for each of
/// the buffer's envs one transition, env-major (env e's observation is elements
/// [e·width, (e+1)·width)). Spans, so a vector env's own state arrays are copied straight into the
/// ring without intermediate objects.
/// </summary>
/// <remarks>
/// With Gymnasium's same-step autoreset, <see cref="NextObservations"/> must hold the final
/// observation of an ending episode (not the first of the next one): off-policy targets need it.
/// </remarks>
public readonly ref struct ReplayStep
{
    /// <summary>Observations the actions were taken in, envs × observation width.</summary>
    public ReadOnlySpan<float> Observations { get; init; }

    /// <summary>Continuous actions, envs × action width (leave empty for discrete actions).</summary>
    public ReadOnlySpan<float> Actions { get; init; }

    /// <summary>Discrete actions, envs × action width (leave empty for continuous actions).</summary>
    public ReadOnlySpan<int> DiscreteActions { get; init; }

    /// <summary>Rewards, one per env.</summary>
    public ReadOnlySpan<float> Rewards { get; init; }

    /// <summary>Observations after the step, envs × observation width.</summary>
    public ReadOnlySpan<float> NextObservations { get; init; }

    /// <summary>Whether the step ended the episode in a terminal state, one per env.</summary>
    public ReadOnlySpan<bool> Terminated { get; init; }

    /// <summary>Whether the step ended the episode by a time limit (or other cut), one per env.</summary>
    public ReadOnlySpan<bool> Truncated { get; init; }

    /// <summary>Task of each env's episode; empty means task 0 for all. May change only between episodes.</summary>
    public ReadOnlySpan<int> TaskIds { get; init; }

    /// <summary>Achieved goals before the step, envs × goal width (goal buffers only).</summary>
    public ReadOnlySpan<float> AchievedGoals { get; init; }

    /// <summary>Achieved goals after the step, envs × goal width (goal buffers only).</summary>
    public ReadOnlySpan<float> NextAchievedGoals { get; init; }

    /// <summary>Desired goals, envs × goal width (goal buffers only).</summary>
    public ReadOnlySpan<float> DesiredGoals { get; init; }
}
