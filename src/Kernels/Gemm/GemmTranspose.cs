namespace Mtrl.Kernels;

/// <summary>
/// Whether GEMM reads an operand as stored or transposed. Backward passes need every combination
/// (dX = dY·Wᵀ, dW = Xᵀ·dY), and transposing inside the packing step is free compared with
/// materialising a transposed copy.
/// </summary>
public enum GemmTranspose
{
    /// <summary>Use the operand as stored.</summary>
    None = 0,

    /// <summary>Use the transpose of the stored operand.</summary>
    Transpose = 1,
}
