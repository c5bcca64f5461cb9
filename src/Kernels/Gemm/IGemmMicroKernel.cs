namespace Mtrl.Kernels;

/// <summary>
/// A register-blocked GEMM inner kernel: C[Rows×Columns] = alpha·Σ_p a_p b_pᵀ + beta·C over one
/// packed A micro-panel (Rows values per p) and one packed B micro-panel (Columns values per p).
/// Static abstract members let the blocked driver be specialised per instruction set by the JIT.
/// </summary>
internal unsafe interface IGemmMicroKernel
{
    /// <summary>Rows of the register tile (MR); A is packed in panels of this height.</summary>
    static abstract int Rows { get; }

    /// <summary>Columns of the register tile (NR); B is packed in panels of this width.</summary>
    static abstract int Columns { get; }

    /// <summary>Whether the kernel can run on this machine.</summary>
    static abstract bool IsSupported { get; }

    /// <summary>
    /// Whether the driver rounds each packed panel to bfloat16 pairs (<see cref="Bf16Pairs"/>)
    /// before the kernel reads it; the float32 kernels read the packed floats as they are.
    /// </summary>
    static virtual bool PacksBf16Pairs => false;

    /// <summary>Updates a full tile of C in place; beta = 0 must not read C (it may hold NaN).</summary>
    static abstract void Run(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta);
}
