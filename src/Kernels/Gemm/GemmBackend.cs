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
}
