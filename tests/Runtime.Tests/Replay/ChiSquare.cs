using System;

namespace Mtrl.Runtime.Tests.Replay;

/// <summary>Pearson's chi-square statistic and a generous critical value, for fixed-seed distribution tests.</summary>
internal static class ChiSquare
{
    /// <summary>Σ (observed − expected)² / expected over cells with positive expectation.</summary>
    public static double Statistic(ReadOnlySpan<long> observed, ReadOnlySpan<double> expected)
    {
        double sum = 0;
        for (int i = 0; i < observed.Length; i++)
        {
            if (expected[i] > 0)
            {
                double d = observed[i] - expected[i];
                sum += d * d / expected[i];
            }
            else if (observed[i] != 0)
            {
                return double.PositiveInfinity;
            }
        }

        return sum;
    }

    /// <summary>
    /// An upper bound the statistic of a correct sampler exceeds with probability far below 1e-4:
    /// df + 6·√(2·df) (the chi-square mean plus six standard deviations, close to the Wilson–Hilferty
    /// quantile at that level for the degrees of freedom used here).
    /// </summary>
    public static double Bound(int degreesOfFreedom) => degreesOfFreedom + (6 * Math.Sqrt(2.0 * degreesOfFreedom));
}
