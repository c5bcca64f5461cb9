using System;
using Mtrl.Kernels.Gpu.Devices;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>One ILGPU CPU accelerator shared by the test classes: opening one and compiling kernels is the slow part.</summary>
public sealed class IlgpuCpuFixture : IDisposable
{
    /// <summary>The open device.</summary>
    public GpuDevice Device { get; } = GpuDevice.Open(GpuDeviceKind.IlgpuCpu);

    /// <inheritdoc />
    public void Dispose() => Device.Dispose();
}

/// <summary>The collection every device test joins, so they share <see cref="IlgpuCpuFixture"/> and never launch on it concurrently.</summary>
[CollectionDefinition(Name)]
public sealed class IlgpuCpuCollection : ICollectionFixture<IlgpuCpuFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "ILGPU CPU accelerator";
}
