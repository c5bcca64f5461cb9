using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mtrl.Kernels;

/// <summary>
/// The T×T Gram matrix G = g·gᵀ of T task gradients (a T×P row-major block). Every dot product
/// PCGrad and CAGrad need — between original or running, projected gradients — is a linear
/// function of G, so one pass over the gradients replaces the O(T²) vector passes of the
/// reference implementations.
/// </summary>
/// <remarks>
/// <see cref="GramMethod.Blocked"/> (the default) splits P into fixed blocks of
/// <see cref="BlockLength"/> floats. Inside a block, dot products run in float32 SIMD over
/// L1-resident sub-blocks of <see cref="SubBlockLength"/>; every sub-block's dot is added in
/// float64, blocks are launched as independent accelerator items and their partial matrices are
/// summed in block order. The arithmetic of each value therefore depends only on P, never on the
/// thread count or chunking, and the float32 part of the rounding error is that of a
/// 256-element dot product whatever P is. The kernel streams T rows at once in short runs, which
/// the hardware prefetchers follow poorly (each row crosses a 4 KiB page every 1,024 floats), so
/// it prefetches every row <see cref="PrefetchDistance"/> floats ahead: measured 4.4 → 2.2 ms for
/// T = 10, P = 10⁶ on one core, close to the DRAM read floor of 40 MB.
/// </remarks>
public static unsafe class GradientGram
{
    /// <summary>Floats of each task row per accelerator item (256 KiB of data for T = 4).</summary>
    public const int BlockLength = 16_384;

    /// <summary>Floats of each task row per float32 sub-dot: T rows of it stay in L1 while every pair is formed.</summary>
    public const int SubBlockLength = 256;

    /// <summary>How far ahead of the current position each row is prefetched (two sub-blocks, 2 KiB).</summary>
    public const int PrefetchDistance = 2 * SubBlockLength;

    /// <summary>Blocks the kernel splits P into (the size of the per-block partial buffer).</summary>
    /// <param name="parameterCount">P.</param>
    public static int BlockCount(int parameterCount) => (parameterCount + BlockLength - 1) / BlockLength;

    /// <summary>Entries of the lower triangle, diagonal included: T(T+1)/2 distinct dot products.</summary>
    /// <param name="taskCount">T.</param>
    public static int PairCount(int taskCount) => taskCount * (taskCount + 1) / 2;

    /// <summary>Computes G[i, j] = g_i·g_j into <paramref name="gram"/> (row-major, symmetric).</summary>
    /// <param name="taskGradients">T rows of P floats, row-major.</param>
    /// <param name="taskCount">T ≥ 1.</param>
    /// <param name="parameterCount">P ≥ 0.</param>
    /// <param name="gram">T×T output, float64.</param>
    /// <param name="workspace">Buffers sized for (T, P); null allocates one (avoid on a hot path).</param>
    /// <param name="accelerator">Threads for the blocked kernel or the managed GEMM; null uses <see cref="CpuAccelerator.Default"/>.</param>
    /// <param name="method">Dedicated blocked kernel (default) or one GEMM.</param>
    public static void Compute(
        ReadOnlySpan<float> taskGradients, int taskCount, int parameterCount, Span<double> gram,
        ProjectionWorkspace? workspace = null, Accelerator? accelerator = null, GramMethod method = GramMethod.Blocked)
    {
        ProjectionArguments.CheckTaskBlock(taskGradients.Length, taskCount, parameterCount);
        ProjectionArguments.CheckSquare(gram.Length, taskCount, nameof(gram));
        ProjectionArguments.CheckGramMethod(method);
        ProjectionWorkspace buffers = ProjectionArguments.Workspace(workspace, taskCount, parameterCount);
        ComputeUnchecked(taskGradients, taskCount, parameterCount, gram, buffers, accelerator ?? CpuAccelerator.Default, method);
    }

