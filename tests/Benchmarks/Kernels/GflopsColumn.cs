using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Mtrl.Benchmarks.Kernels;

/// <summary>
/// Reports throughput as GFLOP/s = 2·M·N·K / mean time, read from the case's M, N and K
/// parameters, so GEMM back ends compare on the unit BLAS libraries are judged by.
/// </summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);

    public string ColumnName => "GFLOP/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Billions of floating-point operations per second (2·M·N·K per call)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } statistics)
        {
            return "-";
        }

        double flops = 2.0;
        foreach (string name in new[] { "M", "N", "K" })
        {
            var parameter = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == name);
            if (parameter?.Value is not int value)
            {
                return "-";
            }

            flops *= value;
        }

        return (flops / statistics.Mean).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
