using ILGPU;
using Mtrl.Kernels.Gpu.Random;

namespace Mtrl.Kernels.Gpu.Projection;

/// <summary>
/// PCGrad's steps on the device, in the CPU's three-step form (<see cref="PcGrad"/>): the
/// Gram matrix of the T task gradients, the float64 T×T derivation of the combination weights
/// (<see cref="PcGradWeights"/>), and one weighted sum over P. The per-task visiting orders are
/// drawn on the device with <see cref="PcGradOrders.Draw"/>'s Philox layout, so they are identical.
/// </summary>
internal static class DevicePcGradKernels
{
    /// <summary>
    /// Lanes per Gram entry for T tasks: lane l sums the products g_i[p]·g_j[p] (exact in float64)
    /// for p ≡ l mod lanes, so neighbouring threads read neighbouring floats and the summation
    /// order depends on T only, never on the device. 1,024 lanes up to T = 128, halved above (down
    /// to 32) so the T²·lanes partial sums stay within 2^24 doubles (128 MB) up to T = 724.
    /// </summary>
    public static int GramLanes(int taskCount)
    {
        int lanes = 1024;
        while (lanes > 32 && (long)taskCount * taskCount * lanes > 1 << 24)
        {
            lanes >>= 1;
        }

        return lanes;
    }

    /// <summary>One thread per task: task i's shuffle of the other tasks, as <see cref="PcGradOrders.Draw"/>.</summary>
    public static void DrawOrders(Index1D task, ArrayView<int> orders, int taskCount, ulong seed, ulong stream, ulong counter)
    {
        int others = taskCount - 1;
        int offset = task * others;
        for (int s = 0; s < others; s++)
        {
            orders[offset + s] = s < task ? s : s + 1;
        }

        ulong perTask = (ulong)(others > 0 ? others : 0) / 2;
        ulong first = counter + ((ulong)(int)task * perTask);
        PhiloxBlock block = default;
        for (int m = others - 1, q = 0; m >= 1; m--, q++)
        {
            if ((q & 1) == 0)
            {
                block = DevicePhilox.Generate(seed, stream, first + (ulong)(q / 2));
            }

            int r = (q & 1) == 0 ? DevicePhilox.ToIndex(block.X0, block.X1, m + 1) : DevicePhilox.ToIndex(block.X2, block.X3, m + 1);
            int swap = orders[offset + m];
            orders[offset + m] = orders[offset + r];
            orders[offset + r] = swap;
        }
    }

    /// <summary>One thread per (i ≥ j pair, lane): the lane's share of g_i·g_j, in float64.</summary>
    public static void GramPartials(Index1D index, ArrayView<float> gradients, ArrayView<double> partials, int taskCount, long parameterCount, int lanes)
    {
        int pair = index / lanes;
        int lane = index - (pair * lanes);
        int i = pair / taskCount;
        int j = pair - (i * taskCount);
        if (j > i)
        {
            return;
        }

        double sum = 0.0;
        long rowI = i * parameterCount;
        long rowJ = j * parameterCount;
        for (long p = lane; p < parameterCount; p += lanes)
        {
            sum += (double)gradients[rowI + p] * gradients[rowJ + p];
        }

        partials[index] = sum;
    }

    /// <summary>One thread per (i, j): sums the lanes in lane order and writes G[i, j] and G[j, i].</summary>
    public static void GramReduce(Index1D pair, ArrayView<double> partials, ArrayView<double> gram, int taskCount, int lanes)
    {
        int i = pair / taskCount;
        int j = pair - (i * taskCount);
        if (j > i)
        {
            return;
        }

        double sum = 0.0;
        for (int lane = 0; lane < lanes; lane++)
        {
            sum += partials[((long)(int)pair * lanes) + lane];
        }

        gram[(i * taskCount) + j] = sum;
        gram[(j * taskCount) + i] = sum;
    }

    /// <summary>One thread: <see cref="PcGradWeights"/>' derivation, step for step; projections counted into counts[0].</summary>
    public static void Weights(
        Index1D index, ArrayView<double> gram, ArrayView<int> orders, ArrayView<double> coefficients, ArrayView<double> weights,
        ArrayView<int> counts, int taskCount, int mean)
    {
        if (index != 0)
        {
            return;
        }

        int others = taskCount - 1;
        int projections = 0;
        for (int e = 0; e < taskCount * taskCount; e++)
        {
            coefficients[e] = 0.0;
        }

        for (int i = 0; i < taskCount; i++)
        {
            int a = i * taskCount;
            coefficients[a + i] = 1.0;
            for (int s = 0; s < others; s++)
            {
                int j = orders[(i * others) + s];
                double squaredNorm = gram[(j * taskCount) + j];
                if (!(squaredNorm > 0.0))
                {
                    continue;
                }

                double dot = 0.0;
                for (int k = 0; k < taskCount; k++)
                {
                    dot += coefficients[a + k] * gram[(j * taskCount) + k];
                }

                if (dot < 0.0)
                {
                    coefficients[a + j] -= dot / squaredNorm;
                    projections++;
                }
            }
        }

        double scale = mean != 0 ? 1.0 / taskCount : 1.0;
        for (int k = 0; k < taskCount; k++)
        {
            double sum = 0.0;
            for (int i = 0; i < taskCount; i++)
            {
                sum += coefficients[(i * taskCount) + k];
            }

            weights[k] = sum * scale;
        }

        counts[0] = projections;
    }

    /// <summary>One thread per parameter: output[p] = Σ_k w_k·g_k[p], weights rounded to float32 as the CPU pass does.</summary>
    public static void Combine(Index1D p, ArrayView<float> gradients, ArrayView<double> weights, ArrayView<float> output, int taskCount, long parameterCount)
    {
        float sum = 0f;
        for (int k = 0; k < taskCount; k++)
        {
            sum += (float)weights[k] * gradients[(k * parameterCount) + p];
        }

        output[p] = sum;
    }
}
