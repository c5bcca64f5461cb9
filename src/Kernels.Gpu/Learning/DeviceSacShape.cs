using System;

namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>
/// What a device SAC agent reads: observations, optionally desired goals, and the task count —
/// which sizes the per-task temperatures and loss weights and, with <paramref name="TaskOneHot"/>,
/// adds the task id as a one-hot vector to every network input (a plain-MLP MT-SAC agent's
/// <c>concat(obs, onehot(task), …)</c>).
/// </summary>
/// <param name="ObservationWidth">Floats per observation, at least 1.</param>
/// <param name="GoalWidth">Floats per desired goal, 0 without goals.</param>
/// <param name="TaskCount">Tasks, at least 1.</param>
/// <param name="TaskOneHot">Whether the networks read the task id as a one-hot vector after the observation and goal.</param>
public sealed record DeviceSacShape(int ObservationWidth, int GoalWidth = 0, int TaskCount = 1, bool TaskOneHot = false)
{
    /// <summary>The actor's input width: observation + goal (+ T with the one-hot task).</summary>
    public int StateWidth => ObservationWidth + GoalWidth + (TaskOneHot ? TaskCount : 0);

    /// <summary>Throws if a width or count is outside its range, naming it.</summary>
    public void Validate()
    {
        if (ObservationWidth < 1) throw new ArgumentOutOfRangeException(nameof(ObservationWidth), ObservationWidth, "must be at least 1");
        if (GoalWidth < 0) throw new ArgumentOutOfRangeException(nameof(GoalWidth), GoalWidth, "must be at least 0");
        if (TaskCount < 1) throw new ArgumentOutOfRangeException(nameof(TaskCount), TaskCount, "must be at least 1");
    }
}
