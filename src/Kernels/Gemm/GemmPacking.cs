using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mtrl.Kernels;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous, zero-padded micro-panel layout the
/// micro-kernels stream through. Packing is where transposes and leading dimensions are absorbed,
/// so the micro-kernel only ever sees unit-stride data and full tiles.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Rows ahead at which packing prefetches a row-strided operand (a 12- or 32-wide strip read
    /// row by row at the matrix's row stride). Inside a training step these operands come from L3
    /// or memory and the hardware prefetcher does not run far enough ahead on such strips;
    /// prefetching 64 rows ahead took ~0.4 ms off the batch-1280 MLP step (A/B in one process).
    /// </summary>
    private const int StridedPrefetchRows = 64;

    /// <summary>Values ahead, along each of the 32 rows a transposed B panel reads at once (more streams than the hardware tracks).</summary>
    private const int TransposedPrefetchValues = 128;

    /// <summary>Prefetches the cache lines of a strip of <paramref name="width"/> values <see cref="StridedPrefetchRows"/> rows below <paramref name="row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchStrip(float* row, int stride, int width)
        => CachePrefetch.Bytes(row + ((nint)StridedPrefetchRows * stride), (nuint)width * sizeof(float));

    /// <summary>
    /// Packs rows [row0, row0 + rows) × depth [p0, p0 + kc) of op(A) into panels of
    /// <paramref name="mr"/> rows: panel q holds, for each p, the mr values of rows q·mr.. at depth p.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(GemmTranspose trans, float* a, int lda, int row0, int rows, int p0, int kc, int mr, float* destination)
    {
        for (int r0 = 0; r0 < rows; r0 += mr)
        {
            int valid = System.Math.Min(mr, rows - r0);
            float* panel = destination + (nint)r0 * kc;
            if (trans == GemmTranspose.None && mr == 12 && valid == 12 && Avx.IsSupported)
            {
                // Full 12-row panels (the AVX-512 kernel's): transpose 8 depth steps at a time in
                // registers, rows 0–7 as one 8×8 block and rows 8–11 as two 4×4 blocks.
                float* source = a + (nint)(row0 + r0) * lda + p0;
                int p = 0;
                for (; p + 8 <= kc; p += 8)
                {
                    Transpose8x8(source + p, lda, panel + (nint)p * 12, 12);
                    Transpose4x8(source + (nint)8 * lda + p, lda, panel + (nint)p * 12 + 8, 12);
                }

                for (; p < kc; p++)
                {
                    for (int r = 0; r < 12; r++)
                    {
                        panel[(nint)p * 12 + r] = source[(nint)r * lda + p];
                    }
                }

                continue;
            }

            if (trans == GemmTranspose.None)
            {
                // op(A)(i, p) = a[i·lda + p]: read each row forward, write with stride mr.
                for (int r = 0; r < valid; r++)
                {
                    float* source = a + (nint)(row0 + r0 + r) * lda + p0;
                    float* target = panel + r;
                    for (int p = 0; p < kc; p++)
                    {
                        target[(nint)p * mr] = source[p];
                    }
                }
            }
            else if (mr == 12 && valid == 12 && Avx.IsSupported)
            {
                // op(A)(i, p) = a[p·lda + i]: 12 contiguous values per p, moved as 8 + 4.
                for (int p = 0; p < kc; p++)
                {
                    float* source = a + (nint)(p0 + p) * lda + row0 + r0;
                    float* target = panel + (nint)p * 12;
                    PrefetchStrip(source, lda, 12);
                    Avx.Store(target, Avx.LoadVector256(source));
                    Sse.Store(target + 8, Sse.LoadVector128(source + 8));
                }
            }
            else
            {
                // op(A)(i, p) = a[p·lda + i]: the mr values for one p are contiguous.
                for (int p = 0; p < kc; p++)
                {
                    float* source = a + (nint)(p0 + p) * lda + row0 + r0;
                    float* target = panel + (nint)p * mr;
                    for (int r = 0; r < valid; r++)
                    {
                        target[r] = source[r];
                    }
                }
            }

            if (valid < mr)
            {
                for (int p = 0; p < kc; p++)
                {
                    for (int r = valid; r < mr; r++)
                    {
                        panel[(nint)p * mr + r] = 0f;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Packs depth [p0, p0 + kc) × columns [col0 + firstPanel·nr, ...) of op(B), panels
    /// [firstPanel, endPanel) of width <paramref name="nr"/> (the last one clipped at
    /// <paramref name="cols"/>): panel q holds, for each p, the nr values of columns q·nr.. at depth p.
    /// With <paramref name="columnSums"/> (op(B) = B only; element j is column col0 + j), each
    /// packed value is also added to its column's sum, row after row, so a caller that packs the
    /// depth slices in order gets exactly the bits of <see cref="MatrixOps.ColumnSums"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(
        GemmTranspose trans, float* b, int ldb, int col0, int cols, int p0, int kc, int nr,
        int firstPanel, int endPanel, float* destination, float* columnSums = null)
    {
        for (int q = firstPanel; q < endPanel; q++)
        {
            int j0 = q * nr;
            int valid = System.Math.Min(nr, cols - j0);
            float* panel = destination + (nint)j0 * kc;
            if (columnSums != null)
            {
                PackBSumming(b + ((nint)p0 * ldb) + col0 + j0, ldb, kc, nr, valid, panel, columnSums + j0);
            }
            else if (trans == GemmTranspose.None)
            {
                // op(B)(p, j) = b[p·ldb + j]: each depth step is a contiguous row segment.
                for (int p = 0; p < kc; p++)
                {
                    float* source = b + (nint)(p0 + p) * ldb + col0 + j0;
                    float* target = panel + (nint)p * nr;
                    PrefetchStrip(source, ldb, valid);
                    if (valid == nr && nr % 8 == 0)
                    {
                        for (int j = 0; j < nr; j += 8)
                        {
                            Vector256.Load(source + j).Store(target + j);
                        }
                    }
                    else
                    {
                        for (int j = 0; j < valid; j++)
                        {
                            target[j] = source[j];
                        }

                        for (int j = valid; j < nr; j++)
                        {
                            target[j] = 0f;
                        }
                    }
                }
            }
            else if (valid == nr && nr % 8 == 0 && Avx.IsSupported)
            {
                // op(B)(p, j) = b[j·ldb + p]: transpose 8×8 blocks in registers.
                float* rows = b + ((nint)(col0 + j0) * ldb) + p0;
                int p = 0;
                for (; p + 8 <= kc; p += 8)
                {
                    if ((p & 15) == 0)
                    {
                        for (int j = 0; j < nr; j++)
                        {
                            Sse.Prefetch0(rows + ((nint)j * ldb) + p + TransposedPrefetchValues);
                        }
                    }

                    for (int j = 0; j < nr; j += 8)
                    {
                        Transpose8x8(rows + ((nint)j * ldb) + p, ldb, panel + ((nint)p * nr) + j, nr);
                    }
                }

                for (; p < kc; p++)
                {
                    for (int j = 0; j < nr; j++)
                    {
                        panel[((nint)p * nr) + j] = rows[((nint)j * ldb) + p];
                    }
                }
            }
            else
            {
                // op(B)(p, j) = b[j·ldb + p]: read each stored row forward, write with stride nr.
                for (int j = 0; j < valid; j++)
                {
                    float* source = b + (nint)(col0 + j0 + j) * ldb + p0;
                    float* target = panel + j;
                    for (int p = 0; p < kc; p++)
                    {
                        target[(nint)p * nr] = source[p];
                    }
                }

                for (int p = 0; p < kc && valid < nr; p++)
                {
                    for (int j = valid; j < nr; j++)
                    {
                        panel[(nint)p * nr + j] = 0f;
                    }
                }
            }
        }
    }

    /// <summary>
    /// One panel of op(B) = B packed while its column sums accumulate: kc rows of
    /// <paramref name="valid"/> values from <paramref name="source"/>, zero-padded to nr.
    /// </summary>
    private static void PackBSumming(float* source, int ldb, int kc, int nr, int valid, float* panel, float* sums)
    {
        int j = 0;
        if (valid == 32 && nr == 32 && Vector256.IsHardwareAccelerated)
        {
            // The AVX-512 kernel's full panels: row by row, all 32 sums in registers, so each
            // row segment of B is read once (column groups in turn would re-read it from L2).
            Vector256<float> s0 = Vector256.Load(sums), s1 = Vector256.Load(sums + 8);
            Vector256<float> s2 = Vector256.Load(sums + 16), s3 = Vector256.Load(sums + 24);
            for (int p = 0; p < kc; p++)
            {
                float* row = source + ((nint)p * ldb);
                float* target = panel + ((nint)p * 32);
                PrefetchStrip(row, ldb, 32);
                Vector256<float> v0 = Vector256.Load(row), v1 = Vector256.Load(row + 8);
                Vector256<float> v2 = Vector256.Load(row + 16), v3 = Vector256.Load(row + 24);
                v0.Store(target);
                v1.Store(target + 8);
                v2.Store(target + 16);
                v3.Store(target + 24);
                s0 += v0;
                s1 += v1;
                s2 += v2;
                s3 += v3;
            }

            s0.Store(sums);
            s1.Store(sums + 8);
            s2.Store(sums + 16);
            s3.Store(sums + 24);
            return;
        }

        if (Vector256.IsHardwareAccelerated)
        {
            // Eight columns at a time, their sums in a register across all kc rows.
            for (; j + 8 <= valid; j += 8)
            {
                Vector256<float> sum = Vector256.Load(sums + j);
                for (int p = 0; p < kc; p++)
                {
                    Vector256<float> value = Vector256.Load(source + ((nint)p * ldb) + j);
                    value.Store(panel + ((nint)p * nr) + j);
                    sum += value;
                }

                sum.Store(sums + j);
            }
        }

        for (; j < valid; j++)
        {
            float sum = sums[j];
            for (int p = 0; p < kc; p++)
            {
                float value = source[((nint)p * ldb) + j];
                panel[((nint)p * nr) + j] = value;
                sum += value;
            }

            sums[j] = sum;
        }

        for (int p = 0; p < kc && valid < nr; p++)
        {
            for (int c = valid; c < nr; c++)
            {
                panel[((nint)p * nr) + c] = 0f;
            }
        }
    }

    /// <summary>Writes the transpose of the 4×8 block at <paramref name="source"/> (4 rows of 8, row
    /// stride <paramref name="sourceStride"/>) as 8 rows of 4 at <paramref name="target"/> (row stride
    /// <paramref name="targetStride"/>).</summary>
    private static void Transpose4x8(float* source, int sourceStride, float* target, int targetStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(source);
        Vector256<float> r1 = Avx.LoadVector256(source + sourceStride);
        Vector256<float> r2 = Avx.LoadVector256(source + 2 * sourceStride);
        Vector256<float> r3 = Avx.LoadVector256(source + 3 * sourceStride);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1);   // r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5]
        Vector256<float> t1 = Avx.UnpackHigh(r0, r1);  // r0[2] r1[2] r0[3] r1[3] | r0[6] r1[6] r0[7] r1[7]
        Vector256<float> t2 = Avx.UnpackLow(r2, r3);
        Vector256<float> t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> c0 = Avx.Shuffle(t0, t2, 0x44); // column 0 | column 4
        Vector256<float> c1 = Avx.Shuffle(t0, t2, 0xEE); // column 1 | column 5
        Vector256<float> c2 = Avx.Shuffle(t1, t3, 0x44); // column 2 | column 6
        Vector256<float> c3 = Avx.Shuffle(t1, t3, 0xEE); // column 3 | column 7
        Sse.Store(target, c0.GetLower());
        Sse.Store(target + targetStride, c1.GetLower());
        Sse.Store(target + 2 * targetStride, c2.GetLower());
        Sse.Store(target + 3 * targetStride, c3.GetLower());
        Sse.Store(target + 4 * targetStride, c0.GetUpper());
        Sse.Store(target + 5 * targetStride, c1.GetUpper());
        Sse.Store(target + 6 * targetStride, c2.GetUpper());
        Sse.Store(target + 7 * targetStride, c3.GetUpper());
    }

    /// <summary>Writes the transpose of the 8×8 block at <paramref name="source"/> (row stride
    /// <paramref name="sourceStride"/>) to <paramref name="target"/> (row stride <paramref name="targetStride"/>).</summary>
    private static void Transpose8x8(float* source, int sourceStride, float* target, int targetStride)
    {
        Vector256<float> r0 = Avx.LoadVector256(source);
        Vector256<float> r1 = Avx.LoadVector256(source + sourceStride);
        Vector256<float> r2 = Avx.LoadVector256(source + 2 * sourceStride);
        Vector256<float> r3 = Avx.LoadVector256(source + 3 * sourceStride);
        Vector256<float> r4 = Avx.LoadVector256(source + 4 * sourceStride);
        Vector256<float> r5 = Avx.LoadVector256(source + 5 * sourceStride);
        Vector256<float> r6 = Avx.LoadVector256(source + 6 * sourceStride);
        Vector256<float> r7 = Avx.LoadVector256(source + 7 * sourceStride);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1);
        Vector256<float> t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3);
        Vector256<float> t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5);
        Vector256<float> t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7);
        Vector256<float> t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44);
        Vector256<float> s1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> s2 = Avx.Shuffle(t1, t3, 0x44);
        Vector256<float> s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44);
        Vector256<float> s5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> s6 = Avx.Shuffle(t5, t7, 0x44);
        Vector256<float> s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(target, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(target + targetStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(target + 2 * targetStride, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(target + 3 * targetStride, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(target + 4 * targetStride, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(target + 5 * targetStride, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(target + 6 * targetStride, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(target + 7 * targetStride, Avx.Permute2x128(s3, s7, 0x31));
    }
}
