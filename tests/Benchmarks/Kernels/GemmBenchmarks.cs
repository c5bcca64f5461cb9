using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Mtrl.Kernels;

namespace Mtrl.Benchmarks.Kernels;

/// <summary>
/// Single-threaded SGEMM, managed SIMD kernels against OpenBLAS, at the shapes of a 400-unit MLP
/// layer's forward pass for batches of 128 and 1280 (target: managed ≥ 60% of OpenBLAS).
/// "Managed" is the best kernel for the CPU (AVX-512 where available), "Managed256" forces the
/// AVX2 kernel. Every variant is pinned to one thread: the managed ones run on
/// <see cref="CpuAccelerator.Sequential"/>, OpenBLAS is set to one thread.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class GemmBenchmarks
{
    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];

    [Params(128, 1280)]
    public int M { get; set; }

    [Params(400)]
    public int N { get; set; }

    [Params(400)]
    public int K { get; set; }

    [Params("Managed", "Managed256", "OpenBlas")]
    public string Backend { get; set; } = "Managed";

    [Params(GemmTranspose.None, GemmTranspose.Transpose)]
    public GemmTranspose TransB { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (Backend == "OpenBlas" && !OpenBlas.IsAvailable)
        {
            throw new InvalidOperationException("OpenBLAS is not installed (apt-get install libopenblas0).");
        }

        OpenBlas.SetThreadCount(1);
        var random = new Random(42);
        _a = new float[M * K];
        _b = new float[K * N];
        _c = new float[M * N];
        for (int i = 0; i < _a.Length; i++)
        {
            _a[i] = (float)random.NextDouble() - 0.5f;
        }

        for (int i = 0; i < _b.Length; i++)
        {
            _b[i] = (float)random.NextDouble() - 0.5f;
        }
    }

    [Benchmark]
    public void Multiply()
        => Gemm.Multiply(
            GemmTranspose.None, TransB, M, N, K, 1f, _a, K, _b, TransB == GemmTranspose.None ? N : K, 0f, _c, N, GemmEpilogue.None,
            Backend == "OpenBlas" ? GemmBackend.OpenBlas : GemmBackend.Managed,
            CpuAccelerator.Sequential,
            Backend == "Managed256" ? ManagedGemmKernel.Vector256 : ManagedGemmKernel.Auto);

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(new GflopsColumn());
    }
}
