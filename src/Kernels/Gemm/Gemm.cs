using System;

namespace Mtrl.Kernels;

/// <summary>
/// Single-precision matrix multiply on row-major storage, C = alpha·op(A)·op(B) + beta·C, the
/// dense core of every layer's forward and backward pass. One entry point over two back ends
/// (OpenBLAS and a managed SIMD kernel) so layers never care which one runs.
/// </summary>
/// <remarks>
/// The managed back end uses a 12×32 AVX-512 micro-kernel where the CPU has AVX-512, a 6×16
/// AVX2/FMA one otherwise, and a scalar one without 256-bit SIMD; its results are bit-identical
/// for any accelerator thread count. op(A) is m×k, op(B) is k×n, C is m×n. Leading dimensions
/// are row strides in elements and may exceed the row width (sub-matrices of a larger buffer).
/// As in BLAS, beta = 0 overwrites C without reading it, so C may start uninitialised or hold
/// NaN. C must not overlap A, B, or an epilogue's bias or mask. <see cref="GemmBackend.Bfloat16"/>
/// is the one reduced-precision choice, never taken unless asked for.
/// </remarks>
public static unsafe class Gemm
{
    /// <summary>Computes C = alpha·op(A)·op(B) + beta·C.</summary>
    /// <param name="transA">Whether op(A) is A or Aᵀ.</param>
    /// <param name="transB">Whether op(B) is B or Bᵀ.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major: m×k (lda ≥ k) or, transposed, k×m (lda ≥ m).</param>
    /// <param name="lda">Row stride of A.</param>
    /// <param name="b">B, row-major: k×n (ldb ≥ n) or, transposed, n×k (ldb ≥ k).</param>
    /// <param name="ldb">Row stride of B.</param>
    /// <param name="beta">Scale of the existing C; 0 ignores its contents.</param>
    /// <param name="c">C, row-major m×n with ldc ≥ n.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="backend">Implementation to use; <see cref="GemmBackend.Auto"/> picks as <see cref="ResolvedAuto"/> explains.</param>
    /// <param name="accelerator">Threads for the managed back end; null uses <see cref="CpuAccelerator.Default"/>.
    /// OpenBLAS uses its own threads (see <see cref="OpenBlas.SetThreadCount"/>).</param>
    public static void Multiply(
        GemmTranspose transA, GemmTranspose transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc,
        GemmBackend backend = GemmBackend.Auto, Accelerator? accelerator = null)
        => Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, GemmEpilogue.None, backend, accelerator, ManagedGemmKernel.Auto);

    /// <summary>
    /// Computes C = e(alpha·op(A)·op(B) + beta·C) with an elementwise epilogue e (a bias, bias and
    /// ReLU, or a ReLU mask), which the managed kernel applies to each tile of C as it stores it.
    /// Parameters as in the overload without an epilogue; the epilogue's bias needs n values, its
    /// mask an m×n matrix.
    /// </summary>
    public static void Multiply(
        GemmTranspose transA, GemmTranspose transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc, GemmEpilogue epilogue,
        GemmBackend backend = GemmBackend.Auto, Accelerator? accelerator = null)
        => Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue, backend, accelerator, ManagedGemmKernel.Auto);

    /// <summary>
    /// The parameter gradients of an affine layer y = x·W + b from one pass over dy:
    /// dW += xᵀ·dy and db += Σ_rows dy. On the managed kernel the column sums are taken while dy is
    /// packed for the product, so dy (batch × outputs, often larger than L2) is read once instead of
    /// twice; every path gives the bits of <see cref="MatrixOps.ColumnSums"/> with accumulate.
    /// </summary>
    /// <param name="batch">Rows of x and dy.</param>
    /// <param name="inputs">Columns of x; rows of dW.</param>
    /// <param name="outputs">Columns of dy and dW; length of db.</param>
    /// <param name="x">The layer's input, batch × inputs row-major.</param>
    /// <param name="dy">The gradient at the layer's output, batch × outputs row-major.</param>
    /// <param name="weightGradient">dW, inputs × outputs row-major; accumulated.</param>
    /// <param name="biasGradient">db: its first outputs values are accumulated.</param>
    /// <param name="backend">Implementation to use.</param>
    /// <param name="accelerator">Threads for the managed back end; null uses <see cref="CpuAccelerator.Default"/>.</param>
    public static void AccumulateAffineGradients(
        int batch, int inputs, int outputs, ReadOnlySpan<float> x, ReadOnlySpan<float> dy,
        Span<float> weightGradient, Span<float> biasGradient,
        GemmBackend backend = GemmBackend.Auto, Accelerator? accelerator = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(inputs);
        ArgumentOutOfRangeException.ThrowIfNegative(outputs);
        CheckOperand(x.Length, batch, inputs, Math.Max(1, inputs), nameof(x), nameof(inputs));
        CheckOperand(dy.Length, batch, outputs, Math.Max(1, outputs), nameof(dy), nameof(outputs));
        CheckOperand(weightGradient.Length, inputs, outputs, Math.Max(1, outputs), nameof(weightGradient), nameof(outputs));
        if (biasGradient.Length < outputs)
        {
            throw new ArgumentException($"The bias gradient holds {biasGradient.Length} values; dy has {outputs} columns.", nameof(biasGradient));
        }

        Multiply(GemmTranspose.Transpose, GemmTranspose.None, inputs, outputs, batch, 1f, x, Math.Max(1, inputs), dy, Math.Max(1, outputs), 1f,
            weightGradient, Math.Max(1, outputs), GemmEpilogue.None, backend, accelerator, ManagedGemmKernel.Auto, biasGradient.Slice(0, outputs));
    }

    /// <summary>Non-transposed convenience overload with packed rows (lda = k, ldb = n, ldc = n), the common forward-pass case.</summary>
    /// <param name="m">Rows of A and C.</param>
    /// <param name="n">Columns of B and C.</param>
    /// <param name="k">Columns of A, rows of B.</param>
    /// <param name="a">A, m×k row-major.</param>
    /// <param name="b">B, k×n row-major.</param>
    /// <param name="c">C, m×n row-major; overwritten.</param>
    /// <param name="backend">Implementation to use.</param>
    public static void Multiply(int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, GemmBackend backend = GemmBackend.Auto)
        => Multiply(GemmTranspose.None, GemmTranspose.None, m, n, k, 1f, a, k, b, n, 0f, c, n, backend);

    /// <summary>
    /// The back end <see cref="GemmBackend.Auto"/> resolves to for regular shapes on this machine:
    /// the managed kernel where AVX-512 is available (it measured 1.3–1.6× OpenBLAS at RL sizes,
    /// see docs/benchmarks.md), otherwise OpenBLAS when it loads, otherwise the managed kernel.
    /// Skinny shapes (a batch of one) always take the unpacked direct path under Auto.
    /// </summary>
    public static GemmBackend ResolvedAuto =>
        Avx512MicroKernel.IsSupported || !OpenBlas.IsAvailable ? GemmBackend.Managed : GemmBackend.OpenBlas;

    /// <summary>
    /// Whether <see cref="Multiply(GemmTranspose, GemmTranspose, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, GemmBackend, Accelerator?)"/>
    /// with <paramref name="backend"/> computes an m-row product of depth k on the unpacked direct
    /// path (row axpys and dot products in a fixed order). Fused kernels that must reproduce its
    /// results bit for bit (the fused Adam update of a linear layer) ask this first. Under
    /// <see cref="GemmBackend.Bfloat16"/> this holds too: <see cref="UsesBfloat16"/> is false for
    /// every shape the direct path takes, so those products run in float32 on it.
    /// </summary>
    public static bool TakesDirectPath(int m, int k, GemmBackend backend) => backend != GemmBackend.OpenBlas && DirectGemm.Prefers(m, k);

    /// <summary>
    /// Fewest rows of C for which <see cref="GemmBackend.Bfloat16"/> rounds to bfloat16: op(B) is
    /// rounded once per product, which pays back only over enough rows (400×400 weights on Zen 4:
    /// 10 rows 76 µs BF16 vs 64 µs float32, 16 rows even, 32 rows 115 vs 131).
    /// </summary>
    internal const int Bfloat16MinRows = 16;

    /// <summary>
    /// Whether <see cref="GemmBackend.Bfloat16"/> runs this product with BF16 operands: packed
    /// shapes of at least <see cref="Bfloat16MinRows"/> rows. The rest — acting forwards over a few
    /// environments, skinny products (the direct path) and products with at most 8 columns (the
    /// narrow path) — would only be slower with BF16 and stay float32, exactly as under Auto.
    /// </summary>
    internal static bool UsesBfloat16(GemmTranspose transB, int m, int n, int k)
        => m >= Bfloat16MinRows && !DirectGemm.Prefers(m, k) && !NarrowGemm.Prefers(transB, m, n, k);

    /// <summary>Why <see cref="GemmBackend.Bfloat16"/> cannot run on this machine and build, as one sentence; null when it can.</summary>
    public static string? Bfloat16Unavailable => Bf16Native.Unavailable;

    /// <summary>Full entry point; <paramref name="managedKernel"/> lets tests force a managed micro-kernel.</summary>
    internal static void Multiply(
        GemmTranspose transA, GemmTranspose transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc, GemmEpilogue epilogue,
        GemmBackend backend, Accelerator? accelerator, ManagedGemmKernel managedKernel, Span<float> columnSumsOfB = default)
    {
        if (!columnSumsOfB.IsEmpty && (transB != GemmTranspose.None || columnSumsOfB.Length < n))
        {
            throw new ArgumentException("Column sums of B need op(B) = B and n values.", nameof(columnSumsOfB));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        int aRows = transA == GemmTranspose.None ? m : k;
        int aCols = transA == GemmTranspose.None ? k : m;
        int bRows = transB == GemmTranspose.None ? k : n;
        int bCols = transB == GemmTranspose.None ? n : k;
        CheckOperand(a.Length, aRows, aCols, lda, nameof(a), nameof(lda));
        CheckOperand(b.Length, bRows, bCols, ldb, nameof(b), nameof(ldb));
        CheckOperand(c.Length, m, n, ldc, nameof(c), nameof(ldc));
        epilogue.Validate(m, n);
        if (backend == GemmBackend.Bfloat16)
        {
            if (Bf16Native.Unavailable is { } reason)
            {
                throw new PlatformNotSupportedException(reason);
            }

            if (!UsesBfloat16(transB, m, n, k))
            {
                backend = GemmBackend.Auto;
            }
        }

        if (backend == GemmBackend.Auto)
        {
            backend = DirectGemm.Prefers(m, k) ? GemmBackend.Managed : ResolvedAuto;
        }

        if (m == 0 || n == 0)
        {
            // No C, but B still has k rows whose column sums were asked for.
            fixed (float* pb = b)
            fixed (float* sums = columnSumsOfB)
            {
                AddColumnSums(pb, ldb, k, n, sums);
            }

            return;
        }

        fixed (float* pe = epilogue.Values)
        fixed (float* sums = columnSumsOfB)
        {
            switch (epilogue.Kind)
            {
                case GemmEpilogueKind.AddBias:
                    Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, new BiasEpilogue<IdentityOperator>(pe), backend, accelerator, managedKernel, sums);
                    break;
                case GemmEpilogueKind.AddBiasRelu:
                    Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, new BiasEpilogue<ReluOperator>(pe), backend, accelerator, managedKernel, sums);
                    break;
                case GemmEpilogueKind.ReluMask:
                    Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, new ActivationGradientEpilogue<ReluGradientOperator>(pe, epilogue.Stride), backend, accelerator, managedKernel, sums);
                    break;
                default:
                    Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, default(NoEpilogue), backend, accelerator, managedKernel, sums);
                    break;
            }
        }
    }

    /// <summary>sums[j] += B[p, j] row after row (the order of <see cref="MatrixOps.ColumnSums"/>), for paths that do not pack B; no-op without sums.</summary>
    private static void AddColumnSums(float* b, int ldb, int k, int n, float* sums)
    {
        if (sums == null)
        {
            return;
        }

        var total = new Span<float>(sums, n);
        for (int p = 0; p < k; p++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(total, new ReadOnlySpan<float>(b + ((nint)p * ldb), n), total);
        }
    }

    /// <summary>The product on checked operands, specialised per epilogue; paths without a tile epilogue apply it in one pass after.</summary>
    private static void Multiply<TEpilogue>(
        GemmTranspose transA, GemmTranspose transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc, TEpilogue epilogue,
        GemmBackend backend, Accelerator? accelerator, ManagedGemmKernel managedKernel, float* columnSumsOfB)
        where TEpilogue : struct, IGemmEpilogue
    {
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            bool managedPacked = false;
            if (k == 0 || alpha == 0f)
            {
                ScaleC(m, n, beta, c, ldc);
            }
            else if (backend == GemmBackend.OpenBlas)
            {
                OpenBlas.Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            }
            else if (backend == GemmBackend.Bfloat16)
            {
                ManagedGemm.Run(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, epilogue,
                    accelerator ?? CpuAccelerator.Default, ManagedGemmKernel.Bfloat16, columnSumsOfB);
                managedPacked = true;
            }
            else if (managedKernel == ManagedGemmKernel.Direct || (managedKernel == ManagedGemmKernel.Auto && DirectGemm.Prefers(m, k)))
            {
                DirectGemm.Run(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            }
            else if (managedKernel == ManagedGemmKernel.Auto && NarrowGemm.Prefers(transB, m, n, k))
            {
                NarrowGemm.Run(transA, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, accelerator ?? CpuAccelerator.Default);
            }
            else
            {
                // The packed kernel applies the epilogue per tile and sums B's columns while packing it.
                ManagedGemm.Run(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, epilogue,
                    accelerator ?? CpuAccelerator.Default, managedKernel, columnSumsOfB);
                managedPacked = true;
            }

            if (!managedPacked)
            {
                epilogue.Apply(pc, ldc, 0, 0, m, n);
                AddColumnSums(pb, ldb, k, n, columnSumsOfB);
            }
        }
    }

    private static void CheckOperand(int length, int rows, int cols, int ld, string name, string ldName)
    {
        if (ld < Math.Max(1, cols))
        {
            throw new ArgumentOutOfRangeException(ldName, ld, $"Leading dimension must be at least max(1, {cols}).");
        }

        if (rows > 0 && cols > 0 && length < (long)(rows - 1) * ld + cols)
        {
            throw new ArgumentException($"Span of length {length} is too short for a {rows}×{cols} matrix with row stride {ld}.", name);
        }
    }

    /// <summary>C = beta·C over the m×n window; beta = 0 writes zeros (never 0·NaN).</summary>
    private static void ScaleC(int m, int n, float beta, Span<float> c, int ldc)
    {
        if (beta == 1f)
        {
            return;
        }

        for (int i = 0; i < m; i++)
        {
            Span<float> row = c.Slice(i * ldc, n);
            if (beta == 0f)
            {
                row.Clear();
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }
}
