namespace Mtrl.Kernels.Gpu.Devices;

/// <summary>The ILGPU accelerators a caller can ask for; the CPU path (no ILGPU) is not one of them.</summary>
public enum GpuDeviceKind
{
    /// <summary>An NVIDIA GPU through ILGPU's CUDA back end (PTX).</summary>
    Cuda,

    /// <summary>A GPU through ILGPU's OpenCL back end (needs OpenCL 2.0 with the generic address space; PoCL's CPU device is refused).</summary>
    OpenCL,

    /// <summary>ILGPU's CPU accelerator: emulates GPU semantics on CPU threads, slowly; for tests and debugging, never for speed.</summary>
    IlgpuCpu,
}