    /// <summary>The entry point for callers that have validated their arguments.</summary>
    internal static void ComputeUnchecked(
        ReadOnlySpan<float> taskGradients, int taskCount, int parameterCount, Span<double> gram,
        ProjectionWorkspace workspace, Accelerator accelerator, GramMethod method, bool forceVector256 = false)
    {
        if (parameterCount == 0)
        {
            gram.Clear();
            return;
        }

        if (method == GramMethod.Gemm)
        {
            float[] single = workspace.GramSingle;
            Gemm.Multiply(
                GemmTranspose.None, GemmTranspose.Transpose, taskCount, taskCount, parameterCount,
                1f, taskGradients, parameterCount, taskGradients, parameterCount, 0f, single, taskCount,
                GemmBackend.Auto, accelerator);
            for (int i = 0; i < taskCount; i++)
            {
                for (int j = 0; j <= i; j++)
                {
                    // Use one triangle so G is exactly symmetric whatever the GEMM's rounding.
                    double value = single[i * taskCount + j];
                    gram[i * taskCount + j] = value;
                    gram[j * taskCount + i] = value;
                }
            }

            return;
        }

        int blocks = BlockCount(parameterCount);
        int pairs = PairCount(taskCount);
        double[] partials = workspace.GramPartials;
        bool wide = Vector512.IsHardwareAccelerated && !forceVector256;
        fixed (float* g = taskGradients)
        fixed (double* partial = partials)
        {
            var kernel = new BlockKernel(g, taskCount, parameterCount, partial, wide);
            accelerator.LaunchChunked(blocks, 1, in kernel);
        }

        for (int i = 0; i < taskCount; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                int pair = i * (i + 1) / 2 + j;
                double sum = 0;
                for (int b = 0; b < blocks; b++)
                {
                    sum += partials[b * pairs + pair];
                }

                gram[i * taskCount + j] = sum;
                gram[j * taskCount + i] = sum;
            }
        }
    }

    /// <summary>One item = one block of P: writes its lower-triangle partial sums to its own slot.</summary>
    private readonly struct BlockKernel(float* gradients, int taskCount, int parameterCount, double* partials, bool wide) : IRangeKernel
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int start, int end)
        {
            int pairs = PairCount(taskCount);
            for (int block = start; block < end; block++)
            {
                double* acc = partials + (long)block * pairs;
                new Span<double>(acc, pairs).Clear();
                int first = block * BlockLength;
                int last = Math.Min(parameterCount, first + BlockLength);
                for (int p0 = first; p0 < last; p0 += SubBlockLength)
                {
                    int n = Math.Min(SubBlockLength, last - p0);
                    Prefetch(gradients + p0, parameterCount, taskCount, Math.Min(SubBlockLength, parameterCount - p0 - PrefetchDistance));
                    if (wide)
                    {
                        SubBlock512(gradients + p0, parameterCount, taskCount, n, acc);
                    }
                    else
                    {
                        SubBlock256(gradients + p0, parameterCount, taskCount, n, acc);
                    }
                }
            }
        }
    }

    /// <summary>Prefetches <paramref name="count"/> floats of every row, <see cref="PrefetchDistance"/> ahead of <paramref name="x"/> (nothing past P).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(float* x, int stride, int taskCount, int count)
    {
        if (!Sse.IsSupported || count <= 0)
        {
            return;
        }

        for (int i = 0; i < taskCount; i++)
        {
            float* ahead = x + (long)i * stride + PrefetchDistance;
            for (int p = 0; p < count; p += 16)
            {
                Sse.Prefetch0(ahead + p);
            }
        }
    }

    /// <summary>
    /// Adds g_i·g_j over n floats starting at <paramref name="x"/> (row i at x + i·stride) to
    /// acc[i(i+1)/2 + j] for every j ≤ i: four j rows share each load of row i.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SubBlock512(float* x, int stride, int taskCount, int n, double* acc)
    {
        int vectorEnd = n & ~15;
        for (int i = 0; i < taskCount; i++)
        {
            float* gi = x + (long)i * stride;
            double* row = acc + i * (i + 1) / 2;
            int j = 0;
            for (; j + 3 <= i; j += 4)
            {
                float* a0 = x + (long)j * stride;
                float* a1 = a0 + stride;
                float* a2 = a1 + stride;
                float* a3 = a2 + stride;
                Vector512<float> s0 = Vector512<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
                for (int p = 0; p < vectorEnd; p += 16)
                {
                    Vector512<float> v = Vector512.Load(gi + p);
                    s0 = Vector512.FusedMultiplyAdd(v, Vector512.Load(a0 + p), s0);
                    s1 = Vector512.FusedMultiplyAdd(v, Vector512.Load(a1 + p), s1);
                    s2 = Vector512.FusedMultiplyAdd(v, Vector512.Load(a2 + p), s2);
                    s3 = Vector512.FusedMultiplyAdd(v, Vector512.Load(a3 + p), s3);
                }

                row[j] += Vector512.Sum(s0) + Tail(gi, a0, vectorEnd, n);
                row[j + 1] += Vector512.Sum(s1) + Tail(gi, a1, vectorEnd, n);
                row[j + 2] += Vector512.Sum(s2) + Tail(gi, a2, vectorEnd, n);
                row[j + 3] += Vector512.Sum(s3) + Tail(gi, a3, vectorEnd, n);
            }

            for (; j <= i; j++)
            {
                float* a0 = x + (long)j * stride;
                Vector512<float> s0 = Vector512<float>.Zero, s1 = s0;
                int p = 0;
                for (; p + 32 <= vectorEnd; p += 32)
                {
                    s0 = Vector512.FusedMultiplyAdd(Vector512.Load(gi + p), Vector512.Load(a0 + p), s0);
                    s1 = Vector512.FusedMultiplyAdd(Vector512.Load(gi + p + 16), Vector512.Load(a0 + p + 16), s1);
                }

                if (p < vectorEnd)
                {
                    s0 = Vector512.FusedMultiplyAdd(Vector512.Load(gi + p), Vector512.Load(a0 + p), s0);
                }

                row[j] += Vector512.Sum(s0 + s1) + Tail(gi, a0, vectorEnd, n);
            }
        }
    }

    /// <summary>The 256-bit form of <see cref="SubBlock512"/>, for CPUs without AVX-512.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SubBlock256(float* x, int stride, int taskCount, int n, double* acc)
    {
        int vectorEnd = n & ~7;
        for (int i = 0; i < taskCount; i++)
        {
            float* gi = x + (long)i * stride;
            double* row = acc + i * (i + 1) / 2;
            int j = 0;
            for (; j + 3 <= i; j += 4)
            {
                float* a0 = x + (long)j * stride;
                float* a1 = a0 + stride;
                float* a2 = a1 + stride;
                float* a3 = a2 + stride;
                Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
                for (int p = 0; p < vectorEnd; p += 8)
                {
                    Vector256<float> v = Vector256.Load(gi + p);
                    s0 = Vector256.FusedMultiplyAdd(v, Vector256.Load(a0 + p), s0);
                    s1 = Vector256.FusedMultiplyAdd(v, Vector256.Load(a1 + p), s1);
                    s2 = Vector256.FusedMultiplyAdd(v, Vector256.Load(a2 + p), s2);
                    s3 = Vector256.FusedMultiplyAdd(v, Vector256.Load(a3 + p), s3);
                }

                row[j] += Vector256.Sum(s0) + Tail(gi, a0, vectorEnd, n);
                row[j + 1] += Vector256.Sum(s1) + Tail(gi, a1, vectorEnd, n);
                row[j + 2] += Vector256.Sum(s2) + Tail(gi, a2, vectorEnd, n);
                row[j + 3] += Vector256.Sum(s3) + Tail(gi, a3, vectorEnd, n);
            }

            for (; j <= i; j++)
            {
                float* a0 = x + (long)j * stride;
                Vector256<float> s0 = Vector256<float>.Zero, s1 = s0;
                int p = 0;
                for (; p + 16 <= vectorEnd; p += 16)
                {
                    s0 = Vector256.FusedMultiplyAdd(Vector256.Load(gi + p), Vector256.Load(a0 + p), s0);
                    s1 = Vector256.FusedMultiplyAdd(Vector256.Load(gi + p + 8), Vector256.Load(a0 + p + 8), s1);
                }

                if (p < vectorEnd)
                {
                    s0 = Vector256.FusedMultiplyAdd(Vector256.Load(gi + p), Vector256.Load(a0 + p), s0);
                }

                row[j] += Vector256.Sum(s0 + s1) + Tail(gi, a0, vectorEnd, n);
            }
        }
    }

    /// <summary>The scalar remainder of a sub-block (only the last one of P can have one), in float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Tail(float* a, float* b, int start, int end)
    {
        double sum = 0;
        for (int p = start; p < end; p++)
        {
            sum += (double)a[p] * b[p];
        }

        return sum;
    }
}
