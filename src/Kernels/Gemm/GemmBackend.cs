namespace Mtrl.Kernels;

/// <summary>
/// Which implementation runs a GEMM. Auto picks the faster one for the machine and shape (see
/// <see cref="Gemm.ResolvedAuto"/>); the explicit values exist so tests and benchmarks can cover
/// and compare both.
/// </summary>
public enum GemmBackend
{
    /// <summary>The measured-faster back end for this machine; the unpacked direct path for skinny shapes.</summary>
    Auto = 0,

    /// <summary>The managed SIMD kernel, always available.</summary>
    Managed = 1,

    /// <summary>OpenBLAS <c>cblas_sgemm</c>; throws if the library cannot be loaded.</summary>
    OpenBlas = 2,

    /// <summary>
    /// Opt-in reduced precision: op(A) and op(B) rounded to bfloat16 (8 significant bits) as they
    /// are packed, products accumulated in float32 by the AVX512_BF16 micro-kernel — about twice
    /// the arithmetic per instruction of float32. Products too small to gain from it (fewer than 16
    /// rows, skinny or at most 8 columns wide: acting over a few environments, Q-value heads) run
    /// in float32 as under <see cref="Auto"/>. Throws
    /// <see cref="System.PlatformNotSupportedException"/> saying what is missing (the CPU feature or
    /// the native kernel); <see cref="Gemm.Bfloat16Unavailable"/> asks first.
    /// </summary>
    Bfloat16 = 3,
}
