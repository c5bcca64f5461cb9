using System;
using System.Linq;
using Mtrl.Kernels.Gpu.Devices;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

[Collection(IlgpuCpuCollection.Name)]
public sealed class GpuDeviceTests(IlgpuCpuFixture fixture)
{
    [Fact]
    public void OpensIlgpuCpuAcceleratorByName()
    {
        Assert.Equal(GpuDeviceKind.IlgpuCpu, fixture.Device.Kind);
        Assert.Equal(ILGPU.Runtime.AcceleratorType.CPU, fixture.Device.Accelerator.AcceleratorType);
        Assert.StartsWith("ilgpu-cpu: ", fixture.Device.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cuda", GpuDeviceKind.Cuda)]
    [InlineData("OpenCL", GpuDeviceKind.OpenCL)]
    [InlineData(" ilgpu-cpu ", GpuDeviceKind.IlgpuCpu)]
    public void ParsesEveryDeviceName(string name, GpuDeviceKind kind)
    {
        Assert.Equal(kind, GpuDeviceNames.Parse(name));
        Assert.Equal(kind, GpuDeviceNames.Parse(GpuDeviceNames.Of(kind)));
    }

    [Fact]
    public void UnknownNameListsTheAllowedOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => GpuDevice.Open("tpu"));
        Assert.Contains("unknown device 'tpu': use cuda, opencl or ilgpu-cpu", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AbsentDeviceListsWhatIlgpuFound()
    {
        var error = Assert.Throws<GpuDeviceNotFoundException>(() => GpuDevice.Open(GpuDeviceKind.IlgpuCpu, index: 99));
        Assert.Contains("no ilgpu-cpu device 99 found; ILGPU found: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("ilgpu-cpu 0: ", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => GpuDevice.Open(GpuDeviceKind.IlgpuCpu, index: -1));
    }

    [Fact]
    public void CudaIsOpenedWhenPresentAndOtherwiseRefusedWithTheDeviceList()
    {
        bool present = GpuDevice.ListDevices().Any(line => line.StartsWith("cuda ", StringComparison.Ordinal));
        if (present)
        {
            using GpuDevice cuda = GpuDevice.Open("cuda");
            Assert.Equal(ILGPU.Runtime.AcceleratorType.Cuda, cuda.Accelerator.AcceleratorType);
        }
        else
        {
            var error = Assert.Throws<GpuDeviceNotFoundException>(() => GpuDevice.Open("cuda"));
            Assert.StartsWith("no cuda found; ILGPU found: ", error.Message, StringComparison.Ordinal);
            Assert.Contains("ilgpu-cpu 0: ", error.Message, StringComparison.Ordinal);
            Assert.Contains("NVIDIA GPU", error.Message, StringComparison.Ordinal);
        }
    }
}
