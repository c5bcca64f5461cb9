using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mtrl.Kernels;

/// <summary>
/// 6×16 micro-kernel on 256-bit vectors: twelve accumulators, two B vectors and one broadcast A
/// value use 15 of the 16 YMM registers, and each k step issues 12 FMAs for 8 loads, enough to
/// keep both FMA ports busy. Falls back to multiply + add where FMA is missing.
/// </summary>
internal readonly unsafe struct Avx2MicroKernel : IGemmMicroKernel
{
    public static int Rows => 6;

    public static int Columns => 16;

    public static bool IsSupported => Vector256.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> ar = Vector256.Create(a[0]);
            c00 = MulAdd(ar, b0, c00);
            c01 = MulAdd(ar, b1, c01);
            ar = Vector256.Create(a[1]);
            c10 = MulAdd(ar, b0, c10);
            c11 = MulAdd(ar, b1, c11);
            ar = Vector256.Create(a[2]);
            c20 = MulAdd(ar, b0, c20);
            c21 = MulAdd(ar, b1, c21);
            ar = Vector256.Create(a[3]);
            c30 = MulAdd(ar, b0, c30);
            c31 = MulAdd(ar, b1, c31);
            ar = Vector256.Create(a[4]);
            c40 = MulAdd(ar, b0, c40);
            c41 = MulAdd(ar, b1, c41);
            ar = Vector256.Create(a[5]);
            c50 = MulAdd(ar, b0, c50);
            c51 = MulAdd(ar, b1, c51);
            a += 6;
            b += 16;
        }

        Vector256<float> va = Vector256.Create(alpha);
        if (beta == 0f)
        {
            Store(c, va, c00, c01);
            Store(c + ldc, va, c10, c11);
            Store(c + 2 * ldc, va, c20, c21);
            Store(c + 3 * ldc, va, c30, c31);
            Store(c + 4 * ldc, va, c40, c41);
            Store(c + 5 * ldc, va, c50, c51);
        }
        else
        {
            Vector256<float> vb = Vector256.Create(beta);
            Update(c, va, vb, c00, c01);
            Update(c + ldc, va, vb, c10, c11);
            Update(c + 2 * ldc, va, vb, c20, c21);
            Update(c + 3 * ldc, va, vb, c30, c31);
            Update(c + 4 * ldc, va, vb, c40, c41);
            Update(c + 5 * ldc, va, vb, c50, c51);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MulAdd(Vector256<float> x, Vector256<float> y, Vector256<float> addend)
        => Fma.IsSupported ? Fma.MultiplyAdd(x, y, addend) : (x * y) + addend;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* row, Vector256<float> alpha, Vector256<float> acc0, Vector256<float> acc1)
    {
        (alpha * acc0).Store(row);
        (alpha * acc1).Store(row + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(float* row, Vector256<float> alpha, Vector256<float> beta, Vector256<float> acc0, Vector256<float> acc1)
    {
        MulAdd(alpha, acc0, beta * Vector256.Load(row)).Store(row);
        MulAdd(alpha, acc1, beta * Vector256.Load(row + 8)).Store(row + 8);
    }
}
