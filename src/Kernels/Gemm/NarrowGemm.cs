using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mtrl.Kernels;

/// <summary>
/// GEMM for products with at most <see cref="MaxColumns"/> columns of C and op(B) = B — a value or
/// Q head's forward pass (batch × 400 times 400 × 8) and its weight gradient (Xᵀ·dY, 400 × batch
/// times batch × 8). The packed kernels waste most of a 32-wide tile there and pack the whole
/// activation for it (measured 21–26 GFLOP/s at batch 1280); these loops keep the narrow side in
/// registers instead:
/// <list type="bullet">
/// <item>op(A) = A (C = A·B): two rows of A at a time against the gathered columns of B (Bᵀ, zero
/// padded to 8), 16 dot-product accumulators, reduced once per element.</item>
/// <item>op(A) = Aᵀ (C = Aᵀ·B): 48 (then 16) columns of A at a time, each row p of A scaled by the
/// 8 values of B's row p, 24 accumulators; the tile is transposed into C at the end.</item>
/// </list>
/// Every element of C is summed in a fixed order that depends only on the shape, and threads split
/// only rows of C, so results are bit-identical for any thread count. Needs 512-bit vectors.
/// </summary>
internal static unsafe class NarrowGemm
{
    /// <summary>Widest C this path takes.</summary>
    public const int MaxColumns = 8;

    /// <summary>Below this many flops the work stays on the calling thread.</summary>
    private const double ParallelFlopThreshold = 4e6;

    /// <summary>True for shapes this path should take when the caller lets the library choose.</summary>
    public static bool Prefers(GemmTranspose transB, int m, int n, int k) =>
        Vector512.IsHardwareAccelerated && transB == GemmTranspose.None && n <= MaxColumns && m >= 16 && k >= 16;

