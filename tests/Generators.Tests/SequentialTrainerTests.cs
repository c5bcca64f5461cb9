using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Mtrl.Contracts;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Replay;
using Mtrl.Runtime.Transfer;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// Sequential schedules on generated agents: progressive columns frozen bit for bit, PathNet's
/// winning pathway frozen and the rest re-initialised, every task evaluated after every stage,
/// and a schedule resumed mid-stage continuing bit-identically.
/// </summary>
public sealed class SequentialTrainerTests
{
    private const string Progressive = """
        agent Prog {
          tasks: 2
          input state: 4
          action: discrete(2)
          network q {
            h = progressive(state, widths: [16, 16], reduction: 4)
            out q = q_values(h, per_task: true)
          }
          train dqn { lr: 1e-3  batch: 32  warmup: 64  train_every: 2  target_update_every: 50  epsilon_decay_steps: 200  seed: 5
                      schedule: sequential(steps_per_task: 240) }
          replay { capacity: 2_000 }
        }
        """;

    private const string PathNet = """
        agent Path {
          tasks: 2
          input state: 4
          action: discrete(2)
          network q {
            h = pathnet(state, layers: 2, modules: 5, active: 2, width: 8)
            out q = q_values(h, per_task: true)
          }
          train dqn { lr: 1e-3  batch: 32  warmup: 64  train_every: 2  target_update_every: 50  epsilon_decay_steps: 200  seed: 9
                      schedule: sequential(steps_per_task: 320) }
          replay { capacity: 2_000 }
          evolution { population: 4  steps_per_evaluation: 40 }
        }
        """;

