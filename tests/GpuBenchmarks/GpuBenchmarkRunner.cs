using System;
using System.Collections.Generic;
using System.IO;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.GpuBenchmarks;

/// <summary>Parses the options, opens the device and prints every benchmark as a markdown table.</summary>
internal static class GpuBenchmarkRunner
{
    public const string Usage = "usage: run-gpu-benchmarks.sh [--device cuda|opencl|ilgpu-cpu] [--quick]";

    /// <summary>Runs and writes the table to <paramref name="output"/>; returns the process exit code (2 for bad options or an absent device).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        string deviceName = "cuda";
        bool quick = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--device" when i + 1 < args.Length:
                    deviceName = args[++i];
                    break;
                case "--quick":
                    quick = true;
                    break;
                default:
                    error.WriteLine($"unknown option '{args[i]}'; {Usage}");
                    return 2;
            }
        }

        GpuDevice device;
        try
        {
            device = GpuDevice.Open(deviceName);
        }
        catch (Exception e) when (e is ArgumentException or GpuDeviceNotFoundException)
        {
            error.WriteLine($"--device: {e.Message}");
            return 2;
        }

        using (device)
        {
            BenchmarkSizes sizes = quick ? BenchmarkSizes.Quick : BenchmarkSizes.Full;
            output.WriteLine($"Device: {device.Description}; CPU: {Environment.ProcessorCount} threads; {DateTime.UtcNow:yyyy-MM-dd}; {(quick ? "quick sizes" : "full sizes")}");
            output.WriteLine();
            output.WriteLine("| Benchmark | Size | Device µs | CPU µs | CPU / device |");
            output.WriteLine("|---|---|---:|---:|---:|");
            var suites = new List<IEnumerable<BenchmarkRow>>
            {
                ReplayBenchmarks.Run(device, sizes),
                ProjectionBenchmarks.Run(device, sizes),
                EnvironmentBenchmarks.Run(device, sizes),
                LearnerBenchmarks.Run(device, sizes),
                SacLearnerBenchmarks.Run(device, sizes),
            };
            foreach (IEnumerable<BenchmarkRow> suite in suites)
            {
                foreach (BenchmarkRow row in suite)
                {
                    output.WriteLine(row);
                    output.Flush();
                }
            }
        }

        return 0;
    }
}
