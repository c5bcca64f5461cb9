using System;
using BenchmarkDotNet.Attributes;
using Mtrl.Kernels;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;

namespace Mtrl.Benchmarks.Runtime;

/// <summary>
/// One multi-task SAC update of the generated agent in mt_sac_bench.mtrl (sample a batch from a
/// 100,000-transition replay, targets, both critics, actor, per-task temperatures, Polyak) — the
/// workload peers/torch_mtsac_update.py runs in PyTorch.
/// </summary>
[MemoryDiagnoser]
public class MtSacUpdateBenchmarks
{
    private CpuAccelerator _accelerator = null!;
    private SacTrainer _trainer = null!;

    [Params(128, 1280)]
    public int Batch { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _accelerator = new CpuAccelerator(Threads);
        OpenBlas.SetThreadCount(Threads);
        var environment = new RandomTransitions(10, MtSacBench.ObsWidth, MtSacBench.ActionSize, MtSacBench.Tasks, _accelerator);
        // A warm-up longer than the fill keeps the trainer collecting without updating.
        var options = MtSacBench.CreateSacOptions() with { BatchSize = Batch, Warmup = 1_000_000, ReplayCapacity = 100_000, Seed = 1 };
        _trainer = MtSacBench.CreateTrainer(environment, options, _accelerator);
        _trainer.Train(100_000);
        for (var i = 0; i < 5; i++) _trainer.UpdateOnce();
    }

    [GlobalCleanup]
    public void Cleanup() => _accelerator.Dispose();

    [Benchmark]
    public long Update()
    {
        _trainer.UpdateOnce();
        return _trainer.Updates;
    }
}

/// <summary>Environments whose observations and rewards are standard-normal draws and whose episodes are truncated after 50 steps: replay filler for update benchmarks.</summary>
internal sealed class RandomTransitions : IContinuousVectorEnvironment
{
    private const int EpisodeSteps = 50;
    private readonly Accelerator _accelerator;
    private long _steps;

    public RandomTransitions(int environments, int observation, int actions, int tasks, Accelerator accelerator)
    {
        _accelerator = accelerator;
        Buffers = new VectorStepBuffers(environments, observation);
        ActionSpace = ActionSpace.Continuous(actions, -1f, 1f);
        TaskCount = tasks;
        for (var i = 0; i < environments; i++) Buffers.TaskIds[i] = i % tasks;
    }

    public int EnvironmentCount => Buffers.EnvironmentCount;

    public int ObservationSize => Buffers.ObservationSize;

    public ActionSpace ActionSpace { get; }

    public int TaskCount { get; }

    public VectorStepBuffers Buffers { get; }

    public ulong Seed { get; private set; }

    public void Reset(ulong seed)
    {
        Seed = seed;
        _steps = 0;
        PhiloxFill.Normal(Buffers.Observations, seed, 0, 0, accelerator: _accelerator);
    }

    public void Step(ReadOnlySpan<float> actions)
    {
        _steps++;
        var finished = _steps % EpisodeSteps == 0;
        if (finished) Buffers.Observations.CopyTo(Buffers.FinalObservations, 0);
        PhiloxFill.Normal(Buffers.Observations, Seed, 1, (ulong)_steps * 64, accelerator: _accelerator);
        PhiloxFill.Normal(Buffers.Rewards, Seed, 2, (ulong)_steps, accelerator: _accelerator);
        Array.Fill(Buffers.Truncated, finished);
        Array.Fill(Buffers.Finished, finished);
        Array.Clear(Buffers.Terminated);
    }
}
