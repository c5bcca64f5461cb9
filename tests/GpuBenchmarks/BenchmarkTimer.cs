using System;
using System.Diagnostics;

namespace Mtrl.GpuBenchmarks;

/// <summary>Median wall time of repeated runs of an action, after warm-up runs (which also compile device kernels).</summary>
internal static class BenchmarkTimer
{
    /// <summary>Median microseconds per run; <paramref name="run"/> must wait for the device before it returns.</summary>
    public static double MedianMicroseconds(Action run, int warmups, int repetitions)
    {
        for (int i = 0; i < warmups; i++)
        {
            run();
        }

        var samples = new double[repetitions];
        for (int i = 0; i < repetitions; i++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        Array.Sort(samples);
        return samples[repetitions / 2];
    }
}
