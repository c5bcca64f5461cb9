using System;

namespace Mtrl.Kernels.Gpu.Devices;

/// <summary>
/// Marks an explicitly grouped kernel: a static method launched with a grid and group shape
/// (shared memory, barriers), which ILGPU requires to take no index parameter. The kernels
/// with an index parameter are found by their signature; these are found by this mark, so a
/// scan over the assembly (the PTX compilation test) sees every kernel.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ExplicitlyGroupedKernelAttribute : Attribute
{
}
