using System;
using System.IO;
using System.Linq;
using System.Threading;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Environments;
using Mtrl.Runtime.Evaluation;
using Mtrl.Runtime.Replay;
using Spectre.Console;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary>The live display a terminal gets: the same log lines, and a bar describing speed, loss, evaluation and each task.</summary>
public sealed class LiveProgressTests
{
    private sealed class SteppingTrainer : ITrainer
    {
        private readonly EpisodeStatistics[] _tasks = Enumerable.Range(0, 3).Select(_ => new EpisodeStatistics(20)).ToArray();

        public Mtrl.Runtime.Profiling.TrainingProfile? Profile { get; set; }

        public SteppingTrainer()
        {
            _tasks[0].Add(-1, 2, terminated: true);
            _tasks[1].Add(-9, 9, terminated: false);
        }

        public long Transitions { get; private set; }

        public long TargetTransitions => 1_000;

        public long Updates => Transitions / 4;

        public double LastLoss => 0.25;

        public long SkippedUpdates => 0;

        public long NonFiniteTransitions => 0;

        public long SkippedTransitions => 0;

        public NonFiniteValue? LastNonFinite => null;

        public EpisodeStatistics Episodes { get; } = new();

        public ReadOnlySpan<EpisodeStatistics> TaskEpisodes => _tasks;

        public void Step() => Transitions += 10;

        public void Train(long? transitions = null, CancellationToken cancellation = default)
        {
            while (Transitions < (transitions ?? TargetTransitions)) Step();
        }

        public Checkpoint CreateCheckpoint() => throw new NotSupportedException();

        public void Restore(Checkpoint checkpoint) => throw new NotSupportedException();

        public ReplayBuffer Replay => throw new NotSupportedException();

        public void Resume(Checkpoint checkpoint) => throw new NotSupportedException();
        public System.Collections.Generic.IEnumerable<TNetwork> NetworksOf<TNetwork>() where TNetwork : class => [];
        public void Reinitialize(System.Collections.Generic.IReadOnlyList<Mtrl.Runtime.Parameters.ParameterSlice> slices, ulong seed) => throw new NotSupportedException();
    }

    [Fact]
    public void TheBarDescribesSpeedLossTheLastEvaluationAndEachTask()
    {
        var trainer = new SteppingTrainer();
        trainer.Train(500);
        var evaluation = new EvaluationResult(500, SuccessSignal.Termination, new[]
        {
            new TaskEvaluation(0, 5, -1, 0, 1.0, 2), new TaskEvaluation(1, 5, -5, 0, 0.4, 5), new TaskEvaluation(2, 5, -3, 0, 0.6, 3),
        });

        var text = LiveProgress.Describe(trainer, evaluation, 1234.4);

        Assert.Equal("500 · 1,234/s · loss 0.25 · eval 67% (worst 40%) · tasks 100% 0% –", text);
    }

    [Fact]
    public void LinesScrollAboveTheBarAndTheBarEndsAtTheRunsEnd()
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 160; // wide enough that the description is never wrapped
        var trainer = new SteppingTrainer();

        var steps = LiveProgress.Show(console, trainer.TargetTransitions, 0, live =>
        {
            Assert.Equal(2, live.RefreshEvery(trainer.TargetTransitions));
            for (var i = 0; i < 4; i++)
            {
                trainer.Train(trainer.Transitions + 250);
                live.Line($"log line {i}");
                live.Tick(trainer, null);
            }
            return trainer.Transitions;
        });

        Assert.Equal(1_000, steps);
        var shown = writer.ToString();
        for (var i = 0; i < 4; i++) Assert.Contains($"log line {i}", shown);
        // The rate depends on the clock; the rest of the description does not.
        Assert.Matches(@"1,000 · [0-9,]+/s · loss 0\.25 · tasks 100% 0% –", shown);
        Assert.Contains("100%", shown);
    }

    [Fact]
    public void RedirectedOutputGetsPlainLines() => Assert.False(ProgressSink.IsTerminal(new StringWriter()));
}
