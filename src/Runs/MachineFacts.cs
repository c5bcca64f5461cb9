using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Mtrl.Runs;

/// <summary>
/// The machine a run ran on: results and speeds are only comparable with these in view (the CPU
/// model can change between sessions of the same project).
/// </summary>
/// <param name="Cpu">CPU model name (from /proc/cpuinfo on Linux), or the architecture.</param>
/// <param name="LogicalCores">Cores the process may use.</param>
/// <param name="Avx512">Whether AVX-512F is available (the GEMM's widest path).</param>
/// <param name="Os">Operating system description.</param>
/// <param name="Runtime">.NET runtime description.</param>
/// <param name="Host">Machine name.</param>
public sealed record MachineFacts(string Cpu, int LogicalCores, bool Avx512, string Os, string Runtime, string Host)
{
    /// <summary>The facts of this machine.</summary>
    public static MachineFacts Current() => new(
        CpuModel(), Environment.ProcessorCount, Avx512F.IsSupported,
        RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription, Environment.MachineName);

    private static string CpuModel()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (line is not null && line.IndexOf(':') is var colon and >= 0) return line[(colon + 1)..].Trim();
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
