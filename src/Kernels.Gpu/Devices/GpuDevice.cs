using System;
using System.Collections.Generic;
using System.Linq;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Mtrl.Kernels.Gpu.Devices;

/// <summary>
/// An open ILGPU accelerator and the context that owns it: the one object the device kernels
/// (<see cref="Random.DevicePhiloxFill"/>, <see cref="Replay.DeviceReplay"/>) are created on.
/// Dispose it to release the device.
/// </summary>
public sealed class GpuDevice : IDisposable
{
    private GpuDevice(Context context, ILGPU.Runtime.Accelerator accelerator, GpuDeviceKind kind)
    {
        Context = context;
        Accelerator = accelerator;
        Kind = kind;
    }

    /// <summary>The ILGPU context (compiler settings and the device list).</summary>
    public Context Context { get; }

    /// <summary>The accelerator kernels run on.</summary>
    public ILGPU.Runtime.Accelerator Accelerator { get; }

    /// <summary>Which kind of device was opened.</summary>
    public GpuDeviceKind Kind { get; }

    /// <summary>"kind: name", e.g. <c>ilgpu-cpu: CPUAccelerator</c>, for logs and run records.</summary>
    public string Description => $"{GpuDeviceNames.Of(Kind)}: {Accelerator.Device.Name}";

    /// <summary>Opens the <paramref name="index"/>-th device of the kind named <paramref name="name"/>.</summary>
    /// <param name="name">cuda, opencl or ilgpu-cpu.</param>
    /// <param name="index">Which device of that kind, from 0.</param>
    /// <exception cref="ArgumentException">An unknown name (the message lists the allowed ones).</exception>
    /// <exception cref="GpuDeviceNotFoundException">No such device; the message lists what ILGPU found.</exception>
    public static GpuDevice Open(string name, int index = 0) => Open(GpuDeviceNames.Parse(name), index);

    /// <summary>Opens the <paramref name="index"/>-th device of <paramref name="kind"/>.</summary>
    /// <param name="kind">The accelerator kind.</param>
    /// <param name="index">Which device of that kind, from 0.</param>
    /// <exception cref="GpuDeviceNotFoundException">No such device; the message lists what ILGPU found.</exception>
    public static GpuDevice Open(GpuDeviceKind kind, int index = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        AcceleratorType wanted = TypeOf(kind);

        // All back ends are enumerated so a miss can list everything there is. ILGPU's CPU
        // accelerator is always present, with the emulated group shape of CPUDevice.Default.
        // EnableAlgorithms supplies the PTX back end's exp, log, float64 math (SAC's kernels) and Math.Pow
        // (prioritized replay); the CPU accelerator keeps .NET's own functions.
        Context context = Context.Create(builder => builder.Optimize(OptimizationLevel.O1).AllAccelerators().EnableAlgorithms());
        try
        {
            Device[] matching = context.Devices.Where(d => d.AcceleratorType == wanted).ToArray();
            if (index >= matching.Length)
            {
                string requested = index == 0 ? GpuDeviceNames.Of(kind) : $"{GpuDeviceNames.Of(kind)} device {index}";
                throw new GpuDeviceNotFoundException(
                    $"no {requested} found; ILGPU found: {string.Join("; ", Describe(context.Devices))}" + Hint(kind));
            }

            ILGPU.Runtime.Accelerator accelerator = matching[index].CreateAccelerator(context);
            return new GpuDevice(context, accelerator, kind);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Every device ILGPU finds on this machine, as "kind index: name" lines.</summary>
    public static IReadOnlyList<string> ListDevices()
    {
        using Context context = Context.Create(builder => builder.AllAccelerators());
        return Describe(context.Devices);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }

    private static List<string> Describe(IEnumerable<Device> devices)
    {
        var lines = new List<string>();
        foreach (IGrouping<AcceleratorType, Device> group in devices.GroupBy(d => d.AcceleratorType))
        {
            int i = 0;
            foreach (Device device in group)
            {
                lines.Add($"{NameOf(group.Key)} {i++}: {device.Name}");
            }
        }

        return lines.Count == 0 ? ["nothing"] : lines;
    }

    private static string Hint(GpuDeviceKind kind) => kind switch
    {
        GpuDeviceKind.Cuda => " (CUDA needs an NVIDIA GPU and its driver's libcuda)",
        GpuDeviceKind.OpenCL => " (OpenCL needs libOpenCL.so and a GPU driver with OpenCL 2.0 and the generic address space; PoCL's CPU device is not accepted)",
        _ => string.Empty,
    };

    private static AcceleratorType TypeOf(GpuDeviceKind kind) => kind switch
    {
        GpuDeviceKind.Cuda => AcceleratorType.Cuda,
        GpuDeviceKind.OpenCL => AcceleratorType.OpenCL,
        GpuDeviceKind.IlgpuCpu => AcceleratorType.CPU,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"device kind must be {GpuDeviceNames.Allowed}"),
    };

    private static string NameOf(AcceleratorType type) => type switch
    {
        AcceleratorType.Cuda => "cuda",
        AcceleratorType.OpenCL => "opencl",
        AcceleratorType.CPU => "ilgpu-cpu",
        _ => type.ToString().ToLowerInvariant(),
    };
}
