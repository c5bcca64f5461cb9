using System;
using Xunit;

namespace Mtrl.Kernels.Tests;

/// <summary>Float64 GEMM and the norm-wise error check used by both back ends' tests.</summary>
internal static class GemmReference
{
    /// <summary>
    /// Computes C = alpha·op(A)·op(B) + beta·C in double and, per element, the bound
    /// |alpha|·Σ|a||b| + |beta|·|c| that rounding errors scale with.
    /// </summary>
    public static (double[] C, double[] Scale) Compute(
        GemmTranspose ta, GemmTranspose tb, int m, int n, int k,
        float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        var result = new double[m * n];
        var scale = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = ta == GemmTranspose.None ? a[(i * lda) + p] : a[(p * lda) + i];
                    double bv = tb == GemmTranspose.None ? b[(p * ldb) + j] : b[(j * ldb) + p];
                    sum += av * bv;
                    magnitude += Math.Abs(av * bv);
                }

                double old = beta == 0f ? 0 : beta * (double)c[(i * ldc) + j];
                result[(i * n) + j] = (alpha * sum) + old;
                scale[(i * n) + j] = (Math.Abs(alpha) * magnitude) + Math.Abs(old);
            }
        }

        return (result, scale);
    }

    /// <summary>
    /// Asserts max|C − Cref| / max(|alpha|Σ|a||b| + |beta c|) &lt; 1e-5 over the m×n window, and that
    /// the padding between rows (ldc &gt; n) was not touched.
    /// </summary>
    public static void AssertMatches(double[] expected, double[] scale, float[] actual, int m, int n, int ldc, float padding, string what)
    {
        double maxError = 0, maxScale = 0;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float value = actual[(i * ldc) + j];
                Assert.False(float.IsNaN(value), $"{what}: C[{i},{j}] is NaN");
                maxError = Math.Max(maxError, Math.Abs(value - expected[(i * n) + j]));
                maxScale = Math.Max(maxScale, scale[(i * n) + j]);
            }

            for (int j = n; j < ldc && (i * ldc) + j < actual.Length; j++)
            {
                Assert.True(actual[(i * ldc) + j].Equals(padding), $"{what}: padding C[{i},{j}] was overwritten");
            }
        }

        double relative = maxScale == 0 ? maxError : maxError / maxScale;
        Assert.True(relative < 1e-5, $"{what}: norm-wise relative error {relative:E3} (max abs error {maxError:E3})");
    }
}
