using System;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Environments;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// A goal environment's own reward and termination, as the replay buffer's relabeling asks for
/// them. Termination is recomputed too: by <see cref="IGoalVectorEnvironment"/>'s contract,
/// <c>ComputeTerminated</c> says whether reaching a goal ends the episode.
/// </summary>
public sealed class EnvironmentGoalReward : IGoalReward
{
    private readonly IGoalVectorEnvironment _environment;
    private bool[] _terminated = [];

    /// <summary>Wraps <paramref name="environment"/>.</summary>
    public EnvironmentGoalReward(IGoalVectorEnvironment environment) => _environment = environment ?? throw new ArgumentNullException(nameof(environment));

    /// <inheritdoc />
    public bool DefinesTermination => true;

    /// <inheritdoc />
    public void Compute(ReadOnlySpan<float> achievedGoals, ReadOnlySpan<float> desiredGoals, int goalWidth, Span<float> rewards, Span<float> terminated)
    {
        var rows = rewards.Length;
        _environment.ComputeReward(achievedGoals, desiredGoals, rewards);
        if (_terminated.Length < rows) _terminated = new bool[rows];
        var flags = _terminated.AsSpan(0, rows);
        _environment.ComputeTerminated(achievedGoals, desiredGoals, flags);
        for (var i = 0; i < rows; i++) terminated[i] = flags[i] ? 1f : 0f;
    }
}
