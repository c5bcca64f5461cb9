namespace Mtrl.Kernels;

/// <summary>
/// A kernel that processes a contiguous chunk [start, end) of a one-dimensional index space at
/// once. Chunks let the kernel run SIMD loops and amortise per-chunk setup (scratch buffers,
/// loop-invariant loads); the accelerator chooses the chunk boundaries, so results must not
/// depend on them.
/// </summary>
public interface IRangeKernel
{
    /// <summary>Processes every index in [start, end); the chunks of one launch partition [0, length).</summary>
    /// <param name="start">First index of the chunk (inclusive).</param>
    /// <param name="end">End of the chunk (exclusive).</param>
    void Execute(int start, int end);
}
