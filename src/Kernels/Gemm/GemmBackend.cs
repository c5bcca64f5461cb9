namespace Mtrl.Kernels;

/// <summary>
/// Which implementation runs a GEMM. Auto picks OpenBLAS when the native library loads; the
/// explicit values exist so tests and benchmarks can cover and compare both.
/// </summary>
public enum GemmBackend
{
    /// <summary>OpenBLAS when available, otherwise the managed kernel.</summary>
    Auto = 0,

    /// <summary>The managed SIMD kernel, always available.</summary>
    Managed = 1,

    /// <summary>OpenBLAS <c>cblas_sgemm</c>; throws if the library cannot be loaded.</summary>
    OpenBlas = 2,
}
