using System;
using System.Collections.Generic;

namespace Mtrl.Kernels.Tests.Projection;

/// <summary>How the random task gradients of a case relate to each other.</summary>
public enum GradientPattern
{
    /// <summary>Independent N(0, 1) entries with task scales from 0.1 to 10: about half the pairs conflict.</summary>
    Independent,

    /// <summary>A common positive direction plus small noise: no pair conflicts.</summary>
    Aligned,

    /// <summary>± a common direction plus noise, alternating by task: most pairs conflict strongly.</summary>
    Opposed,
}

/// <summary>Fixed-seed inputs for the projection tests.</summary>
internal static class ProjectionCases
{
    public static readonly int[] TaskCounts = [1, 2, 3, 10];
    public static readonly int[] ParameterCounts = [1, 3, 17, 1000, 1037];

    /// <summary>Every (T, P, pattern) combination, as xunit theory rows.</summary>
    public static IEnumerable<object[]> All()
    {
        foreach (int t in TaskCounts)
        {
            foreach (int p in ParameterCounts)
            {
                foreach (GradientPattern pattern in Enum.GetValues<GradientPattern>())
                {
                    yield return [t, p, pattern];
                }
            }
        }
    }

    /// <summary>A T×P block for the pattern; the fixed seed mixes T, P and the pattern so every case differs.</summary>
    public static float[] Gradients(int taskCount, int parameterCount, GradientPattern pattern, int salt = 0)
    {
        // Not HashCode.Combine: its seed changes from process to process.
        var random = new Random((taskCount * 1_000_003) ^ (parameterCount * 7_919) ^ ((int)pattern * 104_729) ^ (salt * 15_485_863));
        var common = new double[parameterCount];
        for (int p = 0; p < parameterCount; p++)
        {
            common[p] = pattern == GradientPattern.Aligned ? 0.5 + random.NextDouble() : Normal(random);
        }

        var block = new float[taskCount * parameterCount];
        for (int k = 0; k < taskCount; k++)
        {
            double scale = Math.Pow(10, 2 * random.NextDouble() - 1);
            double sign = k % 2 == 0 ? 1 : -1;
            for (int p = 0; p < parameterCount; p++)
            {
                double value = pattern switch
                {
                    GradientPattern.Aligned => common[p] + 0.1 * Normal(random),
                    GradientPattern.Opposed => sign * common[p] + 0.5 * Normal(random),
                    _ => Normal(random),
                };
                block[k * parameterCount + p] = (float)(scale * value);
            }
        }

        return block;
    }

    /// <summary>Random explicit orders (row i: a shuffle of the other tasks), from System.Random so they are independent of our Philox draw.</summary>
    public static int[] RandomOrders(int taskCount, int seed)
    {
        var random = new Random(seed);
        var orders = new int[taskCount * (taskCount - 1)];
        for (int i = 0; i < taskCount; i++)
        {
            var row = new int[taskCount - 1];
            for (int s = 0; s < row.Length; s++)
            {
                row[s] = s < i ? s : s + 1;
            }

            random.Shuffle(row);
            row.CopyTo(orders, i * (taskCount - 1));
        }

        return orders;
    }

    /// <summary>max_p Σ_k |g_k[p]|: the scale float32 rounding errors of a combination are relative to.</summary>
    public static double ColumnScale(float[] gradients, int taskCount, int parameterCount)
    {
        double largest = 0;
        for (int p = 0; p < parameterCount; p++)
        {
            double sum = 0;
            for (int k = 0; k < taskCount; k++)
            {
                sum += Math.Abs(gradients[k * parameterCount + p]);
            }

            largest = Math.Max(largest, sum);
        }

        return largest;
    }

    public static float[] Poisoned(int length)
    {
        var values = new float[length];
        Array.Fill(values, float.NaN);
        return values;
    }

    private static double Normal(Random random)
    {
        double u = 1.0 - random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * random.NextDouble());
    }
}
