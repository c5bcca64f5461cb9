using System;
using System.Linq;
using Mtrl.Kernels.Gpu.Devices;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>
/// A fact that needs a CUDA device: it runs where ILGPU finds one and is reported as skipped,
/// with the devices that were found, where it does not (xunit 2 decides skips from the attribute).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CudaFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> SkipReason = new(() =>
    {
        string[] devices = GpuDevice.ListDevices().ToArray();
        return devices.Any(line => line.StartsWith("cuda ", StringComparison.Ordinal))
            ? null
            : $"needs a CUDA device; ILGPU found: {string.Join("; ", devices)}";
    });

    /// <summary>Sets <see cref="FactAttribute.Skip"/> when no CUDA device is present.</summary>
    public CudaFactAttribute()
    {
        if (SkipReason.Value is { } reason)
        {
            Skip = reason;
        }
    }
}
