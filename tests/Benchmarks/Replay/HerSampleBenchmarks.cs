using BenchmarkDotNet.Attributes;
using Mtrl.Kernels;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Replay;

namespace Mtrl.Benchmarks.Replay;

/// <summary>
/// HER sample + relabel (future strategy, k = 4, SB3's defaults) from a 200k and a 1M buffer of
/// 40-bit BitFlip episodes, on 1 and 2 threads — the workload peers/her_peer.py times for
/// stable-baselines3's HerReplayBuffer.sample — with observations and goals stored as float32
/// (160 bytes per row), UInt8 (40 bytes, SB3's int8 layout) or Bit (5 bytes), and the batch either
/// decoded to float32 or kept in the stored encoding (<see cref="BatchLayout.Encoded"/>, what SB3's
/// sample returns: int8 tensors, converted to float by the policy).
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

    [Params(HerStorage.Float32, HerStorage.UInt8, HerStorage.Bit, HerStorage.UInt8Encoded, HerStorage.BitEncoded)]
    public HerStorage Storage { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _accelerator = new CpuAccelerator(Threads);
        ColumnElementType type = Storage switch
        {
            HerStorage.UInt8 or HerStorage.UInt8Encoded => ColumnElementType.UInt8,
            HerStorage.Bit or HerStorage.BitEncoded => ColumnElementType.Bit,
            _ => ColumnElementType.Float32,
        };
        _buffer = BitFlipReplayData.Fill(Capacity, _accelerator, type);
        _batch = _buffer.CreateBatch(Batch, Storage is HerStorage.UInt8Encoded or HerStorage.BitEncoded ? BatchLayout.Encoded : BatchLayout.Decoded);
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

/// <summary>Storage of observations and goals, and the batch layout, of a <see cref="HerSampleBenchmarks"/> case.</summary>
public enum HerStorage
{
    /// <summary>Float32 columns, float32 batch.</summary>
    Float32,

    /// <summary>One byte per element, decoded to a float32 batch.</summary>
    UInt8,

    /// <summary>One bit per element, decoded to a float32 batch.</summary>
    Bit,

    /// <summary>One byte per element, batch kept as bytes (SB3's int8 batch).</summary>
    UInt8Encoded,

    /// <summary>One bit per element, batch kept bit-packed.</summary>
    BitEncoded,
}
