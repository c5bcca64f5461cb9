using System;
using BenchmarkDotNet.Attributes;
using Mtrl.Kernels;

namespace Mtrl.Benchmarks.Kernels;

/// <summary>
/// Cost of a launch itself — inline versus fanned out over the workers — with a trivial kernel
/// over 64 Ki floats, and proof (MemoryDiagnoser) that launches allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class AcceleratorLaunchBenchmarks
{
    private readonly float[] _data = new float[1 << 16];
    private CpuAccelerator _accelerator = CpuAccelerator.Sequential;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => _accelerator = Threads == 1 ? CpuAccelerator.Sequential : new CpuAccelerator(Threads);

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_accelerator != CpuAccelerator.Sequential)
        {
            _accelerator.Dispose();
        }
    }

    [Benchmark]
    public void Launch1D() => _accelerator.Launch(_data.Length, new AddOneKernel(_data));

    [Benchmark]
    public void LaunchChunked() => _accelerator.LaunchChunked(_data.Length, new ScaleRangeKernel(_data));

    private readonly struct AddOneKernel(float[] data) : IKernel1D
    {
        public void Execute(int i) => data[i] += 1f;
    }

    private readonly struct ScaleRangeKernel(float[] data) : IRangeKernel
    {
        public void Execute(int start, int end) => VectorOps.Scale(data.AsSpan(start, end - start), 1f);
    }
}
