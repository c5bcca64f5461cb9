namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>One TD-loss launch's scalars as one blittable kernel argument; <see cref="Double"/> and <see cref="Loss"/> are ints (0 / 1, <see cref="DeviceTdLossKind"/>).</summary>
internal readonly record struct DeviceTdSettings(int Count, int Actions, float Gamma, int Double, int Loss, float Delta, float Scale);
