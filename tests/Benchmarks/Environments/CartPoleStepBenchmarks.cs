using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Mtrl.Kernels;
using Mtrl.Runtime.Environments;

namespace Mtrl.Benchmarks.Environments;

/// <summary>
/// One vector step of N CartPole-v1 environments (same-step autoreset included) with random
/// actions, on one thread and on two. The peer is Gymnasium's numpy CartPoleVectorEnv.step,
/// timed by tests/Benchmarks/peers/cartpole_peer.py with the same N and random actions.
/// Actions are drawn before timing from a pool of batches, as in the peer script.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Columns))]
public class CartPoleStepBenchmarks
{
    private const int ActionBatches = 64;

    private CpuAccelerator? _accelerator;
    private CartPoleVectorEnvironment? _environment;
    private int[][] _actions = [];
    private int _next;

    [Params(512, 4096)]
    public int Environments { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _accelerator = new CpuAccelerator(Threads);
        _environment = new CartPoleVectorEnvironment(Environments, accelerator: _accelerator);
        _environment.Reset(0);
        var random = new Random(0);
        _actions = new int[ActionBatches][];
        for (int b = 0; b < ActionBatches; b++)
        {
            _actions[b] = new int[Environments];
            for (int i = 0; i < Environments; i++)
            {
                _actions[b][i] = random.Next(2);
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _accelerator?.Dispose();

    [Benchmark]
    public void Step()
    {
        _environment!.Step(_actions[_next]);
        _next = (_next + 1) % ActionBatches;
    }

    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(StatisticColumn.Min, new EnvironmentStepsColumn(fromBest: false), new EnvironmentStepsColumn(fromBest: true));
    }
}
