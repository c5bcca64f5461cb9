using ILGPU;

namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// One vector-env step already on the device, env-major like the CPU <c>ReplayStep</c>: env e's
/// observation is elements [e·width, (e+1)·width). Flags are floats (0 or 1) because that is how a
/// device environment and the learner hold them.
/// </summary>
/// <remarks>
/// With Gymnasium's same-step autoreset, <see cref="NextObservations"/> holds the final
/// observation of an ending episode, not the reset one.
/// </remarks>
public struct DeviceReplayStep
{
    /// <summary>Observations the actions were taken in, envs × observation width.</summary>
    public ArrayView<float> Observations;

    /// <summary>Actions, envs × action width.</summary>
    public ArrayView<float> Actions;

    /// <summary>Rewards, one per env.</summary>
    public ArrayView<float> Rewards;

    /// <summary>Observations after the step, envs × observation width.</summary>
    public ArrayView<float> NextObservations;

    /// <summary>1 where the step ended the episode in a terminal state, else 0.</summary>
    public ArrayView<float> Terminated;

    /// <summary>1 where the step ended the episode by a time limit, else 0.</summary>
    public ArrayView<float> Truncated;

    /// <summary>Task of each env's episode; may change only between episodes.</summary>
    public ArrayView<int> TaskIds;

    /// <summary>Achieved goals before the step, envs × goal width (goal replays only).</summary>
    public ArrayView<float> AchievedGoals;

    /// <summary>Achieved goals after the step, envs × goal width (goal replays only).</summary>
    public ArrayView<float> NextAchievedGoals;

    /// <summary>Desired goals, envs × goal width (goal replays only).</summary>
    public ArrayView<float> DesiredGoals;
}
