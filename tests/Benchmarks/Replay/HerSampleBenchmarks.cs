using BenchmarkDotNet.Attributes;
using Mtrl.Kernels;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Replay;

namespace Mtrl.Benchmarks.Replay;

/// <summary>
/// HER sample + relabel (future strategy, k = 4, SB3's defaults) from a 200k and a 1M buffer of
/// 40-bit BitFlip episodes, on 1 and 2 threads — the workload peers/her_peer.py times for
/// stable-baselines3's HerReplayBuffer.sample.
/// </summary>
[MemoryDiagnoser]
public class HerSampleBenchmarks
{
    private ReplayBuffer _buffer = null!;
    private ReplayBatch _batch = null!;
    private CpuAccelerator _accelerator = null!;
    private readonly ThresholdGoalReward _reward = new(0f, terminateOnSuccess: true);

    [Params(200_000, 1_000_000)]
    public int Capacity { get; set; }

    [Params(256, 1024)]
    public int Batch { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _accelerator = new CpuAccelerator(Threads);
        _buffer = BitFlipReplayData.Fill(Capacity, _accelerator);
        _batch = _buffer.CreateBatch(Batch);
    }

    [GlobalCleanup]
    public void Cleanup() => _accelerator.Dispose();

    [Benchmark]
    public float SampleAndRelabel()
    {
        _buffer.SampleHer(_batch, HerOptions.Default, _reward);
        return _batch.Rewards[^1];
    }
}
