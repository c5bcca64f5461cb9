using System;
using BenchmarkDotNet.Attributes;
using Mtrl.Contracts;
using Mtrl.Kernels;

namespace Mtrl.Benchmarks.Projection;

/// <summary>
/// PCGrad over T = 10 task gradients of P = 1,000,000 shared parameters, mean reduction, with
/// Philox-drawn orders — the workload peers/pcgrad_peer.py times with Pytorch-PCGrad's
/// <c>_project_conflicting</c> (target: ≥ 20× faster at the same thread count). Bytes-moved floor:
/// the gradients are read twice (Gram pass, combination pass) and the output written once,
/// 2·T·P·4 + P·4 = 84 MB per call. "Blocked" is the default Gram kernel, "Gemm" one
/// Gemm.Multiply with transB (OpenBLAS here, set to the same thread count). CAGrad (c = 0.4) is
/// the same two passes plus a T×T solve.
/// </summary>
[MemoryDiagnoser]
public class PcGradBenchmarks
{
    private float[] _gradients = [];
    private float[] _output = [];
    private ProjectionWorkspace _workspace = null!;
    private CpuAccelerator _accelerator = null!;
    private ulong _counter;

    [Params(10)]
    public int Tasks { get; set; }

    [Params(1_000_000)]
    public int Parameters { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [Params(GramMethod.Blocked, GramMethod.Gemm)]
    public GramMethod Gram { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _accelerator = new CpuAccelerator(Threads);
        OpenBlas.SetThreadCount(Threads);
        _gradients = GC.AllocateArray<float>(Tasks * Parameters, pinned: true);
        _output = GC.AllocateArray<float>(Parameters, pinned: true);
        PhiloxFill.Normal(_gradients, 1, 0, 0);
        _workspace = new ProjectionWorkspace(Tasks, Parameters);
    }

    [GlobalCleanup]
    public void Cleanup() => _accelerator.Dispose();

    [Benchmark(Baseline = true)]
    public void PcGradProject()
    {
        PcGrad.Project(_gradients, Tasks, Parameters, 7, 3, _counter, GradientReduction.Mean, _output, _workspace, _accelerator, Gram);
        _counter += PcGradOrders.CountersUsed(Tasks);
    }

    [Benchmark]
    public void CaGradCombine()
        => CaGrad.Combine(_gradients, Tasks, Parameters, 0.4, GradientReduction.Mean, _output, CaGradRescale.OnePlusCSquared, _workspace, _accelerator, Gram);
}
