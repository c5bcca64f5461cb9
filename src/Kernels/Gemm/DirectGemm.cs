using System;
using System.Numerics.Tensors;

namespace Mtrl.Kernels;

/// <summary>
/// GEMM without packing, for skinny shapes: few rows of C (a batch of one: the forward pass and
/// input gradient are vector–matrix products) or a short inner dimension (the weight gradient of
/// a batch of one is an outer product). There, packing the weight matrix would cost as much as
/// the product, so rows of C are built directly with SIMD axpy and dot products. Single-threaded
/// and deterministic; correct for every shape (tests force it on all of them).
/// </summary>
internal static unsafe class DirectGemm
{
    /// <summary>Rows of C or depth at or below which the direct path beats packing.</summary>
    public const int SkinnyLimit = 4;

    [ThreadStatic] private static float[]? s_buffer;

    /// <summary>True for shapes this path should take when the caller lets the library choose.</summary>
    public static bool Prefers(int m, int k) => m <= SkinnyLimit || k <= SkinnyLimit;

    /// <summary>C = alpha·op(A)·op(B) + beta·C (beta = 0 overwrites C without reading it).</summary>
    public static void Run(
        GemmTranspose transA, GemmTranspose transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (transB == GemmTranspose.Transpose && m <= k)
        {
            RunDots(transA, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
        else
        {
            RunAxpys(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
    }

    /// <summary>c[r, j] = beta·c[r, j] + alpha·⟨op(A) row r, B row j⟩ (op(B) = Bᵀ, so B's rows are op(B)'s columns).</summary>
    private static void RunDots(GemmTranspose transA, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        var row = Buffer(k);
        for (var r = 0; r < m; r++)
        {
            ReadOnlySpan<float> aRow = RowOfOpA(transA, r, k, a, lda, row);
            var cRow = new Span<float>(c + (long)r * ldc, n);
            for (var j = 0; j < n; j++)
            {
                var dot = alpha * TensorPrimitives.Dot(aRow, new ReadOnlySpan<float>(b + (long)j * ldb, k));
                cRow[j] = beta == 0f ? dot : beta * cRow[j] + dot;
            }
        }
    }

    /// <summary>c_r = beta·c_r + Σ_p (alpha·op(A)[r, p])·op(B) row p, skipping zero coefficients (ReLU zeros cost nothing).</summary>
    private static void RunAxpys(GemmTranspose transA, GemmTranspose transB, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        // op(B)'s rows are B's rows, or (transposed, short k) gathered once into a k×n block.
        float* rows = b;
        var rowStride = ldb;
        float[]? gathered = null;
        if (transB == GemmTranspose.Transpose)
        {
            gathered = Buffer(k * n);
            for (var p = 0; p < k; p++)
            {
                for (var j = 0; j < n; j++) gathered[p * n + j] = b[(long)j * ldb + p];
            }
            rowStride = n;
        }
        fixed (float* gatheredRows = gathered)
        {
            if (gathered is not null) rows = gatheredRows;
            for (var r = 0; r < m; r++)
            {
                var cRow = new Span<float>(c + (long)r * ldc, n);
                if (beta == 0f) cRow.Clear();
                else if (beta != 1f) TensorPrimitives.Multiply(cRow, beta, cRow);
                for (var p = 0; p < k; p++)
                {
                    var coefficient = alpha * (transA == GemmTranspose.None ? a[(long)r * lda + p] : a[(long)p * lda + r]);
                    if (coefficient == 0f) continue;
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(rows + (long)p * rowStride, n), coefficient, cRow, cRow);
                }
            }
        }
    }

    private static ReadOnlySpan<float> RowOfOpA(GemmTranspose transA, int r, int k, float* a, int lda, float[] scratch)
    {
        if (transA == GemmTranspose.None) return new ReadOnlySpan<float>(a + (long)r * lda, k);
        for (var p = 0; p < k; p++) scratch[p] = a[(long)p * lda + r];
        return scratch.AsSpan(0, k);
    }

    private static float[] Buffer(int length)
    {
        var buffer = s_buffer;
        if (buffer is null || buffer.Length < length)
        {
            buffer = new float[Math.Max(length, 1024)];
            s_buffer = buffer;
        }
        return buffer;
    }
}
