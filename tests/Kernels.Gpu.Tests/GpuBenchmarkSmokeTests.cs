using System;
using System.IO;
using System.Linq;
using Mtrl.GpuBenchmarks;
using Xunit;

namespace Mtrl.Kernels.Gpu.Tests;

/// <summary>The device benchmark harness runs end to end at its quick sizes (no timing is asserted).</summary>
[Collection(IlgpuCpuCollection.Name)]
public sealed class GpuBenchmarkSmokeTests
{
    [Fact]
    public void QuickRunOnTheEmulatorPrintsEveryBenchmarkRow()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(0, GpuBenchmarkRunner.Run(["--device", "ilgpu-cpu", "--quick"], output, error));
        string[] rows = output.ToString().Split('\n').Where(line => line.StartsWith("| ", StringComparison.Ordinal)).ToArray();
        Assert.Equal("| Benchmark | Size | Device µs | CPU µs | CPU / device |", rows[0].TrimEnd());
        Assert.Contains(rows, row => row.StartsWith("| replay uniform sample | 512 / 64 |", StringComparison.Ordinal));
        Assert.Contains(rows, row => row.StartsWith("| replay HER sample | 512 / 64 |", StringComparison.Ordinal));
        Assert.Contains(rows, row => row.StartsWith("| replay prioritized sample | 512 / 64 |", StringComparison.Ordinal));
        Assert.Contains(rows, row => row.StartsWith("| priority update + prioritized sample | 512 / 64 |", StringComparison.Ordinal));
        Assert.Contains(rows, row => row.StartsWith("| PCGrad | T = 2, P = 1,024 |", StringComparison.Ordinal));
        Assert.Contains(rows, row => row.StartsWith("| CAGrad | T = 2, P = 1,024 |", StringComparison.Ordinal));
        Assert.Contains(rows, row => row.StartsWith("| CartPole step | N = 64 |", StringComparison.Ordinal));
        Assert.Contains(rows, row => row.StartsWith("| PointMass step | N = 64 |", StringComparison.Ordinal));
        Assert.Contains(rows, row => row.StartsWith("| GridWorld step (four rooms) | N = 64 |", StringComparison.Ordinal));
        Assert.Contains(rows, row => row.StartsWith("| DQN update (HER sample + forward ×3 + loss + backward + Adam) | 512 / 16, 80 → 8 → 8 → 40 |", StringComparison.Ordinal));
        Assert.Contains(rows, row => row.StartsWith("| SAC update (sample + targets + twin critics + actor + α + Polyak) | 500 / 16, 39+10 → 8×1, T = 10 |", StringComparison.Ordinal));
        Assert.Equal(12, rows.Length);
        Assert.Equal(string.Empty, error.ToString());
    }

    [Fact]
    public void BadOptionsAndAbsentDevicesExitWithAMessage()
    {
        var error = new StringWriter();
        Assert.Equal(2, GpuBenchmarkRunner.Run(["--fast"], new StringWriter(), error));
        Assert.Contains("unknown option '--fast'; usage: run-gpu-benchmarks.sh", error.ToString(), StringComparison.Ordinal);
        error = new StringWriter();
        Assert.Equal(2, GpuBenchmarkRunner.Run(["--device", "tpu"], new StringWriter(), error));
        Assert.Contains("--device: unknown device 'tpu': use cuda, opencl or ilgpu-cpu", error.ToString(), StringComparison.Ordinal);
    }
}
