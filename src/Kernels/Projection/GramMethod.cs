namespace Mtrl.Kernels;

/// <summary>
/// How <see cref="GradientGram"/> computes the T×T Gram matrix of the task gradients. Both give
/// the same matrix up to float32 rounding; the choice exists because the shape (T tiny, P huge)
/// is a poor fit for a general GEMM, so the default is a dedicated kernel.
/// </summary>
public enum GramMethod
{
    /// <summary>
    /// A dedicated kernel: fixed blocks of P, float32 SIMD dot products per block, block sums
    /// added in float64 in block order. Reads the gradients once, runs on the accelerator and is
    /// bit-identical for any thread count.
    /// </summary>
    Blocked = 0,

    /// <summary>
    /// One <see cref="Gemm.Multiply(GemmTranspose, GemmTranspose, int, int, int, float, System.ReadOnlySpan{float}, int, System.ReadOnlySpan{float}, int, float, System.Span{float}, int, GemmBackend, Accelerator?)"/>
    /// call, G = g·gᵀ with transB (the textbook formulation). Uses OpenBLAS when it loads (whose
    /// rounding can change with its own thread count), otherwise the managed GEMM.
    /// </summary>
    Gemm = 1,
}
