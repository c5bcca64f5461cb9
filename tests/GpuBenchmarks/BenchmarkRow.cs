namespace Mtrl.GpuBenchmarks;

/// <summary>One measured case: the device's and the CPU kernel's median time for the same work.</summary>
/// <param name="Benchmark">What was measured.</param>
/// <param name="Size">The case's size (buffer / batch, T / P, N).</param>
/// <param name="DeviceMicroseconds">Median on the device, synchronised.</param>
/// <param name="CpuMicroseconds">Median of the CPU kernel on this machine's cores.</param>
internal sealed record BenchmarkRow(string Benchmark, string Size, double DeviceMicroseconds, double CpuMicroseconds)
{
    /// <summary>The markdown table row, with the CPU / device ratio.</summary>
    public override string ToString()
        => $"| {Benchmark} | {Size} | {DeviceMicroseconds:N1} | {CpuMicroseconds:N1} | {CpuMicroseconds / DeviceMicroseconds:N2}× |";
}
