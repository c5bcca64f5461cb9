using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Runtime.Evaluation;

namespace Mtrl.Runs;

/// <summary>The mean and population standard deviation of one number over seeds.</summary>
public readonly record struct Spread(double Mean, double StdDev)
{
    /// <summary>The spread of <paramref name="values"/> (NaN when any is NaN).</summary>
    public static Spread Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0) return new Spread(double.NaN, double.NaN);
        var mean = values.Average();
        return new Spread(mean, Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average()));
    }
}

/// <summary>
/// How several seeds of one run ended (<c>summary.json</c> beside their run directories): each
/// seed's final greedy evaluation across tasks, and the spread of those numbers over seeds.
/// </summary>
public sealed record SeedSummary(
    IReadOnlyList<SeedResult> Seeds,
    Spread SuccessAverage,
    Spread SuccessMedian,
    Spread SuccessWorst,
    Spread ReturnAverage)
{
    /// <summary>The summary of <paramref name="finals"/>.</summary>
    public static SeedSummary Of(IReadOnlyList<(ulong Seed, EvaluationResult Result)> finals)
    {
        var seeds = finals.Select(f => new SeedResult(f.Seed, f.Result.Transitions, f.Result.Success, f.Result.Return)).ToList();
        return new SeedSummary(
            seeds,
            Spread.Of(seeds.Select(s => s.Success.Average).ToList()),
            Spread.Of(seeds.Select(s => s.Success.Median).ToList()),
            Spread.Of(seeds.Select(s => s.Success.Worst).ToList()),
            Spread.Of(seeds.Select(s => s.Return.Average).ToList()));
    }
}

/// <summary>One seed's final greedy evaluation across tasks.</summary>
public sealed record SeedResult(ulong Seed, long Transitions, AcrossTasks Success, AcrossTasks Return);
