using BenchmarkDotNet.Attributes;
using Mtrl.Kernels;

namespace Mtrl.Benchmarks.Kernels;

/// <summary>
/// Throughput of the counter-based bulk fills over one million values (parameter initialisation
/// and exploration-noise sizes), on one thread and on every core.
/// </summary>
[MemoryDiagnoser]
public class PhiloxFillBenchmarks
{
    private const int Length = 1 << 20;
    private readonly float[] _values = new float[Length];
    private readonly int[] _indices = new int[Length];
    private ulong _counter;

    [Params(1, 0)]
    public int Threads { get; set; }

    private Accelerator Accelerator => Threads == 1 ? CpuAccelerator.Sequential : CpuAccelerator.Default;

    [Benchmark(OperationsPerInvoke = Length)]
    public void Uniform() => PhiloxFill.Uniform(_values, 7, 0, _counter++, Accelerator);

    [Benchmark(OperationsPerInvoke = Length)]
    public void Normal() => PhiloxFill.Normal(_values, 7, 1, _counter++, 0f, 1f, Accelerator);

    [Benchmark(OperationsPerInvoke = Length)]
    public void Index() => PhiloxFill.Index(_indices, 1_000_000, 7, 2, _counter++, Accelerator);
}
