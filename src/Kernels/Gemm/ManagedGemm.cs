using System;
using System.Runtime.CompilerServices;

namespace Mtrl.Kernels;

/// <summary>Which managed micro-kernel to use; tests force each one so every path is covered on one machine.</summary>
internal enum ManagedGemmKernel
{
    /// <summary>The fastest kernel the machine supports.</summary>
    Auto,

    /// <summary>12×32 on 512-bit vectors (AVX-512F).</summary>
    Vector512,

    /// <summary>6×16 on 256-bit vectors.</summary>
    Vector256,

    /// <summary>4×4 scalar fallback.</summary>
    Scalar,

    /// <summary>No packing: <see cref="DirectGemm"/>, chosen automatically for skinny shapes.</summary>
    Direct,

    /// <summary>12×32 BF16 products with float32 accumulation (<see cref="GemmBackend.Bfloat16"/>); never chosen by Auto.</summary>
    Bfloat16,
}

/// <summary>
/// Managed single-precision GEMM in the Goto/BLIS style: op(B) is packed once per column block
/// into kc-deep micro-panels that stay in L1 while packed mc-row blocks of op(A) stream from L2
/// through a register-blocked micro-kernel. Large problems split the rows (and, when rows are few,
/// the columns) of C into tasks run in a single accelerator launch; tasks write disjoint tiles of C
/// in the same order as a sequential run, so the result is bit-identical for any thread count.
/// </summary>
internal static unsafe class ManagedGemm
{
    /// <summary>
    /// Deepest packed slice. A 32-column B micro-panel is then 64 KiB, beyond L1, but streams
    /// well from L2, and C tiles are read and written half as often as at 256: measured 3–6 % faster
    /// at batch 1280 (k = 400 in one slice), neutral at 128. Deeper products are cut into equal
    /// slices (<see cref="SliceDepth"/>).
    /// </summary>
    internal const int DepthBlock = 512;

    /// <summary>Rows of a packed A block (a multiple of every kernel's MR: 4, 6, 12): 144×512 floats = 288 KiB, inside L2.</summary>
    internal const int RowBlock = 144;

    /// <summary>Most columns of a packed B block (a multiple of every kernel's NR: 4, 16, 32).</summary>
    internal const int ColumnBlock = 4096;

    /// <summary>Largest packed B (floats, 8 MiB): deep problems get narrower column blocks instead of a larger buffer.</summary>
    internal const int PackedBBudget = 1 << 21;

    /// <summary>Below this many flops a launch's wake-up latency outweighs the gain from a second core.</summary>
    internal const double ParallelFlopThreshold = 4e6;

    /// <summary>Whether <paramref name="kernel"/> can run on this machine.</summary>
    public static bool IsSupported(ManagedGemmKernel kernel) => kernel switch
    {
        ManagedGemmKernel.Vector512 => Avx512MicroKernel.IsSupported,
        ManagedGemmKernel.Vector256 => Avx2MicroKernel.IsSupported,
        ManagedGemmKernel.Bfloat16 => Bf16MicroKernel.IsSupported,
        _ => true,
    };

    /// <summary>The kernel <see cref="ManagedGemmKernel.Auto"/> stands for on this machine.</summary>
    public static ManagedGemmKernel Best =>
        Avx512MicroKernel.IsSupported ? ManagedGemmKernel.Vector512
        : Avx2MicroKernel.IsSupported ? ManagedGemmKernel.Vector256
        : ManagedGemmKernel.Scalar;

    /// <summary>
    /// Depth of each packed slice for a product of depth k: at most <see cref="DepthBlock"/>, the
    /// slices as equal as a multiple of 8 allows (k = 1280: 432 + 432 + 416 rather than
    /// 512 + 512 + 256, where the short last slice pays a full C update and A packing for half the
    /// flops; measured neutral to slightly faster).
    /// </summary>
    internal static int SliceDepth(int k)
    {
        int slices = (k + DepthBlock - 1) / DepthBlock;
        return Math.Min(DepthBlock, RoundUp((k + slices - 1) / slices, 8));
    }

