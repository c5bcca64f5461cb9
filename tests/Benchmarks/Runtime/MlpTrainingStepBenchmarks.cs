using System;
using BenchmarkDotNet.Attributes;
using Mtrl.Kernels;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Optimization;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Benchmarks.Runtime;

/// <summary>
/// One training step of the MLP 49→400→400→400→8 (ReLU), MSE loss, forward + backward + Adam —
/// the same workload as peers/torch_mlp_step.py runs in PyTorch.
/// </summary>
[MemoryDiagnoser]
public class MlpTrainingStepBenchmarks
{
    private Sequential _network = null!;
    private ParameterStore _store = null!;
    private Adam _adam = null!;
    private CpuAccelerator _accelerator = null!;
    private float[] _input = [];
    private float[] _target = [];
    private float[] _gradient = [];

    [Params(1, 32, 128, 1280)]
    public int Batch { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [Params(GemmBackend.Managed, GemmBackend.OpenBlas)]
    public GemmBackend Gemm { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _accelerator = new CpuAccelerator(Threads);
        if (Gemm == GemmBackend.OpenBlas) OpenBlas.SetThreadCount(Threads);
        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "mlp", 49).Mlp(new[] { 400, 400, 400 }).Linear(8);
        _store = new ParameterStore(builder.Build());
        _store.Initialize(1);
        _network = chain.Bind(_store, Batch);
        _network.UseGemm(Gemm, _accelerator);
        _adam = new Adam(_store, new AdamOptions(LearningRate: 1e-4f), _accelerator);
        _input = new float[Batch * 49];
        _target = new float[Batch * 8];
        _gradient = new float[Batch * 8];
        PhiloxFill.Normal(_input, 1, 0, 0);
        PhiloxFill.Normal(_target, 1, 1, 0);
    }

    [GlobalCleanup]
    public void Cleanup() => _accelerator.Dispose();

    [Benchmark(Baseline = true)]
    public double TrainingStep()
    {
        _store.ZeroGradients();
        var y = _network.Forward(_input, Batch);
        var loss = Mtrl.Runtime.Losses.Loss.MeanSquaredError(y, _target, _gradient, y.Length);
        _network.Backward(_gradient);
        _adam.Step();
        return loss;
    }

    /// <summary>
    /// The same step with backward and Adam fused per layer (<see cref="Sequential.BackwardAndStep"/>):
    /// bit-identical parameters; at batches above <see cref="Mtrl.Runtime.Layers.Linear.FusedBatchLimit"/>
    /// it runs the unfused sequence.
    /// </summary>
    [Benchmark]
    public double FusedTrainingStep()
    {
        var y = _network.Forward(_input, Batch);
        var loss = Mtrl.Runtime.Losses.Loss.MeanSquaredError(y, _target, _gradient, y.Length);
        _network.BackwardAndStep(_gradient, _adam);
        return loss;
    }
}