    /// <summary>CreateSequentialTrainer of the agent on 4 CartPole environments per stage, all running the stage's task (CartPole-v1, then the long heavy pole).</summary>
    private static Func<SequentialOptions?, SequentialTrainer> Factory(string spec, string agent)
    {
        var (_, output, diagnostics) = GeneratorHarness.Run(new[] { new MtrlText("/specs/sequential.mtrl", spec) }, null, $$"""
            namespace Consumer;
            public static class Driver
            {
                public static global::Mtrl.Runtime.Transfer.SequentialTrainer Create(global::Mtrl.Runtime.Transfer.SequentialOptions? sequential) =>
                    Consumer.Agents.{{agent}}.CreateSequentialTrainer(
                        task => new global::Mtrl.Runtime.Environments.CartPoleVectorEnvironment(4,
                            new global::Mtrl.Runtime.Environments.CartPoleOptions { Tasks = global::Mtrl.Runtime.Environments.CartPoleTaskSuite.Two },
                            global::Mtrl.Kernels.CpuAccelerator.Sequential, new[] { task, task, task, task }),
                        accelerator: global::Mtrl.Kernels.CpuAccelerator.Sequential,
                        sequential: sequential);
                public static global::Mtrl.Runtime.Transfer.SequentialOptions Options() => Consumer.Agents.{{agent}}.CreateSequentialOptions();
            }
            """);
        Assert.Empty(diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        var driver = Assembly.Load(stream.ToArray()).GetType("Consumer.Driver")!;
        var defaults = (SequentialOptions)driver.GetMethod("Options")!.Invoke(null, null)!;
        return options => (SequentialTrainer)driver.GetMethod("Create")!.Invoke(null, new object?[] { options ?? defaults with { Evaluation = new() { EpisodesPerTask = 2 } } })!;
    }

    private static DqnTrainer Stage(SequentialTrainer trainer) => (DqnTrainer)trainer.StageTrainer;

    [Fact]
    public void ProgressiveColumnsTrainOneAfterAnotherAndEarlierColumnsStayBitIdentical()
    {
        var trainer = Factory(Progressive, "Prog")(null);
        Assert.Equal(2, trainer.Tasks);
        Assert.Equal(480, trainer.TargetTransitions);
        Assert.Equal(1, trainer.EvaluableTasks);

        var first = Stage(trainer);
        while (trainer.Stage == 0) trainer.Step();
        Assert.Equal(240, trainer.Transitions);
        var layout = first.Parameters.Layout;
        var column0 = layout.Slices.Where(s => s.Owner == ParameterOwner.Column(0) || s.Owner == ParameterOwner.Task(0)).ToList();
        var column1 = layout.Slices.Where(s => s.Owner == ParameterOwner.Column(1)).ToList();
        Assert.NotEmpty(column0);
        Assert.NotEmpty(column1);

        // The next stage's trainer starts from what stage 0 learned, column 0 frozen and column 1 active.
        var second = Stage(trainer);
        Assert.NotSame(first, second);
        Assert.Equal(2, trainer.EvaluableTasks);
        Assert.Equal(first.Parameters.Values, second.Parameters.Values);
        var progressive = second.NetworksOf<IProgressiveNetwork>().ToList();
        Assert.Equal(2, progressive.Count); // online and target
        Assert.All(progressive, p => Assert.True(p.IsColumnFrozen(0)));
        Assert.All(progressive, p => Assert.False(p.IsColumnFrozen(1)));
        var values = second.Parameters.Values.ToArray();
        var m = second.Optimizer.FirstMoment.ToArray();
        var v = second.Optimizer.SecondMoment.ToArray();

        trainer.Train();
        Assert.True(trainer.IsFinished);
        Assert.Equal(480, trainer.Transitions);
        Assert.True(second.Updates > 50);
        foreach (var slice in column0)
        {
            Assert.True(second.Parameters.ValuesOf(slice).SequenceEqual(values.AsSpan(slice.Offset, slice.Length)), slice.Name);
            Assert.True(second.Optimizer.FirstMoment.AsSpan(slice.Offset, slice.Length).SequenceEqual(m.AsSpan(slice.Offset, slice.Length)), slice.Name);
            Assert.True(second.Optimizer.SecondMoment.AsSpan(slice.Offset, slice.Length).SequenceEqual(v.AsSpan(slice.Offset, slice.Length)), slice.Name);
        }
        Assert.Contains(column1, s => !second.Parameters.ValuesOf(s).SequenceEqual(values.AsSpan(s.Offset, s.Length)));

        // Every task the network could run was evaluated after every stage.
        Assert.Equal(2, trainer.Results.Count);
        Assert.Equal(new[] { 0 }, trainer.Results[0].Evaluation.Tasks.Select(t => t.Task));
        Assert.Equal(new[] { 0, 1 }, trainer.Results[1].Evaluation.Tasks.Select(t => t.Task));
        Assert.All(trainer.Results, r => Assert.Equal(r.Stage, r.Curve[^1].Evaluation.Task));
        Assert.Equal(new long[] { 240, 480 }, trainer.Results.Select(r => r.Transitions));
        Assert.All(trainer.Results.SelectMany(r => r.Evaluation.Tasks), t => Assert.True(t.MeanReturn >= 1 && t.Episodes == 2));
    }

    [Fact]
    public void PathNetFreezesTheBestPathwayReinitialisesTheRestAndTrainsTheNextTaskAroundIt()
    {
        var trainer = Factory(PathNet, "Path")(null);
        var evolution = trainer.Evolution!;
        var first = Stage(trainer);
        Assert.Equal(4, evolution.Population);
        // 320 transitions in windows of 40: 8 contestants, 4 tournaments of 2.
        while (trainer.Stage == 0)
        {
            var before = evolution.Tournaments;
            trainer.Step();
            if (trainer.Stage == 0) Assert.InRange(evolution.Tournaments - before, 0, 1);
        }
        Assert.Equal(4, evolution.Tournaments);
        var best = evolution.Best;
        Assert.False(double.IsNaN(evolution.Fitness(best)));
        var grid = first.NetworksOf<IPathNetNetwork>().First();
        var expected = Enumerable.Range(0, 2).Select(layer => evolution.Genotype(best).Slice(layer * 2, 2).ToArray().Distinct().OrderBy(x => x).ToArray()).ToArray();
        for (var layer = 0; layer < 2; layer++) Assert.Equal(expected[layer], grid.GetPathway(0, layer));

        var second = Stage(trainer);
        var secondGrid = second.NetworksOf<IPathNetNetwork>().First();
        for (var layer = 0; layer < 2; layer++) Assert.Equal(expected[layer], secondGrid.GetPathway(0, layer));
        var layout = second.Parameters.Layout;
        var frozen = layout.Slices.Where(s => s.Owner.Kind == ParameterOwnerKind.Module && expected[s.Owner.Index].Contains(s.Owner.Index2)).ToList();
        var free = layout.Slices.Where(s => s.Owner.Kind == ParameterOwnerKind.Module && !expected[s.Owner.Index].Contains(s.Owner.Index2)).ToList();
        Assert.All(frozen, s => Assert.True(second.Parameters.IsFrozen(s), s.Name));
        Assert.All(free, s => Assert.False(second.Parameters.IsFrozen(s), s.Name));
        Assert.Equal(free.Select(s => s.Name).OrderBy(n => n), secondGrid.UnfrozenModuleSlices().Select(s => s.Name).OrderBy(n => n));
        // Modules off the pathway start over: fresh values, online and target alike, and no optimizer moments.
        foreach (var slice in free)
        {
            Assert.True(second.Parameters.ValuesOf(slice).SequenceEqual(second.TargetParameters.ValuesOf(slice)), slice.Name);
            Assert.All(second.Optimizer.FirstMoment.AsSpan(slice.Offset, slice.Length).ToArray(), x => Assert.Equal(0f, x));
        }
        var values = second.Parameters.Values.ToArray();
        trainer.Train();
        Assert.True(trainer.IsFinished);
        foreach (var slice in frozen) Assert.True(second.Parameters.ValuesOf(slice).SequenceEqual(values.AsSpan(slice.Offset, slice.Length)), slice.Name);
        Assert.Contains(free, s => !second.Parameters.ValuesOf(s).SequenceEqual(values.AsSpan(s.Offset, s.Length)));
        // PathNet can run every task at every stage, so task 1 is also evaluated zero-shot after stage 0.
        Assert.Equal(new[] { 0, 1 }, trainer.Results[0].Evaluation.Tasks.Select(t => t.Task));
    }

    [Theory]
    [InlineData("Prog", 100)]
    [InlineData("Prog", 300)]
    [InlineData("Path", 180)]
    [InlineData("Path", 420)]
    [InlineData("Path", 180, LoserUpdates.Discard)]
    [InlineData("Path", 220, LoserUpdates.Discard)]
    [InlineData("Path", 420, LoserUpdates.Discard)]
    public void AScheduleResumedMidStageContinuesBitIdentically(string agent, long stopAt, LoserUpdates losers = LoserUpdates.Keep)
    {
        var create = Factory(agent == "Prog" ? Progressive : PathNet, agent);
        var options = new SequentialOptions
        {
            StepsPerTask = agent == "Prog" ? 240 : 320, EvaluateEvery = 80, Evaluation = new() { EpisodesPerTask = 2 }, Seed = 3,
            Evolution = new() { Population = 4, StepsPerEvaluation = 40, LoserUpdates = losers },
        };

        var straight = create(options);
        straight.Train();

        var first = create(options);
        first.Train(stopAt);
        var replay = Path.GetTempFileName();
        var saved = Path.GetTempFileName();
        try
        {
            CheckpointFile.Save(saved, first.CreateCheckpoint());
            var checkpoint = CheckpointFile.Load(saved);
            first.Replay.Save(replay);
            var resumed = create(options);
            resumed.Resume(checkpoint);
            ReplayBufferFile.LoadInto(replay, resumed.Replay);
            Assert.Equal(first.Transitions, resumed.Transitions);
            Assert.Equal(first.Stage, resumed.Stage);
            resumed.Train();

            Assert.Equal(straight.Transitions, resumed.Transitions);
            Assert.Equal(straight.Updates, resumed.Updates);
            Assert.Equal(Stage(straight).Parameters.Values, Stage(resumed).Parameters.Values);
            Assert.Equal(Stage(straight).Optimizer.FirstMoment, Stage(resumed).Optimizer.FirstMoment);
            Assert.Equal(straight.Results.Count, resumed.Results.Count);
            for (var i = 0; i < straight.Results.Count; i++)
            {
                Assert.Equal(straight.Results[i].Evaluation.Tasks, resumed.Results[i].Evaluation.Tasks);
                Assert.Equal(straight.Results[i].Curve, resumed.Results[i].Curve);
            }
            // Before any training in the stage, every 80 transitions within it, and at its end.
            Assert.Equal(options.StepsPerTask / 80 + 1, straight.Results[0].Curve.Count);
            Assert.Equal(Enumerable.Range(0, (int)(options.StepsPerTask / 80) + 1).Select(k => k * 80L), straight.Results[0].Curve.Select(p => p.StageTransitions));
        }
        finally
        {
            File.Delete(replay);
            File.Delete(saved);
        }
    }

    [Theory]
    [InlineData(3UL)]
    [InlineData(4UL)]
    public void WithLosersDiscardedEveryContestantStartsFromTheTournamentsStartAndOnlyTheWinnersTrainingStays(ulong seed)
    {
        var create = Factory(PathNet, "Path");
        SequentialOptions Options(LoserUpdates losers) => new()
        {
            StepsPerTask = 320, EvaluateEvery = 0, Evaluation = new() { EpisodesPerTask = 2 }, Seed = seed,
            // Windows of 80 transitions: the first contestant's ends after the 64-transition warm-up, so it trains.
            Evolution = new() { Population = 4, StepsPerEvaluation = 80, LoserUpdates = losers },
        };
        // Until the first contestant's window ends both runs are the same; the paper's run then shows what it trained to.
        var discarding = create(Options(LoserUpdates.Discard));
        var keeping = create(Options(LoserUpdates.Keep));
        var evolution = discarding.Evolution!;
        var first = evolution.Contestants[0];
        var start = Stage(discarding).CreateCheckpoint();
        while (evolution.Position == 0)
        {
            discarding.Step();
            keeping.Step();
        }
        var trainedByFirst = Stage(keeping).Parameters.Values.ToArray();
        Assert.NotEqual(start.Arrays["parameters"], trainedByFirst);
        Assert.Equal(start.Arrays["parameters"], Stage(discarding).Parameters.Values);
        Assert.Equal(start.Arrays["target"], Stage(discarding).TargetParameters.Values);
        Assert.Equal(start.Arrays["adam.m"], Stage(discarding).Optimizer.FirstMoment);

        while (evolution.Tournaments == 0) discarding.Step();
        var kept = Stage(discarding).Parameters.Values;
        if (evolution.LastWinner == first)
        {
            Assert.Equal(trainedByFirst, kept);
        }
        else
        {
            // The second contestant won: what it trained to from the start, neither the start nor the first's.
            Assert.NotEqual(trainedByFirst, kept.ToArray());
            Assert.NotEqual(start.Arrays["parameters"], kept.ToArray());
        }
        // Both branches are covered: with seed 4 the first contestant wins, with seed 3 the second.
        Assert.Equal(seed == 4UL, evolution.LastWinner == first);
    }

    private const string FineTuned = """
        agent Plain {
          tasks: 2
          input cells: 169
          action: discrete(4)
          network q {
            out q = q_values(mlp(cells, widths: [128]))
          }
          train dqn { lr: 1e-3  batch: 64  warmup: 1_000  train_every: 1  target_update_every: 500  epsilon_decay_steps: 8_000  seed: 1
                      schedule: sequential(steps_per_task: 16_000) }
          replay { capacity: 32_000 }
        }
        """;

    [Fact]
    public void ASequentialRunTransfersForwardOnATinyTaskPair()
    {
        // Two GridWorld tasks with the same goal: whatever stage 0 learned carries into stage 1,
        // whose curve must start where stage 0 ended instead of where stage 0 began.
        var (_, output, diagnostics) = GeneratorHarness.Run(new[] { new MtrlText("/specs/plain.mtrl", FineTuned) }, null, """
            namespace Consumer;
            public static class Driver
            {
                public static global::Mtrl.Runtime.Transfer.SequentialTrainer Create()
                {
                    var rooms = global::Mtrl.Runtime.Environments.GridWorldLayout.FourRooms();
                    var options = new global::Mtrl.Runtime.Environments.GridWorldOptions
                    {
                        Layout = new global::Mtrl.Runtime.Environments.GridWorldLayout(rooms.Rows, new[] { rooms.TaskGoals[0], rooms.TaskGoals[0] }),
                    };
                    return Consumer.Agents.Plain.CreateSequentialTrainer(
                        task => new global::Mtrl.Runtime.Environments.GridWorldVectorEnvironment(8, options, new[] { task, task, task, task, task, task, task, task }, global::Mtrl.Kernels.CpuAccelerator.Sequential),
                        accelerator: global::Mtrl.Kernels.CpuAccelerator.Sequential,
                        sequential: Consumer.Agents.Plain.CreateSequentialOptions() with { EvaluateEvery = 4_000, Evaluation = new() { EpisodesPerTask = 8 } });
                }
            }
            """);
        Assert.Empty(diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        using var stream = new MemoryStream();
        Assert.True(output.Emit(stream).Success);
        var trainer = (SequentialTrainer)Assembly.Load(stream.ToArray()).GetType("Consumer.Driver")!.GetMethod("Create")!.Invoke(null, null)!;

        trainer.Train();

        var curves = trainer.Results.Select(r => (IReadOnlyList<CurvePoint>)r.Curve.Select(p => new CurvePoint(p.StageTransitions, p.Evaluation.SuccessRate)).ToList()).ToList();
        var first = TransferMetrics.AreaUnderCurve(curves[0], trainer.StageBudget);
        var second = TransferMetrics.AreaUnderCurve(curves[1], trainer.StageBudget);
        // Stage 0 is task 1's from-scratch run here (same goal, same seed offset aside): forward transfer is positive.
        Assert.True(TransferMetrics.ForwardTransfer(second, first) > 0.2, $"AUC stage 0 {first:F3}, stage 1 {second:F3}; curves {string.Join(" | ", curves.Select(c => string.Join(" ", c.Select(p => $"{p.Transitions}:{p.Value:F2}"))))}");
        Assert.True(trainer.Results[1].Evaluation.Tasks[0].SuccessRate >= 0.75, "fine-tuning kept task 0 on the same goal");
    }

    [Fact]
    public void ADamagedScheduleCheckpointIsRefusedAndChangesNothing()
    {
        var create = Factory(Progressive, "Prog");
        var trainer = create(null);
        trainer.Train(300);
        var checkpoint = trainer.CreateCheckpoint();
        var fresh = create(null);
        checkpoint.Integers["sequential.results"] = new long[] { 5, 1 };
        Assert.Throws<CheckpointException>(() => fresh.Resume(checkpoint));
        Assert.Equal(0, fresh.Stage);
        Assert.Equal(0, fresh.Transitions);
        checkpoint.Counters["sequential.stage"] = 7;
        var error = Assert.Throws<CheckpointException>(() => fresh.Resume(checkpoint));
        Assert.Contains("stage 7", error.Message);
    }
}
