using System;

namespace Mtrl.GpuBenchmarks;

internal static class Program
{
    private static int Main(string[] args) => GpuBenchmarkRunner.Run(args, Console.Out, Console.Error);
}
