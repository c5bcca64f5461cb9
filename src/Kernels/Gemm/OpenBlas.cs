using System;
using System.Runtime.InteropServices;

namespace Mtrl.Kernels;

/// <summary>
/// Late-bound access to OpenBLAS (Debian's libopenblas0). The library is looked up once with
/// <see cref="NativeLibrary.TryLoad(string, out IntPtr)"/> and called through function pointers,
/// so a machine without it runs the managed kernels instead of failing at load time.
/// </summary>
public static unsafe class OpenBlas
{
    private const int CblasRowMajor = 101;
    private const int CblasNoTrans = 111;
    private const int CblasTrans = 112;

    private static readonly string[] s_candidates =
    [
        "libopenblas.so.0",
        "libopenblas.so",
        "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
        "libopenblas.dylib",
        "libopenblas.dll",
        "openblas.dll",
    ];

    private static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> s_sgemm;
    private static readonly delegate* unmanaged<int, void> s_setNumThreads;
    private static readonly delegate* unmanaged<int> s_getNumThreads;

#pragma warning disable CA1810 // the loader must run once, in a defined order, before the pointers are read
    static OpenBlas()
    {
        foreach (string candidate in s_candidates)
        {
            if (!NativeLibrary.TryLoad(candidate, out IntPtr handle))
            {
                continue;
            }

            if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out IntPtr sgemm))
            {
                NativeLibrary.Free(handle);
                continue;
            }

            s_sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
            if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out IntPtr set))
            {
                s_setNumThreads = (delegate* unmanaged<int, void>)set;
            }

            if (NativeLibrary.TryGetExport(handle, "openblas_get_num_threads", out IntPtr get))
            {
                s_getNumThreads = (delegate* unmanaged<int>)get;
            }

            LibraryName = candidate;
            return;
        }
    }
#pragma warning restore CA1810

    /// <summary>True when <c>cblas_sgemm</c> was found, so callers (and <see cref="GemmBackend.Auto"/>) can route to it.</summary>
    public static bool IsAvailable => s_sgemm != null;

    /// <summary>The name or path that loaded, for logs and benchmark reports; null when unavailable.</summary>
    public static string? LibraryName { get; }

    /// <summary>
    /// OpenBLAS's own thread count (it runs a private thread pool); 0 when unknown. Exposed because
    /// OpenBLAS threads compete with accelerator workers for the same cores.
    /// </summary>
    public static int ThreadCount => s_getNumThreads != null ? s_getNumThreads() : 0;

    /// <summary>
    /// Sets OpenBLAS's thread count, e.g. to 1 for single-thread benchmarks or when the caller
    /// already parallelises over independent problems. No effect when unavailable.
    /// </summary>
    /// <param name="threads">Threads OpenBLAS may use; must be positive.</param>
    public static void SetThreadCount(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (s_setNumThreads != null)
        {
            s_setNumThreads(threads);
        }
    }

    /// <summary>Row-major cblas_sgemm on already-validated pointers; <see cref="Gemm"/> checks every argument first.</summary>
    internal static void Sgemm(
        GemmTranspose transA, GemmTranspose transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (s_sgemm == null)
        {
            throw new InvalidOperationException(
                "OpenBLAS is not available: install libopenblas0 (Debian/Ubuntu) or use GemmBackend.Managed.");
        }

        s_sgemm(
            CblasRowMajor,
            transA == GemmTranspose.None ? CblasNoTrans : CblasTrans,
            transB == GemmTranspose.None ? CblasNoTrans : CblasTrans,
            m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
