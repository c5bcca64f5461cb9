using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mtrl.Kernels;

/// <summary>
/// 12×32 micro-kernel on 512-bit vectors: 24 accumulators, two B vectors and one broadcast A value
/// use 27 of the 32 ZMM registers. On cores with full-width AVX-512 FMA units this doubles the
/// flops per instruction of the 256-bit kernel.
/// </summary>
internal readonly unsafe struct Avx512MicroKernel : IGemmMicroKernel
{
    public static int Rows => 12;

    public static int Columns => 32;

    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> ar = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(ar, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(ar, b1, c01);
            ar = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(ar, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(ar, b1, c11);
            ar = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(ar, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(ar, b1, c21);
            ar = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(ar, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(ar, b1, c31);
            ar = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(ar, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(ar, b1, c41);
            ar = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(ar, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(ar, b1, c51);
            ar = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(ar, b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(ar, b1, c61);
            ar = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(ar, b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(ar, b1, c71);
            ar = Vector512.Create(a[8]);
            c80 = Avx512F.FusedMultiplyAdd(ar, b0, c80);
            c81 = Avx512F.FusedMultiplyAdd(ar, b1, c81);
            ar = Vector512.Create(a[9]);
            c90 = Avx512F.FusedMultiplyAdd(ar, b0, c90);
            c91 = Avx512F.FusedMultiplyAdd(ar, b1, c91);
            ar = Vector512.Create(a[10]);
            ca0 = Avx512F.FusedMultiplyAdd(ar, b0, ca0);
            ca1 = Avx512F.FusedMultiplyAdd(ar, b1, ca1);
            ar = Vector512.Create(a[11]);
            cb0 = Avx512F.FusedMultiplyAdd(ar, b0, cb0);
            cb1 = Avx512F.FusedMultiplyAdd(ar, b1, cb1);
            a += 12;
            b += 32;
        }

        Vector512<float> va = Vector512.Create(alpha);
        Vector512<float> vb = Vector512.Create(beta);
        bool overwrite = beta == 0f;
        Update(c, va, vb, overwrite, c00, c01);
        Update(c + ldc, va, vb, overwrite, c10, c11);
        Update(c + (2 * ldc), va, vb, overwrite, c20, c21);
        Update(c + (3 * ldc), va, vb, overwrite, c30, c31);
        Update(c + (4 * ldc), va, vb, overwrite, c40, c41);
        Update(c + (5 * ldc), va, vb, overwrite, c50, c51);
        Update(c + (6 * ldc), va, vb, overwrite, c60, c61);
        Update(c + (7 * ldc), va, vb, overwrite, c70, c71);
        Update(c + (8 * ldc), va, vb, overwrite, c80, c81);
        Update(c + (9 * ldc), va, vb, overwrite, c90, c91);
        Update(c + (10 * ldc), va, vb, overwrite, ca0, ca1);
        Update(c + (11 * ldc), va, vb, overwrite, cb0, cb1);
    }

    /// <summary>
    /// The left half of the tile (12×16) from a panel packed 32 wide: for the last panel of a C
    /// whose width leaves 16 or fewer columns (n = 400 = 12·32 + 16), where the full tile would do
    /// twice the work and go through the edge-tile copy. Same accumulation order per element as
    /// <see cref="Run"/>, so results do not depend on which one ran.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunHalf(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> c6 = default, c7 = default, c8 = default, c9 = default, ca = default, cb = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[1]), b0, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[2]), b0, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[3]), b0, c3);
            c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[4]), b0, c4);
            c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[5]), b0, c5);
            c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[6]), b0, c6);
            c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[7]), b0, c7);
            c8 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[8]), b0, c8);
            c9 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[9]), b0, c9);
            ca = Avx512F.FusedMultiplyAdd(Vector512.Create(a[10]), b0, ca);
            cb = Avx512F.FusedMultiplyAdd(Vector512.Create(a[11]), b0, cb);
            a += 12;
            b += 32;
        }

        Vector512<float> va = Vector512.Create(alpha);
        Vector512<float> vb = Vector512.Create(beta);
        bool overwrite = beta == 0f;
        UpdateHalf(c, va, vb, overwrite, c0);
        UpdateHalf(c + ldc, va, vb, overwrite, c1);
        UpdateHalf(c + (2 * ldc), va, vb, overwrite, c2);
        UpdateHalf(c + (3 * ldc), va, vb, overwrite, c3);
        UpdateHalf(c + (4 * ldc), va, vb, overwrite, c4);
        UpdateHalf(c + (5 * ldc), va, vb, overwrite, c5);
        UpdateHalf(c + (6 * ldc), va, vb, overwrite, c6);
        UpdateHalf(c + (7 * ldc), va, vb, overwrite, c7);
        UpdateHalf(c + (8 * ldc), va, vb, overwrite, c8);
        UpdateHalf(c + (9 * ldc), va, vb, overwrite, c9);
        UpdateHalf(c + (10 * ldc), va, vb, overwrite, ca);
        UpdateHalf(c + (11 * ldc), va, vb, overwrite, cb);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateHalf(float* row, Vector512<float> alpha, Vector512<float> beta, bool overwrite, Vector512<float> acc)
    {
        if (overwrite)
        {
            (alpha * acc).Store(row);
        }
        else
        {
            Avx512F.FusedMultiplyAdd(alpha, acc, beta * Vector512.Load(row)).Store(row);
        }
    }

    /// <summary>Writes alpha·acc (beta = 0, C never read) or alpha·acc + beta·C to one row of the tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(float* row, Vector512<float> alpha, Vector512<float> beta, bool overwrite, Vector512<float> acc0, Vector512<float> acc1)
    {
        if (overwrite)
        {
            (alpha * acc0).Store(row);
            (alpha * acc1).Store(row + 16);
        }
        else
        {
            Avx512F.FusedMultiplyAdd(alpha, acc0, beta * Vector512.Load(row)).Store(row);
            Avx512F.FusedMultiplyAdd(alpha, acc1, beta * Vector512.Load(row + 16)).Store(row + 16);
        }
    }
}
