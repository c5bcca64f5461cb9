using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Mtrl.Benchmarks.Environments;

/// <summary>
/// Reports throughput as environment steps per second (millions) = Environments / time of one
/// vector step, read from the case's Environments parameter — the unit vectorized-env libraries
/// (Gymnasium, EnvPool) quote. From the mean, or from the fastest iteration: on a shared machine
/// the fastest iteration is the least disturbed one, and the peer script reports its best round.
/// </summary>
public sealed class EnvironmentStepsColumn(bool fromBest) : IColumn
{
    public string Id => nameof(EnvironmentStepsColumn) + (fromBest ? "Best" : "Mean");

    public string ColumnName => fromBest ? "M env-steps/s (best)" : "M env-steps/s (mean)";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => $"Millions of single-environment steps per second (Environments / {(fromBest ? "fastest iteration's" : "mean")} time per vector step)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        var parameter = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Environments");
        if (report?.ResultStatistics is not { } statistics || parameter?.Value is not int environments)
        {
            return "-";
        }

        // Times are in nanoseconds: environments / ns = billions per second.
        double nanoseconds = fromBest ? statistics.Min : statistics.Mean;
        return (environments / nanoseconds * 1e3).ToString("F1", CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
