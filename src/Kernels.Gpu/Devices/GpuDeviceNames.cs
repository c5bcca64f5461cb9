using System;

namespace Mtrl.Kernels.Gpu.Devices;

/// <summary>
/// The names a device is requested by (<c>cuda</c>, <c>opencl</c>, <c>ilgpu-cpu</c>), one spelling
/// shared by the API and, later, the CLI's <c>--device</c> option.
/// </summary>
public static class GpuDeviceNames
{
    /// <summary>Every accepted name, in the order error messages list them.</summary>
    public const string Allowed = "cuda, opencl or ilgpu-cpu";

    /// <summary>The kind for <paramref name="name"/> (case-insensitive).</summary>
    /// <param name="name">One of <see cref="Allowed"/>.</param>
    /// <exception cref="ArgumentException">Any other name; the message lists the allowed ones.</exception>
    public static GpuDeviceKind Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "cuda" => GpuDeviceKind.Cuda,
            "opencl" => GpuDeviceKind.OpenCL,
            "ilgpu-cpu" => GpuDeviceKind.IlgpuCpu,
            _ => throw new ArgumentException($"unknown device '{name}': use {Allowed}", nameof(name)),
        };
    }

    /// <summary>The name of <paramref name="kind"/>, as <see cref="Parse"/> accepts it.</summary>
    /// <param name="kind">A defined kind.</param>
    public static string Of(GpuDeviceKind kind) => kind switch
    {
        GpuDeviceKind.Cuda => "cuda",
        GpuDeviceKind.OpenCL => "opencl",
        GpuDeviceKind.IlgpuCpu => "ilgpu-cpu",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"device kind must be {Allowed}"),
    };
}
