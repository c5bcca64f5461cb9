using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Networks;

/// <summary>
/// Single-precision matrix multiply on device arrays, C = e(alpha·op(A)·op(B) + beta·C), with the
/// API and conventions of the CPU <see cref="Gemm"/>: row-major storage, leading dimensions as row
/// strides, beta = 0 never reading C, an optional bias / bias+ReLU / ReLU-mask epilogue. Aᵀ·B
/// (a weight gradient) and A·Bᵀ (an input gradient) are the transposes a layer's backward pass needs.
/// </summary>
/// <remarks>
/// One shared-memory tiled kernel (<see cref="DeviceGemmKernels.Tiled"/>). Each element is a float
/// dot product summed in order of p, so results differ from the CPU's (which sums in register
/// blocks) by float rounding only; the device's own order never depends on the launch.
/// </remarks>
public sealed class DeviceGemm : IDisposable
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _noEpilogue;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DeviceGemmShape> _tiled;

    /// <summary>Compiles the kernel for <paramref name="device"/>, with the largest tile its groups hold (16 on a GPU, 4 on ILGPU's CPU emulator).</summary>
    /// <param name="device">An open device.</param>
    /// <param name="tile">Tile edge T (T² threads per group), or 0 for the largest power of two up to 16 the device allows.
    /// Results do not depend on it: every element is summed in order of p.</param>
    public DeviceGemm(GpuDevice device, int tile = 0)
    {
        ArgumentNullException.ThrowIfNull(device);
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        int largest = DeviceGemmKernels.MaximumTile;
        while (largest > 1 && largest * largest > accelerator.MaxNumThreadsPerGroup)
        {
            largest /= 2;
        }

        if (tile < 0 || tile > largest)
        {
            throw new ArgumentOutOfRangeException(nameof(tile), tile,
                $"tile must be in [1, {largest}] ({device.Description} runs at most {accelerator.MaxNumThreadsPerGroup} threads per group), or 0 for the largest");
        }

        Tile = tile == 0 ? largest : tile;

        _noEpilogue = accelerator.Allocate1D<float>(1);
        _tiled = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DeviceGemmShape>(DeviceGemmKernels.Tiled);
    }

    /// <summary>The tile edge T: groups of T×T threads, 2·T² floats of shared memory.</summary>
    public int Tile { get; }

    /// <summary>Computes C = e(alpha·op(A)·op(B) + beta·C), parameters as <see cref="Gemm.Multiply(GemmTranspose, GemmTranspose, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, GemmEpilogue, GemmBackend, Mtrl.Kernels.Accelerator?)"/>.</summary>
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
    /// <param name="c">C, row-major m×n with ldc ≥ n; must not overlap A, B or the epilogue's values.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="epilogue">The elementwise step applied to each element of C as it is stored.</param>
    public void Multiply(
        GemmTranspose transA, GemmTranspose transB, int m, int n, int k,
        float alpha, ArrayView<float> a, int lda, ArrayView<float> b, int ldb,
        float beta, ArrayView<float> c, int ldc, DeviceGemmEpilogue epilogue = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        bool transposeA = transA == GemmTranspose.Transpose;
        bool transposeB = transB == GemmTranspose.Transpose;
        CheckOperand(a.Length, transposeA ? k : m, transposeA ? m : k, lda, nameof(a), nameof(lda));
        CheckOperand(b.Length, transposeB ? n : k, transposeB ? k : n, ldb, nameof(b), nameof(ldb));
        CheckOperand(c.Length, m, n, ldc, nameof(c), nameof(ldc));
        epilogue.Validate(m, n);
        if (m == 0 || n == 0)
        {
            return;
        }

        int tile = Tile;
        var config = new KernelConfig(
            new Index2D((n + tile - 1) / tile, (m + tile - 1) / tile), new Index2D(tile, tile), SharedMemoryConfig.RequestDynamic<float>(2 * tile * tile));
        var shape = new DeviceGemmShape(m, n, k, lda, ldb, ldc, transposeA ? 1 : 0, transposeB ? 1 : 0, alpha, beta, (int)epilogue.Kind, epilogue.Stride, tile);
        ArrayView<float> values = epilogue.Kind == GemmEpilogueKind.None ? _noEpilogue.View : epilogue.Values;
        _tiled(config, a, b, c, values, shape);
    }

    /// <inheritdoc />
    public void Dispose() => _noEpilogue.Dispose();

    private static void CheckOperand(long length, int rows, int cols, int ld, string name, string ldName)
    {
        if (ld < Math.Max(1, cols))
        {
            throw new ArgumentOutOfRangeException(ldName, ld, $"Leading dimension must be at least max(1, {cols}).");
        }

        if (rows > 0 && cols > 0 && length < ((long)(rows - 1) * ld) + cols)
        {
            throw new ArgumentException($"View of length {length} is too short for a {rows}×{cols} matrix with row stride {ld}.", name);
        }
    }
}
