namespace Mtrl.Kernels.Gpu.Training;

/// <summary>One finished episode of a device training loop, as its episode log read it back.</summary>
/// <param name="VectorStep">The vector step (0-based) in which the episode ended.</param>
/// <param name="Environment">The environment that ran it.</param>
/// <param name="Task">Its task.</param>
/// <param name="Return">The sum of its finite rewards (float64, as the CPU loop sums them).</param>
/// <param name="Length">Its steps.</param>
/// <param name="Terminated">True when it ended in a terminal state, false when truncated.</param>
public readonly record struct DeviceEpisodeRecord(long VectorStep, int Environment, int Task, double Return, int Length, bool Terminated);
