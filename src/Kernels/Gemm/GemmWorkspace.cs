using System;
using System.Runtime.CompilerServices;

namespace Mtrl.Kernels;

/// <summary>
/// Per-thread pack buffers for the managed GEMM. Thread-local, grown on demand and then reused,
/// so steady-state GEMM calls allocate nothing and threads never contend for a pool. Buffers live
/// on the pinned object heap (stable addresses for pointer code, still reclaimed by the GC when a
/// thread ends) and are handed out 64-byte aligned.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    private const int AlignmentFloats = 16;

    [ThreadStatic]
    private static GemmWorkspace? t_current;

    private float[]? _a;
    private float[]? _b;

    /// <summary>The calling thread's workspace.</summary>
    public static GemmWorkspace Current => t_current ??= new GemmWorkspace();

    /// <summary>Aligned room for at least <paramref name="floats"/> values of packed A.</summary>
    public float* PackA(int floats) => Ensure(ref _a, floats);

    /// <summary>Aligned room for at least <paramref name="floats"/> values of packed B.</summary>
    public float* PackB(int floats) => Ensure(ref _b, floats);

    private static float* Ensure(ref float[]? buffer, int floats)
    {
        if (buffer is null || buffer.Length < floats + AlignmentFloats)
        {
            buffer = GC.AllocateUninitializedArray<float>(floats + AlignmentFloats, pinned: true);
        }

        nuint address = (nuint)Unsafe.AsPointer(ref buffer[0]);
        nuint aligned = (address + (AlignmentFloats * sizeof(float) - 1)) & ~(nuint)(AlignmentFloats * sizeof(float) - 1);
        return (float*)aligned;
    }
}
