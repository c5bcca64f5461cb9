namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>
/// Which parts a SAC network's input row holds, side by side in this order: the observation, the
/// desired goal, the task id as a one-hot vector over <paramref name="Tasks"/> and the action (the
/// critics'). Widths of 0 leave a part out.
/// </summary>
/// <param name="Observation">Floats per observation, at least 1.</param>
/// <param name="Goal">Floats per goal, 0 without goals.</param>
/// <param name="Tasks">One-hot width: the task count, or 0 without a task input.</param>
/// <param name="Actions">Floats per action, 0 for the actor's input.</param>
/// <param name="Width">The row's width, the sum of the four.</param>
internal readonly record struct DeviceSacInputLayout(int Observation, int Goal, int Tasks, int Actions, int Width)
{
    /// <summary>A layout whose width is the sum of its parts.</summary>
    public static DeviceSacInputLayout Of(int observation, int goal, int tasks, int actions) => new(observation, goal, tasks, actions, observation + goal + tasks + actions);
}
