using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mtrl.Kernels;

/// <summary>
/// output = Σ_k w_k·g_k over T task gradients (a GEMV with the T×P block): the single pass over
/// the gradients that turns PCGrad's or CAGrad's T weights (or plain sum / mean) into the
/// combined gradient. Parallel over P on the accelerator.
/// </summary>
/// <remarks>
/// Each output element is the fused multiply-add chain s = fma(w_k, g_k[p], s) over k = 0..T−1
/// in float32, in the vector body and the scalar tail alike (both are IEEE fused operations), so
/// the result does not depend on where the accelerator cuts P: bit-identical for any thread count.
/// Each row is prefetched <see cref="PrefetchDistance"/> floats ahead: T interleaved streams
/// cross 4 KiB pages faster than the hardware prefetchers re-arm (measured 3.1 → 0.9 ms for
/// T = 10, P = 10⁶ on one core).
/// </remarks>
public static unsafe class WeightedGradientSum
{
    /// <summary>Smallest chunk of P worth a thread: T streams of it take a few microseconds.</summary>
    public const int Grain = 8_192;

    /// <summary>How far ahead (floats) each row is prefetched: 2 KiB.</summary>
    public const int PrefetchDistance = 512;

    /// <summary>Writes output[p] = Σ_k weights[k]·taskGradients[k·P + p].</summary>
    /// <param name="taskGradients">T rows of P floats, row-major.</param>
    /// <param name="taskCount">T ≥ 1.</param>
    /// <param name="parameterCount">P ≥ 0.</param>
    /// <param name="weights">T weights, float64 (rounded to float32 for the pass).</param>
    /// <param name="output">P floats, overwritten; must not overlap <paramref name="taskGradients"/>.</param>
    /// <param name="accelerator">Threads to use; null uses <see cref="CpuAccelerator.Default"/>.</param>
    public static void Combine(
        ReadOnlySpan<float> taskGradients, int taskCount, int parameterCount, ReadOnlySpan<double> weights,
        Span<float> output, Accelerator? accelerator = null)
    {
        ProjectionArguments.CheckTaskBlock(taskGradients.Length, taskCount, parameterCount);
        ProjectionArguments.CheckPerTask(weights.Length, taskCount, nameof(weights));
        ProjectionArguments.CheckOutput(taskGradients, output, parameterCount);
        Span<float> single = taskCount <= 256 ? stackalloc float[taskCount] : new float[taskCount];
        CombineUnchecked(taskGradients, taskCount, parameterCount, weights, single, output, accelerator ?? CpuAccelerator.Default);
    }

    /// <summary>The entry point for validated arguments; <paramref name="singleWeights"/> is T floats of scratch.</summary>
    internal static void CombineUnchecked(
        ReadOnlySpan<float> taskGradients, int taskCount, int parameterCount, ReadOnlySpan<double> weights,
        Span<float> singleWeights, Span<float> output, Accelerator accelerator, bool forceVector256 = false)
    {
        if (parameterCount == 0)
        {
            return;
        }

        for (int k = 0; k < taskCount; k++)
        {
            singleWeights[k] = (float)weights[k];
        }

        fixed (float* g = taskGradients)
        fixed (float* w = singleWeights)
        fixed (float* o = output)
        {
            var kernel = new Kernel(g, taskCount, parameterCount, w, o, Vector512.IsHardwareAccelerated && !forceVector256);
            accelerator.LaunchChunked(parameterCount, Grain, in kernel);
        }
    }

    private readonly struct Kernel(float* gradients, int taskCount, int parameterCount, float* weights, float* output, bool wide) : IRangeKernel
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int start, int end)
        {
            int p = start;
            bool prefetch = Sse.IsSupported;
            long lastPrefetch = parameterCount - PrefetchDistance; // never prefetch past P
            if (wide)
            {
                for (; p + 16 <= end; p += 16)
                {
                    Vector512<float> sum = Vector512<float>.Zero;
                    float* column = gradients + p;
                    bool ahead = prefetch && p < lastPrefetch;
                    for (int k = 0; k < taskCount; k++)
                    {
                        float* row = column + (long)k * parameterCount;
                        if (ahead)
                        {
                            Sse.Prefetch0(row + PrefetchDistance);
                        }

                        sum = Vector512.FusedMultiplyAdd(Vector512.Create(weights[k]), Vector512.Load(row), sum);
                    }

                    sum.Store(output + p);
                }
            }
            else
            {
                for (; p + 16 <= end; p += 16)
                {
                    Vector256<float> low = Vector256<float>.Zero, high = low;
                    float* column = gradients + p;
                    bool ahead = prefetch && p < lastPrefetch;
                    for (int k = 0; k < taskCount; k++)
                    {
                        float* row = column + (long)k * parameterCount;
                        if (ahead)
                        {
                            Sse.Prefetch0(row + PrefetchDistance);
                        }

                        Vector256<float> weight = Vector256.Create(weights[k]);
                        low = Vector256.FusedMultiplyAdd(weight, Vector256.Load(row), low);
                        high = Vector256.FusedMultiplyAdd(weight, Vector256.Load(row + 8), high);
                    }

                    low.Store(output + p);
                    high.Store(output + p + 8);
                }
            }

            for (; p + 8 <= end; p += 8)
            {
                Vector256<float> sum = Vector256<float>.Zero;
                float* column = gradients + p;
                for (int k = 0; k < taskCount; k++)
                {
                    sum = Vector256.FusedMultiplyAdd(Vector256.Create(weights[k]), Vector256.Load(column + (long)k * parameterCount), sum);
                }

                sum.Store(output + p);
            }

            for (; p < end; p++)
            {
                float sum = 0f;
                float* column = gradients + p;
                for (int k = 0; k < taskCount; k++)
                {
                    sum = MathF.FusedMultiplyAdd(weights[k], column[(long)k * parameterCount], sum);
                }

                output[p] = sum;
            }
        }
    }
}
