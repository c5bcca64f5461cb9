using ILGPU;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Networks;

/// <summary>
/// The device GEMM: C = e(alpha·op(A)·op(B) + beta·C) on row-major storage, tiled through shared
/// memory. Each group of T×T threads computes one T×T tile of C (T = <see cref="DeviceGemmShape.Tile"/>,
/// chosen per device: <see cref="MaximumTile"/> on a GPU, smaller where a group holds fewer threads);
/// for every k-slice of T it loads one tile of op(A) and one of op(B) into dynamic shared
/// memory (one element per thread, zero outside the matrices, so m, n and k need not be multiples
/// of the tile), synchronises, and each thread accumulates its element's dot product over the
/// slice in order of p. The epilogue is applied as the element is stored, as the CPU's managed
/// kernel does per register tile. Each element is summed in order of p whatever T is, so the
/// tile edge never changes the bits.
/// </summary>
internal static class DeviceGemmKernels
{
    /// <summary>Largest tile edge: 16×16 = 256 threads per group, within every CUDA device's limit of 1,024.</summary>
    public const int MaximumTile = 16;

    /// <summary>
    /// One group per tile of C: grid (⌈n / T⌉, ⌈m / T⌉), group (T, T), x the column and y the
    /// row, with 2·T² floats of dynamic shared memory (the tiles of op(A) and op(B)).
    /// </summary>
    [ExplicitlyGroupedKernel]
    public static void Tiled(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> epilogue, DeviceGemmShape s)
    {
        int tile = s.Tile;
        ArrayView<float> shared = SharedMemory.GetDynamic<float>();
        ArrayView<float> tileA = shared.SubView(0, tile * tile);
        ArrayView<float> tileB = shared.SubView(tile * tile, tile * tile);
        int tx = Group.IdxX;
        int ty = Group.IdxY;
        int row = (Grid.IdxY * tile) + ty;
        int column = (Grid.IdxX * tile) + tx;
        float sum = 0f;
        for (int p0 = 0; p0 < s.K; p0 += tile)
        {
            // Thread (ty, tx) loads op(A)[row, p0 + tx] and op(B)[p0 + ty, column].
            int pa = p0 + tx;
            tileA[(ty * tile) + tx] = row < s.M && pa < s.K
                ? a[s.TransposeA == 0 ? ((long)row * s.Lda) + pa : ((long)pa * s.Lda) + row]
                : 0f;
            int pb = p0 + ty;
            tileB[(ty * tile) + tx] = pb < s.K && column < s.N
                ? b[s.TransposeB == 0 ? ((long)pb * s.Ldb) + column : ((long)column * s.Ldb) + pb]
                : 0f;
            Group.Barrier();
            for (int q = 0; q < tile; q++)
            {
                sum += tileA[(ty * tile) + q] * tileB[(q * tile) + tx];
            }

            Group.Barrier();
        }

        if (row >= s.M || column >= s.N)
        {
            return;
        }

        long at = ((long)row * s.Ldc) + column;

        // As the CPU: alpha = 0 (or k = 0) leaves beta·C, never 0·NaN from A or B; beta = 0 never reads C.
        float value = s.Alpha == 0f ? 0f : s.Alpha * sum;
        if (s.Beta != 0f)
        {
            value += s.Beta * c[at];
        }

        c[at] = ApplyEpilogue(value, epilogue, s, row, column);
    }

    private static float ApplyEpilogue(float value, ArrayView<float> epilogue, DeviceGemmShape s, int row, int column)
    {
        if (s.Epilogue == (int)GemmEpilogueKind.AddBias)
        {
            return value + epilogue[column];
        }

        if (s.Epilogue == (int)GemmEpilogueKind.AddBiasRelu)
        {
            float biased = value + epilogue[column];
            return biased > 0f ? biased : 0f;
        }

        if (s.Epilogue == (int)GemmEpilogueKind.ReluMask)
        {
            return epilogue[((long)row * s.MaskStride) + column] > 0f ? value : 0f;
        }

        return value;
    }
}
