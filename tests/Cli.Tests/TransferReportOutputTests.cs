using System.IO;
using System.Text.Json;
using Mtrl.Runtime.Transfer;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary>How <c>mtrl transfer</c> prints and saves a report, down to the zero-shot speed-up.</summary>
public sealed class TransferReportOutputTests
{
    /// <summary>Two tasks: task 0 learned at 100 transitions (scratch alike), task 1 already at the threshold when its stage began, scratch at 300.</summary>
    private static TransferReport ZeroShot()
    {
        var matrix = new TransferMatrix(2);
        matrix[0, 0] = 1; matrix[0, 1] = 1; matrix[1, 0] = 1; matrix[1, 1] = 1;
        CurvePoint[] Curve(long crossing) => new[] { new CurvePoint(0, crossing == 0 ? 1 : 0), new CurvePoint(100, crossing <= 100 ? 1 : 0), new CurvePoint(300, 1) };
        return TransferReport.Create(matrix, new[] { Curve(100), Curve(0) }, new[] { Curve(100), Curve(300) }, budget: 300, threshold: 0.9, minimum: null, maximum: null);
    }

    [Fact]
    public void AZeroShotTaskPrintsAnInfiniteSpeedUpAndSavesNullBesideItsSteps()
    {
        var report = ZeroShot();
        Assert.Equal(double.PositiveInfinity, report.Tasks[1].SpeedUp);

        var output = new StringWriter();
        TransferCommand.Write("seq", report, "success", output);
        var line = output.ToString().Split('\n')[3];
        Assert.Contains("∞ (0)", line);
        Assert.Contains("1.00×", output.ToString().Split('\n')[2]);

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(TransferCommand.Document(report)));
        var task = json.RootElement.GetProperty("tasks")[1];
        Assert.Equal(JsonValueKind.Null, task.GetProperty("speed_up").ValueKind);
        Assert.Equal(0, task.GetProperty("steps_to_threshold").GetInt64());
        Assert.Equal(300, task.GetProperty("scratch_steps_to_threshold").GetInt64());
        Assert.Equal(1.0, json.RootElement.GetProperty("tasks")[0].GetProperty("speed_up").GetDouble());
    }
}
