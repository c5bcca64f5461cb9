namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>One SAC-loss launch's scalars as one blittable kernel argument.</summary>
/// <param name="Count">Rows in the batch (the B of the CPU's means).</param>
/// <param name="Tasks">Tasks T (task ids are in [0, T)).</param>
/// <param name="Slots">Temperatures: 1 (one for all tasks) or T (one per task).</param>
/// <param name="Gamma">Discount γ as the CPU's float.</param>
/// <param name="TargetEntropy">The entropy H̄ the temperatures steer toward.</param>
internal readonly record struct DeviceSacSettings(int Count, int Tasks, int Slots, float Gamma, double TargetEntropy);
