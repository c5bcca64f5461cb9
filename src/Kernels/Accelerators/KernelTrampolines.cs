using System.Runtime.CompilerServices;

namespace Mtrl.Kernels;

/// <summary>
/// Static, generic entry points that run one chunk of a launch. A function pointer to one of
/// these is the only thing a worker thread needs, so a launch publishes (pointer, kernel address)
/// instead of allocating a closure or delegate.
/// </summary>
/// <remarks>
/// The trampolines are compiled fully optimised on first use (AggressiveOptimization), with the
/// kernel's Execute inlined. Left to tiered compilation, the profile-guided recompilation of a
/// trampoline with a GEMM task inlined was measured to run the parallel GEMM at a third of its speed.
/// </remarks>
internal static unsafe class KernelTrampolines
{
    /// <summary>Runs a 1-D kernel over [start, end).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run1D<TKernel>(void* kernel, int start, int end)
        where TKernel : struct, IKernel1D, allows ref struct
    {
        // A local copy lets the JIT keep the kernel's fields in registers.
        TKernel local = Unsafe.AsRef<TKernel>(kernel);
        for (int i = start; i < end; i++)
        {
            local.Execute(i);
        }
    }

    /// <summary>Runs a 2-D kernel over the flattened cells [start, end) of its grid.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run2D<TKernel>(void* grid, int start, int end)
        where TKernel : struct, IKernel2D, allows ref struct
    {
        ref Grid2D<TKernel> g = ref Unsafe.AsRef<Grid2D<TKernel>>(grid);
        TKernel local = g.Kernel;
        int columns = g.Columns;
        int i = start / columns;
        int j = start - i * columns;
        for (int flat = start; flat < end; flat++)
        {
            local.Execute(i, j);
            if (++j == columns)
            {
                j = 0;
                i++;
            }
        }
    }

    /// <summary>Runs a range kernel on one chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunRange<TKernel>(void* kernel, int start, int end)
        where TKernel : struct, IRangeKernel, allows ref struct
    {
        TKernel local = Unsafe.AsRef<TKernel>(kernel);
        local.Execute(start, end);
    }
}

/// <summary>A 2-D kernel together with the grid width, so a flat chunk can be mapped back to (i, j).</summary>
internal ref struct Grid2D<TKernel>
    where TKernel : struct, IKernel2D, allows ref struct
{
    public TKernel Kernel;
    public int Columns;
}
