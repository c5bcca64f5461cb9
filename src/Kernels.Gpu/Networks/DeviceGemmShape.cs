namespace Mtrl.Kernels.Gpu.Networks;

/// <summary>
/// The scalars of one device GEMM launch, C = e(alpha·op(A)·op(B) + beta·C), in one struct so the
/// kernel's parameter list stays short; <see cref="Tile"/> is the edge of the square thread group. Transposes and the epilogue kind are ints (0 / 1 and
/// <see cref="GemmEpilogueKind"/>'s values) because kernels take blittable scalars.
/// </summary>
internal readonly record struct DeviceGemmShape(
    int M, int N, int K, int Lda, int Ldb, int Ldc, int TransposeA, int TransposeB,
    float Alpha, float Beta, int Epilogue, int MaskStride, int Tile);
