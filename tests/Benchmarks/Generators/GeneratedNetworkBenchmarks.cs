using System;
using BenchmarkDotNet.Attributes;
using Mtrl.Kernels;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Benchmarks.Generators;

/// <summary>
/// Forward + backward of the 3×400 MLP as the generator emits it (from mlp_400.mtrl) against the
/// same network composed by hand with <see cref="SequentialBuilder"/>, on identical parameters and one thread:
/// the generated schedule should cost nothing extra (target: within 5 %, zero allocations).
/// </summary>
[MemoryDiagnoser]
public class GeneratedNetworkBenchmarks
{
    private MlpBench.QNetwork _generated = null!;
    private ParameterStore _generatedStore = null!;
    private Sequential _handComposed = null!;
    private ParameterStore _handStore = null!;
    private float[] _input = [];
    private float[] _outputGradient = [];
    private CpuAccelerator _accelerator = null!;

    [Params(1, 128, 1280)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _accelerator = new CpuAccelerator(1);
        _generatedStore = new ParameterStore(MlpBench.CreateLayout());
        _generatedStore.Initialize(3);
        _generated = new MlpBench.QNetwork(_generatedStore, Batch);
        _generated.UseGemm(GemmBackend.Auto, _accelerator);

        var builder = new ParameterLayoutBuilder();
        var chain = new SequentialBuilder(builder, "mlp", 49).Mlp(new[] { 400, 400, 400 }).Linear(8);
        _handStore = new ParameterStore(builder.Build());
        _handComposed = chain.Bind(_handStore, Batch);
        _handComposed.UseGemm(GemmBackend.Auto, _accelerator);
        CopyParameters(_generatedStore, _handStore);

        _input = new float[Batch * 49];
        _outputGradient = new float[Batch * 8];
        PhiloxFill.Normal(_input, 1, 0, 0);
        PhiloxFill.Normal(_outputGradient, 1, 1, 0);

        var generated = _generated.Forward(_input, Batch).ToArray();
        var hand = _handComposed.Forward(_input, Batch).ToArray();
        for (var i = 0; i < generated.Length; i++)
        {
            if (generated[i] != hand[i]) throw new InvalidOperationException($"the two networks disagree at output {i}: {generated[i]} vs {hand[i]}");
        }
    }

    /// <summary>Slices in layout order; both layouts list weight, bias per layer.</summary>
    private static void CopyParameters(ParameterStore from, ParameterStore to)
    {
        var source = from.Layout.Slices;
        var target = to.Layout.Slices;
        if (source.Count != target.Count) throw new InvalidOperationException("layouts differ in slice count");
        for (var i = 0; i < source.Count; i++)
        {
            if (source[i].Rows != target[i].Rows || source[i].Columns != target[i].Columns) throw new InvalidOperationException($"slice {i} differs in shape");
            from.ValuesOf(source[i]).CopyTo(to.ValuesOf(target[i]));
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _accelerator.Dispose();

    [Benchmark(Baseline = true)]
    public void HandComposed()
    {
        _handComposed.Forward(_input, Batch);
        _handComposed.Backward(_outputGradient);
    }

    [Benchmark]
    public void Generated()
    {
        _generated.Forward(_input, Batch);
        _generated.Backward(_outputGradient);
    }
}
