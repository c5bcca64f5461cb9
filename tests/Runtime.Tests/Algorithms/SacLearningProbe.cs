using System;
using Mtrl.Kernels;
using Mtrl.Runtime.Algorithms;
using Xunit;
using Xunit.Abstractions;

namespace Mtrl.Runtime.Tests.Algorithms;

public sealed class SacLearningProbe
{
    private readonly ITestOutputHelper _output;
    public SacLearningProbe(ITestOutputHelper output) => _output = output;

    [Fact]
    public void Td3Her()
    {
        using var one = new CpuAccelerator(1);
        var env = ActorCriticAgents.PointMass(8, 1, sparse: true, accelerator: one);
        var td3 = ActorCriticAgents.Td3(env, new Td3Options { BatchSize = 128, Warmup = 1000, Seed = 3, ReplayCapacity = 100_000, Gamma = 0.98, Her = new Mtrl.Runtime.Replay.HerOptions(Mtrl.Kernels.Replay.HerGoalStrategy.Future, 4) }, 64, one);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var k = 1; k <= 8; k++)
        {
            td3.Train(k * 3000);
            _output.WriteLine($"td3 {td3.Transitions} succ {td3.Episodes.TerminationRate:P0} ret {td3.Episodes.MeanReturn:F2} len {td3.Episodes.MeanLength:F1} loss {td3.LastLoss:G3} actor {td3.LastActorLoss:G3} {watch.Elapsed.TotalSeconds:F1}s");
        }
    }

    [Fact]
    public void MultiTask()
    {
        using var one = new CpuAccelerator(1);
        var env = ActorCriticAgents.PointMass(10, 10, accelerator: one);
        var sac = ActorCriticAgents.Sac(env, new SacOptions { BatchSize = 256, Warmup = 2000, Seed = 3, LearningRate = 1e-3f, ReplayCapacity = 200_000, Gamma = 0.98, Alpha = TemperatureMode.PerTask, Sampling = ReplaySampling.TaskBalanced }, 64, one);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var k = 1; k <= 8; k++)
        {
            sac.Train(k * 5000);
            var worst = 1.0;
            for (var t = 0; t < 10; t++) worst = Math.Min(worst, sac.TaskEpisodes[t].TerminationRate);
            _output.WriteLine($"mt {sac.Transitions} succ {sac.Episodes.TerminationRate:P0} worst {worst:P0} ret {sac.Episodes.MeanReturn:F2} loss {sac.LastLoss:G3} {watch.Elapsed.TotalSeconds:F1}s");
        }
    }

    [Fact]
    public void Probe()
    {
        using var one = new CpuAccelerator(1);
        var env = ActorCriticAgents.PointMass(8, 1, accelerator: one);
        var sac = ActorCriticAgents.Sac(env, new SacOptions { BatchSize = 128, Warmup = 1000, Seed = 3, LearningRate = 1e-3f, ReplayCapacity = 100_000, Gamma = 0.98 }, 64, one);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var k = 1; k <= 10; k++)
        {
            sac.Train(k * 3000);
            _output.WriteLine($"{sac.Transitions} succ {sac.Episodes.TerminationRate:P0} ret {sac.Episodes.MeanReturn:F2} len {sac.Episodes.MeanLength:F1} loss {sac.LastLoss:G3} actor {sac.LastActorLoss:G3} alpha {sac.AlphaOf(0):G3} {watch.Elapsed.TotalSeconds:F1}s");
        }
    }
}
