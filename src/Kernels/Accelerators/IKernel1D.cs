namespace Mtrl.Kernels;

/// <summary>
/// A kernel over a one-dimensional index space. Written as a struct so every launch is
/// specialised by the JIT for the concrete kernel (no boxing, no delegate per element), which is
/// also the shape a GPU backend such as ILGPU compiles.
/// </summary>
public interface IKernel1D
{
    /// <summary>Processes one index; launches call it exactly once for every index in [0, length).</summary>
    /// <param name="i">The index to process.</param>
    void Execute(int i);
}
