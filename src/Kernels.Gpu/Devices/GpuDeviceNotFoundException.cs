using System;

namespace Mtrl.Kernels.Gpu.Devices;

/// <summary>
/// The requested accelerator is not on this machine. The message names what was asked for and
/// lists every device ILGPU found, so the user can pick one that exists.
/// </summary>
public sealed class GpuDeviceNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was requested and what was found.</param>
    public GpuDeviceNotFoundException(string message)
        : base(message)
    {
    }
}
