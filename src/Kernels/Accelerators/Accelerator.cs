using System;

namespace Mtrl.Kernels;

/// <summary>
/// Executes struct kernels over index spaces. Kernels describe per-index work only; how the index
/// space is split over hardware (threads today, a GPU grid later) is the accelerator's job, so a
/// new backend is another subclass rather than a rewrite of the kernels.
/// </summary>
/// <remarks>
/// Kernels may be <c>ref struct</c>s holding spans: a launch returns only after every index has
/// been processed, so the kernel never outlives the caller's stack frame.
/// </remarks>
public abstract class Accelerator : IDisposable
{
    /// <summary>
    /// How many threads (or lanes of work) a launch may use at most; callers size their own
    /// partitioning (for example GEMM task grids) from it.
    /// </summary>
    public abstract int DegreeOfParallelism { get; }

    /// <summary>Runs <paramref name="kernel"/> once for every index in [0, <paramref name="length"/>) and waits for completion.</summary>
    /// <typeparam name="TKernel">The kernel type; a struct so the JIT specialises the launch.</typeparam>
    /// <param name="length">Size of the index space; zero or negative launches nothing.</param>
    /// <param name="kernel">The kernel; copied once per launch, so it should not rely on mutating its own fields.</param>
    public abstract void Launch<TKernel>(int length, in TKernel kernel)
        where TKernel : struct, IKernel1D, allows ref struct;

    /// <summary>Runs <paramref name="kernel"/> once for every cell of a rows × columns grid and waits for completion.</summary>
    /// <typeparam name="TKernel">The kernel type; a struct so the JIT specialises the launch.</typeparam>
    /// <param name="rows">Number of rows (first index).</param>
    /// <param name="columns">Number of columns (second index).</param>
    /// <param name="kernel">The kernel; copied once per launch.</param>
    public abstract void Launch<TKernel>(int rows, int columns, in TKernel kernel)
        where TKernel : struct, IKernel2D, allows ref struct;

    /// <summary>
    /// Splits [0, <paramref name="length"/>) into contiguous chunks of at least
    /// <paramref name="grain"/> indices (except possibly when the whole range is smaller) and runs
    /// <paramref name="kernel"/> on each chunk; waits for completion.
    /// </summary>
    /// <typeparam name="TKernel">The kernel type; a struct so the JIT specialises the launch.</typeparam>
    /// <param name="length">Size of the index space; zero or negative launches nothing.</param>
    /// <param name="grain">Smallest chunk worth a thread; 0 uses the accelerator's default. Heavy
    /// per-index work (a GEMM tile) wants 1, cheap per-index work wants thousands.</param>
    /// <param name="kernel">The kernel; copied once per launch.</param>
    public abstract void LaunchChunked<TKernel>(int length, int grain, in TKernel kernel)
        where TKernel : struct, IRangeKernel, allows ref struct;

    /// <summary>Chunked launch with the accelerator's default grain, for kernels with cheap per-index work.</summary>
    /// <typeparam name="TKernel">The kernel type; a struct so the JIT specialises the launch.</typeparam>
    /// <param name="length">Size of the index space.</param>
    /// <param name="kernel">The kernel; copied once per launch.</param>
    public void LaunchChunked<TKernel>(int length, in TKernel kernel)
        where TKernel : struct, IRangeKernel, allows ref struct
        => LaunchChunked(length, 0, in kernel);

    /// <summary>Releases threads or device resources held by the accelerator.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Lets backends release their resources; called once by <see cref="Dispose()"/>.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }
}