    /// <summary>Runs C = alpha·op(A)·op(B) + beta·C on validated pointers with k ≥ 1 and alpha ≠ 0.</summary>
    public static void Run(
        GemmTranspose transA, GemmTranspose transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc,
        Accelerator accelerator, ManagedGemmKernel kernel = ManagedGemmKernel.Auto)
        => Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, default(NoEpilogue), accelerator, kernel);

    /// <summary>
    /// Runs C = e(alpha·op(A)·op(B) + beta·C), the epilogue applied to each tile as its last depth
    /// slice is stored. With <paramref name="columnSumsOfB"/> (op(B) = B only), also adds every
    /// row of B to it while B is packed, with the bits of <see cref="MatrixOps.ColumnSums"/>.
    /// </summary>
    public static void Run<TEpilogue>(
        GemmTranspose transA, GemmTranspose transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc,
        TEpilogue epilogue, Accelerator accelerator, ManagedGemmKernel kernel = ManagedGemmKernel.Auto, float* columnSumsOfB = null)
        where TEpilogue : struct, IGemmEpilogue
    {
        if (columnSumsOfB != null && transB != GemmTranspose.None)
        {
            throw new ArgumentException("Column sums are taken while packing B, which needs op(B) = B.", nameof(transB));
        }

        if (!IsSupported(kernel))
        {
            throw new PlatformNotSupportedException(kernel == ManagedGemmKernel.Bfloat16
                ? Bf16Native.Unavailable
                : $"The {kernel} GEMM micro-kernel needs instructions this CPU lacks.");
        }

        switch (kernel == ManagedGemmKernel.Auto ? Best : kernel)
        {
            case ManagedGemmKernel.Vector512:
                Run<Avx512MicroKernel, TEpilogue>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue, accelerator, columnSumsOfB);
                break;
            case ManagedGemmKernel.Bfloat16:
                Run<Bf16MicroKernel, TEpilogue>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue, accelerator, columnSumsOfB);
                break;
            case ManagedGemmKernel.Vector256:
                Run<Avx2MicroKernel, TEpilogue>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue, accelerator, columnSumsOfB);
                break;
            default:
                Run<ScalarMicroKernel, TEpilogue>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue, accelerator, columnSumsOfB);
                break;
        }
    }

    private static void Run<TKernel, TEpilogue>(
        GemmTranspose transA, GemmTranspose transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc,
        TEpilogue epilogue, Accelerator accelerator, float* columnSumsOfB)
        where TKernel : struct, IGemmMicroKernel
        where TEpilogue : struct, IGemmEpilogue
    {
        int nr = TKernel.Columns;
        int threads = 2.0 * m * n * k >= ParallelFlopThreshold ? accelerator.DegreeOfParallelism : 1;
        int columnBlock = Math.Min(ColumnBlock, Math.Max(nr, PackedBBudget / k / nr * nr));
        int depth = SliceDepth(k);
        int depthBlocks = (k + depth - 1) / depth;
        float* packedB = GemmWorkspace.Current.PackB(k * Math.Min(columnBlock, RoundUp(n, nr)));

        for (int jc = 0; jc < n; jc += columnBlock)
        {
            int nb = Math.Min(columnBlock, n - jc);
            int panels = (nb + nr - 1) / nr;
            var packB = new PackBKernel(transB, b, ldb, jc, nb, k, depth, nr, panels, packedB,
                columnSumsOfB == null ? null : columnSumsOfB + jc, TKernel.PacksBf16Pairs);
            // Summing packs each panel's whole depth in one item, so every column's sum runs in row order.
            int packItems = columnSumsOfB == null ? depthBlocks * panels : panels;
            var tasks = new TaskKernel<TKernel, TEpilogue>(transA, a, lda, c, ldc, m, k, depth, nb, jc, alpha, beta, packedB, epilogue, threads);
            if (threads == 1)
            {
                packB.Execute(0, packItems);
                tasks.Execute(0, tasks.Count);
            }
            else
            {
                accelerator.LaunchChunked(packItems, columnSumsOfB == null ? 16 : 1, in packB);
                accelerator.LaunchChunked(tasks.Count, 1, in tasks);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>
    /// Packs the whole depth of one column block: item i is micro-panel i % panels of depth slice
    /// i / panels. Slice p0 starts at packedB + p0·(panels·nr), panel q at + q·nr·kb within it.
    /// With column sums, item i is micro-panel i over every depth slice in order (the sums read the
    /// float32 values). With <paramref name="bf16Pairs"/> each packed panel is then rounded in place
    /// to bfloat16 pairs; a panel keeps its float32 offset and uses the first half of its room.
    /// </summary>
    private readonly struct PackBKernel(
        GemmTranspose trans, float* b, int ldb, int col0, int cols, int k, int depth, int nr, int panels, float* packedB,
        float* columnSums, bool bf16Pairs) : IRangeKernel
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int start, int end)
        {
            if (columnSums != null)
            {
                for (int panel = start; panel < end; panel++)
                {
                    for (int p0 = 0; p0 < k; p0 += depth)
                    {
                        int kb = Math.Min(depth, k - p0);
                        float* packed = packedB + ((nint)p0 * panels * nr);
                        GemmPacking.PackB(trans, b, ldb, col0, cols, p0, kb, nr, panel, panel + 1, packed, columnSums);
                        ToPairs(packed, kb, panel, panel + 1);
                    }
                }

                return;
            }

            int item = start;
            while (item < end)
            {
                int slice = item / panels;
                int first = item - (slice * panels);
                int last = Math.Min(panels, first + (end - item));
                int p0 = slice * depth;
                int kb = Math.Min(depth, k - p0);
                float* packed = packedB + ((nint)p0 * panels * nr);
                GemmPacking.PackB(trans, b, ldb, col0, cols, p0, kb, nr, first, last, packed);
                ToPairs(packed, kb, first, last);
                item += last - first;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void ToPairs(float* packed, int kb, int first, int last)
        {
            if (!bf16Pairs)
            {
                return;
            }

            for (int panel = first; panel < last; panel++)
            {
                Bf16Pairs.ConvertPanel(packed + ((nint)panel * nr * kb), kb, nr);
            }
        }
    }

    /// <summary>
    /// One task = a rectangle of C (a range of MR-row panels × a range of NR-column panels of the
    /// current column block). For each mc-row block and each depth slice in order it packs that
    /// part of A into its thread's buffer and runs the micro-kernel over the rectangle's tiles;
    /// beta is applied with the first slice, later slices accumulate, and the epilogue is applied
    /// to each tile right after the last slice stores it.
    /// </summary>
    private readonly struct TaskKernel<TKernel, TEpilogue> : IRangeKernel
        where TKernel : struct, IGemmMicroKernel
        where TEpilogue : struct, IGemmEpilogue
    {
        private readonly GemmTranspose _transA;
        private readonly float* _a;
        private readonly int _lda;
        private readonly float* _c;
        private readonly int _ldc;
        private readonly int _m;
        private readonly int _k;
        private readonly int _depth;
        private readonly int _nb;
        private readonly int _jc;
        private readonly float _alpha;
        private readonly float _beta;
        private readonly float* _packedB;
        private readonly int _rowSlices;
        private readonly int _columnSlices;
        private readonly TEpilogue _epilogue;

        public TaskKernel(
            GemmTranspose transA, float* a, int lda, float* c, int ldc, int m, int k, int depth, int nb, int jc,
            float alpha, float beta, float* packedB, TEpilogue epilogue, int threads)
        {
            _transA = transA;
            _a = a;
            _lda = lda;
            _c = c;
            _ldc = ldc;
            _m = m;
            _k = k;
            _depth = depth;
            _nb = nb;
            _jc = jc;
            _alpha = alpha;
            _beta = beta;
            _packedB = packedB;
            _epilogue = epilogue;

            // Two tasks per thread absorb uneven progress; rows first (A is packed per task, so a
            // column split repeats that packing), columns only when there are too few row panels.
            int rowPanels = (m + TKernel.Rows - 1) / TKernel.Rows;
            int columnPanels = (nb + TKernel.Columns - 1) / TKernel.Columns;
            int target = threads == 1 ? 1 : 2 * threads;
            _rowSlices = Math.Min(rowPanels, target);
            _columnSlices = Math.Max(1, Math.Min(columnPanels, target / _rowSlices));
        }

        public int Count => _rowSlices * _columnSlices;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int start, int end)
        {
            int mr = TKernel.Rows;
            int nr = TKernel.Columns;
            int rowPanels = (_m + mr - 1) / mr;
            int columnPanels = (_nb + nr - 1) / nr;
            float* packedA = GemmWorkspace.Current.PackA(RowBlock * DepthBlock);
            for (int task = start; task < end; task++)
            {
                int rs = task / _columnSlices;
                int cs = task - (rs * _columnSlices);
                int rowStart = rs * rowPanels / _rowSlices * mr;
                int rowEnd = Math.Min(_m, (rs + 1) * rowPanels / _rowSlices * mr);
                int colStart = cs * columnPanels / _columnSlices * nr;
                int colEnd = Math.Min(_nb, (cs + 1) * columnPanels / _columnSlices * nr);
                for (int ic = rowStart; ic < rowEnd; ic += RowBlock)
                {
                    int mcb = Math.Min(RowBlock, rowEnd - ic);
                    for (int pc = 0; pc < _k; pc += _depth)
                    {
                        int kb = Math.Min(_depth, _k - pc);
                        GemmPacking.PackA(_transA, _a, _lda, ic, mcb, pc, kb, mr, packedA);
                        if (TKernel.PacksBf16Pairs)
                        {
                            for (int ir = 0; ir < mcb; ir += mr)
                            {
                                Bf16Pairs.ConvertPanel(packedA + ((nint)ir * kb), kb, mr);
                            }
                        }

                        float* packedBSlice = _packedB + ((nint)pc * columnPanels * nr);
                        bool last = pc + kb == _k;
                        Multiply(packedA, packedBSlice, kb, pc == 0 ? _beta : 1f, last && !TEpilogue.IsIdentity, ic, mcb, colStart, colEnd);
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Multiply(float* packedA, float* packedB, int kb, float beta, bool finish, int ic, int mcb, int colStart, int colEnd)
        {
            int mr = TKernel.Rows;
            int nr = TKernel.Columns;
            for (int jr = colStart; jr < colEnd; jr += nr)
            {
                int nValid = Math.Min(nr, _nb - jr);
                float* bPanel = packedB + ((nint)jr * kb);
                for (int ir = 0; ir < mcb; ir += mr)
                {
                    int mValid = Math.Min(mr, mcb - ir);
                    float* aPanel = packedA + ((nint)ir * kb);
                    float* cTile = _c + ((nint)(ic + ir) * _ldc) + _jc + jr;
                    // The tile's C rows (and the epilogue's mask rows) come from L3 when the product
                    // follows other layers' work; loads issued now arrive while the tile computes,
                    // instead of stalling its final update: measured 5 % of a batch-1280 MLP step.
                    CachePrefetch.Block(cTile, _ldc, mValid, nValid);
                    if (finish)
                    {
                        _epilogue.Prefetch(ic + ir, _jc + jr, mValid, nValid);
                    }

                    if (mValid == mr && nValid == nr)
                    {
                        TKernel.Run(kb, aPanel, bPanel, cTile, _ldc, _alpha, beta);
                    }
                    else if (typeof(TKernel) == typeof(Avx512MicroKernel) && mValid == mr && nValid == 16)
                    {
                        Avx512MicroKernel.RunHalf(kb, aPanel, bPanel, cTile, _ldc, _alpha, beta);
                    }
                    else if (typeof(TKernel) == typeof(Bf16MicroKernel) && mValid == mr && nValid == 16)
                    {
                        Bf16MicroKernel.RunHalf(kb, aPanel, bPanel, cTile, _ldc, _alpha, beta);
                    }
                    else
                    {
                        EdgeTile(kb, aPanel, bPanel, cTile, beta, mValid, nValid);
                    }

                    if (finish)
                    {
                        _epilogue.Apply(cTile, _ldc, ic + ir, _jc + jr, mValid, nValid);
                    }
                }
            }
        }

        /// <summary>
        /// A tile clipped by the edge of C: compute it aside, then update only its valid part. When
        /// the valid columns fit the left half of an AVX-512 tile (a Q head's 40 actions leave 8),
        /// only that half is computed: half the work, and the same bits (<see cref="Avx512MicroKernel.RunHalf"/>).
        /// </summary>
        [SkipLocalsInit]
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void EdgeTile(int kb, float* aPanel, float* bPanel, float* cTile, float beta, int mValid, int nValid)
        {
            bool halves = typeof(TKernel) == typeof(Avx512MicroKernel) || typeof(TKernel) == typeof(Bf16MicroKernel);
            bool half = halves && nValid <= TKernel.Columns / 2;
            int width = half ? TKernel.Columns / 2 : TKernel.Columns;
            float* tile = stackalloc float[TKernel.Rows * TKernel.Columns];
            if (half && typeof(TKernel) == typeof(Bf16MicroKernel))
            {
                Bf16MicroKernel.RunHalf(kb, aPanel, bPanel, tile, width, 1f, 0f);
            }
            else if (half)
            {
                Avx512MicroKernel.RunHalf(kb, aPanel, bPanel, tile, width, 1f, 0f);
            }
            else
            {
                TKernel.Run(kb, aPanel, bPanel, tile, width, 1f, 0f);
            }

            for (int r = 0; r < mValid; r++)
            {
                float* cRow = cTile + ((nint)r * _ldc);
                float* tRow = tile + (r * width);
                if (beta == 0f)
                {
                    for (int j = 0; j < nValid; j++)
                    {
                        cRow[j] = _alpha * tRow[j];
                    }
                }
                else
                {
                    for (int j = 0; j < nValid; j++)
                    {
                        cRow[j] = (_alpha * tRow[j]) + (beta * cRow[j]);
                    }
                }
            }
        }
    }
}
