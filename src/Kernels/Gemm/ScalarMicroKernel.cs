using System.Runtime.CompilerServices;

namespace Mtrl.Kernels;

/// <summary>
/// Portable 4×4 micro-kernel for machines without 256-bit SIMD. Sixteen scalar accumulators fit in
/// general-purpose floating-point registers on every 64-bit target.
/// </summary>
internal readonly unsafe struct ScalarMicroKernel : IGemmMicroKernel
{
    public static int Rows => 4;

    public static int Columns => 4;

    public static bool IsSupported => true;

    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        float* acc = stackalloc float[16];
        for (int t = 0; t < 16; t++)
        {
            acc[t] = 0f;
        }

        for (int p = 0; p < kc; p++)
        {
            float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            for (int r = 0; r < 4; r++)
            {
                float ar = a[r];
                float* row = acc + 4 * r;
                row[0] += ar * b0;
                row[1] += ar * b1;
                row[2] += ar * b2;
                row[3] += ar * b3;
            }

            a += 4;
            b += 4;
        }

        for (int r = 0; r < 4; r++)
        {
            float* cRow = c + (nint)r * ldc;
            for (int j = 0; j < 4; j++)
            {
                cRow[j] = beta == 0f ? alpha * acc[4 * r + j] : alpha * acc[4 * r + j] + beta * cRow[j];
            }
        }
    }
}