    /// <summary>C = alpha·op(A)·B + beta·C (beta = 0 overwrites C without reading it).</summary>
    public static void Run(GemmTranspose transA, int m, int n, int k, float alpha, float* a, int lda, float* b, int ldb,
        float beta, float* c, int ldc, Accelerator accelerator)
    {
        var threads = 2.0 * m * n * k >= ParallelFlopThreshold ? accelerator.DegreeOfParallelism : 1;
        // The calling thread's packing workspace: this path runs instead of the managed GEMM, never inside it.
        var packed = GemmWorkspace.Current.PackB(MaxColumns * k);
        if (transA == GemmTranspose.None)
        {
            // Bᵀ, rows j ≥ n zero: packed[j·k + p] = B[p, j].
            new Span<float>(packed, MaxColumns * k).Clear();
            for (var p = 0; p < k; p++)
            {
                for (var j = 0; j < n; j++) packed[(nint)j * k + p] = b[(nint)p * ldb + j];
            }
            var rows = new RowsKernel(a, lda, packed, k, m, n, alpha, beta, c, ldc);
            var pairs = (m + 1) / 2;
            if (threads > 1) accelerator.LaunchChunked(pairs, 32, in rows);
            else rows.Execute(0, pairs);
        }
        else
        {
            // B with rows padded to 8 values: packed[p·8 + j] = B[p, j].
            for (var p = 0; p < k; p++)
            {
                for (var j = 0; j < MaxColumns; j++) packed[(nint)p * MaxColumns + j] = j < n ? b[(nint)p * ldb + j] : 0f;
            }
            var columns = new ColumnsKernel(a, lda, packed, k, m, n, alpha, beta, c, ldc);
            var blocks = (m + ColumnsKernel.Block - 1) / ColumnsKernel.Block;
            if (threads > 1) accelerator.LaunchChunked(blocks, 1, in columns);
            else columns.Execute(0, blocks);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, float alpha, float beta, float value)
        => *c = beta == 0f ? alpha * value : alpha * value + beta * *c;

    /// <summary>C = A·B over pairs of rows [start, end).</summary>
    private readonly struct RowsKernel(float* a, int lda, float* bt, int k, int m, int n, float alpha, float beta, float* c, int ldc) : IRangeKernel
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int start, int end)
        {
            for (var pair = start; pair < end; pair++)
            {
                var i = 2 * pair;
                var a0 = a + (nint)i * lda;
                // An odd last row pairs with itself; its second result is discarded.
                var both = i + 1 < m;
                Row2(a0, both ? a0 + lda : a0, i, both);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Row2(float* a0, float* a1, int i, bool both)
        {
            Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default, s04 = default, s05 = default, s06 = default, s07 = default;
            Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default, s14 = default, s15 = default, s16 = default, s17 = default;
            var p = 0;
            for (; p + 16 <= k; p += 16)
            {
                // Four rows ahead: the rows come from L3 inside a training step (measured ~0.1 ms of a batch-1280 step).
                if (Sse.IsSupported)
                {
                    Sse.Prefetch0(a0 + p + (4 * (nint)lda));
                    Sse.Prefetch0(a1 + p + (4 * (nint)lda));
                }
                var x0 = Vector512.Load(a0 + p);
                var x1 = Vector512.Load(a1 + p);
                var w = bt + p;
                var b0 = Vector512.Load(w);
                s00 = Vector512.FusedMultiplyAdd(x0, b0, s00);
                s10 = Vector512.FusedMultiplyAdd(x1, b0, s10);
                var b1 = Vector512.Load(w + k);
                s01 = Vector512.FusedMultiplyAdd(x0, b1, s01);
                s11 = Vector512.FusedMultiplyAdd(x1, b1, s11);
                var b2 = Vector512.Load(w + 2 * k);
                s02 = Vector512.FusedMultiplyAdd(x0, b2, s02);
                s12 = Vector512.FusedMultiplyAdd(x1, b2, s12);
                var b3 = Vector512.Load(w + 3 * k);
                s03 = Vector512.FusedMultiplyAdd(x0, b3, s03);
                s13 = Vector512.FusedMultiplyAdd(x1, b3, s13);
                var b4 = Vector512.Load(w + 4 * k);
                s04 = Vector512.FusedMultiplyAdd(x0, b4, s04);
                s14 = Vector512.FusedMultiplyAdd(x1, b4, s14);
                var b5 = Vector512.Load(w + 5 * k);
                s05 = Vector512.FusedMultiplyAdd(x0, b5, s05);
                s15 = Vector512.FusedMultiplyAdd(x1, b5, s15);
                var b6 = Vector512.Load(w + 6 * k);
                s06 = Vector512.FusedMultiplyAdd(x0, b6, s06);
                s16 = Vector512.FusedMultiplyAdd(x1, b6, s16);
                var b7 = Vector512.Load(w + 7 * k);
                s07 = Vector512.FusedMultiplyAdd(x0, b7, s07);
                s17 = Vector512.FusedMultiplyAdd(x1, b7, s17);
            }
            var first = c + (nint)i * ldc;
            Finish(first, a0, p, 0, Vector512.Sum(s00));
            if (n > 1) Finish(first, a0, p, 1, Vector512.Sum(s01));
            if (n > 2) Finish(first, a0, p, 2, Vector512.Sum(s02));
            if (n > 3) Finish(first, a0, p, 3, Vector512.Sum(s03));
            if (n > 4) Finish(first, a0, p, 4, Vector512.Sum(s04));
            if (n > 5) Finish(first, a0, p, 5, Vector512.Sum(s05));
            if (n > 6) Finish(first, a0, p, 6, Vector512.Sum(s06));
            if (n > 7) Finish(first, a0, p, 7, Vector512.Sum(s07));
            if (!both) return;
            var next = first + ldc;
            Finish(next, a1, p, 0, Vector512.Sum(s10));
            if (n > 1) Finish(next, a1, p, 1, Vector512.Sum(s11));
            if (n > 2) Finish(next, a1, p, 2, Vector512.Sum(s12));
            if (n > 3) Finish(next, a1, p, 3, Vector512.Sum(s13));
            if (n > 4) Finish(next, a1, p, 4, Vector512.Sum(s14));
            if (n > 5) Finish(next, a1, p, 5, Vector512.Sum(s15));
            if (n > 6) Finish(next, a1, p, 6, Vector512.Sum(s16));
            if (n > 7) Finish(next, a1, p, 7, Vector512.Sum(s17));
        }

        /// <summary>Adds the depth tail [p, k) of row <paramref name="x"/> · column j and stores C[i, j].</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Finish(float* cRow, float* x, int p, int j, float sum)
        {
            var column = bt + (nint)j * k;
            for (; p < k; p++) sum = MathF.FusedMultiplyAdd(x[p], column[p], sum);
            Store(cRow + j, alpha, beta, sum);
        }
    }

    /// <summary>C = Aᵀ·B over blocks of <see cref="Block"/> rows of C (columns of A) [start, end).</summary>
    private readonly struct ColumnsKernel(float* a, int lda, float* bp, int k, int m, int n, float alpha, float beta, float* c, int ldc) : IRangeKernel
    {
        public const int Block = 48;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int start, int end)
        {
            var tile = stackalloc float[MaxColumns * Block];
            for (var block = start; block < end; block++)
            {
                var i0 = block * Block;
                var width = Math.Min(Block, m - i0);
                var i = 0;
                for (; i + 48 <= width; i += 48) Columns48(i0 + i, tile);
                for (; i + 16 <= width; i += 16) Columns16(i0 + i, tile);
                for (; i < width; i++) Column1(i0 + i);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Columns48(int i0, float* tile)
        {
            Vector512<float> s00 = default, s01 = default, s02 = default, s10 = default, s11 = default, s12 = default;
            Vector512<float> s20 = default, s21 = default, s22 = default, s30 = default, s31 = default, s32 = default;
            Vector512<float> s40 = default, s41 = default, s42 = default, s50 = default, s51 = default, s52 = default;
            Vector512<float> s60 = default, s61 = default, s62 = default, s70 = default, s71 = default, s72 = default;
            var row = a + i0;
            var w = bp;
            for (var p = 0; p < k; p++, row += lda, w += MaxColumns)
            {
                var x0 = Vector512.Load(row);
                var x1 = Vector512.Load(row + 16);
                var x2 = Vector512.Load(row + 32);
                var b = Vector512.Create(w[0]);
                s00 = Vector512.FusedMultiplyAdd(x0, b, s00); s01 = Vector512.FusedMultiplyAdd(x1, b, s01); s02 = Vector512.FusedMultiplyAdd(x2, b, s02);
                b = Vector512.Create(w[1]);
                s10 = Vector512.FusedMultiplyAdd(x0, b, s10); s11 = Vector512.FusedMultiplyAdd(x1, b, s11); s12 = Vector512.FusedMultiplyAdd(x2, b, s12);
                b = Vector512.Create(w[2]);
                s20 = Vector512.FusedMultiplyAdd(x0, b, s20); s21 = Vector512.FusedMultiplyAdd(x1, b, s21); s22 = Vector512.FusedMultiplyAdd(x2, b, s22);
                b = Vector512.Create(w[3]);
                s30 = Vector512.FusedMultiplyAdd(x0, b, s30); s31 = Vector512.FusedMultiplyAdd(x1, b, s31); s32 = Vector512.FusedMultiplyAdd(x2, b, s32);
                b = Vector512.Create(w[4]);
                s40 = Vector512.FusedMultiplyAdd(x0, b, s40); s41 = Vector512.FusedMultiplyAdd(x1, b, s41); s42 = Vector512.FusedMultiplyAdd(x2, b, s42);
                b = Vector512.Create(w[5]);
                s50 = Vector512.FusedMultiplyAdd(x0, b, s50); s51 = Vector512.FusedMultiplyAdd(x1, b, s51); s52 = Vector512.FusedMultiplyAdd(x2, b, s52);
                b = Vector512.Create(w[6]);
                s60 = Vector512.FusedMultiplyAdd(x0, b, s60); s61 = Vector512.FusedMultiplyAdd(x1, b, s61); s62 = Vector512.FusedMultiplyAdd(x2, b, s62);
                b = Vector512.Create(w[7]);
                s70 = Vector512.FusedMultiplyAdd(x0, b, s70); s71 = Vector512.FusedMultiplyAdd(x1, b, s71); s72 = Vector512.FusedMultiplyAdd(x2, b, s72);
            }
            s00.Store(tile); s01.Store(tile + 16); s02.Store(tile + 32);
            s10.Store(tile + 48); s11.Store(tile + 64); s12.Store(tile + 80);
            s20.Store(tile + 96); s21.Store(tile + 112); s22.Store(tile + 128);
            s30.Store(tile + 144); s31.Store(tile + 160); s32.Store(tile + 176);
            s40.Store(tile + 192); s41.Store(tile + 208); s42.Store(tile + 224);
            s50.Store(tile + 240); s51.Store(tile + 256); s52.Store(tile + 272);
            s60.Store(tile + 288); s61.Store(tile + 304); s62.Store(tile + 320);
            s70.Store(tile + 336); s71.Store(tile + 352); s72.Store(tile + 368);
            WriteTile(i0, 48, tile);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Columns16(int i0, float* tile)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            var row = a + i0;
            var w = bp;
            for (var p = 0; p < k; p++, row += lda, w += MaxColumns)
            {
                var x = Vector512.Load(row);
                s0 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w[0]), s0);
                s1 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w[1]), s1);
                s2 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w[2]), s2);
                s3 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w[3]), s3);
                s4 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w[4]), s4);
                s5 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w[5]), s5);
                s6 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w[6]), s6);
                s7 = Vector512.FusedMultiplyAdd(x, Vector512.Create(w[7]), s7);
            }
            s0.Store(tile); s1.Store(tile + 16); s2.Store(tile + 32); s3.Store(tile + 48);
            s4.Store(tile + 64); s5.Store(tile + 80); s6.Store(tile + 96); s7.Store(tile + 112);
            WriteTile(i0, 16, tile);
        }

        private void Column1(int i)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = 0f;
                for (var p = 0; p < k; p++) sum = MathF.FusedMultiplyAdd(a[(nint)p * lda + i], bp[(nint)p * MaxColumns + j], sum);
                Store(c + (nint)i * ldc + j, alpha, beta, sum);
            }
        }

        /// <summary>tile[j·width + r] holds C[i0 + r, j].</summary>
        private void WriteTile(int i0, int width, float* tile)
        {
            for (var r = 0; r < width; r++)
            {
                var cRow = c + (nint)(i0 + r) * ldc;
                for (var j = 0; j < n; j++) Store(cRow + j, alpha, beta, tile[j * width + r]);
            }
        }
    }
}
