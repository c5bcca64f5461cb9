using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mtrl.Runs;
using Mtrl.Runtime.Checkpoints;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary>
/// Sequential schedules on the command line: <c>mtrl train</c> trains the tasks one after another
/// and reports every task after every stage, resumes mid-schedule to the same record, and
/// <c>mtrl transfer</c> measures a schedule against from-scratch runs and a fine-tuning baseline.
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class SequentialCommandTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-sequential-" + Guid.NewGuid().ToString("N"));

    public SequentialCommandTests()
    {
        Directory.CreateDirectory(_directory);
        Environment.SetEnvironmentVariable("MTRL_CACHE_DIR", Path.Combine(_directory, "cache"));
        Environment.SetEnvironmentVariable("MTRL_RUNS_DIR", Path.Combine(_directory, "runs"));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Example(string folder, string name) => Path.Combine(AppContext.BaseDirectory, folder, name);

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private const string SmallProgressive = """
        agent Prog {
          tasks: 2
          input state: 4
          action: discrete(2)
          network q {
            h = progressive(state, widths: [16], reduction: 4)
            out q = q_values(h, per_task: true)
          }
          train dqn { lr: 1e-3  batch: 32  warmup: 100  target_update_every: 100  epsilon_decay_steps: 400  seed: 2
                      schedule: sequential(steps_per_task: 600) }
          replay { capacity: 5_000 }
        }
        """;

    [Fact]
    public void TheProgressiveExampleTrainsItsTasksInSequenceAndReportsEveryTaskAfterEveryStage()
    {
        var (code, output, error) = Run("train", Example("specs", "progressive_dqn.mtrl"), "--env", "gridworld", "--steps", "800", "--envs", "4", "--eval-episodes", "1");

        Assert.True(code == 0, error);
        for (var stage = 0; stage < 4; stage++) Assert.Contains($"stage {stage} (task {stage}) ended at {(stage + 1) * 200:N0} transitions", output);
        Assert.Contains("greedy return (success) of each task after each stage", output);
        var run = Directory.GetDirectories(Path.Combine(_directory, "runs")).Single();
        var stages = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "stages.json")))!["stages"]!.AsArray();
        Assert.Equal(4, stages.Count);
        // A progressive network runs only the tasks whose columns exist: after stage k, tasks 0..k.
        Assert.Equal(new[] { 1, 2, 3, 4 }, stages.Select(s => s!["tasks"]!.AsArray().Count));
        Assert.All(stages, s => Assert.NotEmpty(s!["curve"]!.AsArray()));

        // mtrl eval rebuilds the last stage (all four columns) and evaluates every task.
        var (evaluated, evaluation, evalError) = Run("eval", run, "--episodes", "1");
        Assert.True(evaluated == 0, evalError);
        Assert.Contains("at 800 transitions", evaluation);
        for (var task = 0; task < 4; task++) Assert.Matches($@"(?m)^\s+{task}\s", evaluation);

        // --task trains one task; a sequential schedule trains all of them in turn.
        var (refused, _, refusal) = Run("train", Example("specs", "progressive_dqn.mtrl"), "--env", "gridworld", "--task", "1");
        Assert.Equal(2, refused);
        Assert.Contains("--task trains one task, but agent 'ProgressiveGridWorld' has a sequential schedule", refusal);
    }

    [Fact]
    public void ASequentialRunResumedMidStageWritesTheSameMetricsAsAnUninterruptedOne()
    {
        var spec = Path.Combine(_directory, "prog.mtrl");
        File.WriteAllText(spec, SmallProgressive);
        TrainRequest Request(string runs) => new(spec, "cartpole", null, 4, null, null, 1, 200, null)
        {
            RunsDir = Path.Combine(_directory, runs), EvalEvery = 200, EvalEpisodes = 2, CheckpointEvery = 400,
        };
        Assert.Equal(0, TrainCommand.Run(Request("whole"), new StringWriter(), new StringWriter()));
        var whole = RunDirectory.Open(Directory.GetDirectories(Path.Combine(_directory, "whole")).Single());

        // Stopped by Ctrl+C inside stage 1 (at 800 of 1,200 transitions), then resumed.
        using var stop = new System.Threading.CancellationTokenSource();
        Assert.Equal(0, TrainCommand.Run(Request("parts"), new StopAt(stop, "         800 "), new StringWriter(), stop.Token));
        var parts = RunDirectory.Open(Directory.GetDirectories(Path.Combine(_directory, "parts")).Single());
        Assert.Equal(800, parts.LatestCheckpoint()!.Value.Transitions);
        var (code, output, error) = Run("train", "--resume", parts.Path);

        Assert.True(code == 0, error);
        Assert.Contains("resuming", output);
        Assert.Equal(Reproducible(whole), Reproducible(parts));
        Assert.Equal(File.ReadAllText(Path.Combine(whole.Path, "stages.json")), File.ReadAllText(Path.Combine(parts.Path, "stages.json")));
        var last = (CheckpointFile.Load(whole.LatestCheckpoint()!.Value.Path), CheckpointFile.Load(parts.LatestCheckpoint()!.Value.Path));
        Assert.Equal(last.Item1.Arrays["parameters"], last.Item2.Arrays["parameters"]);

        var (again, _, refusal) = Run("train", "--resume", parts.Path, "--steps", "5000");
        Assert.Equal(2, again);
        Assert.Contains("--steps cannot change a sequential schedule's budget", refusal);
    }

    [Fact]
    public void TransferMeasuresTheScheduleAgainstScratchAndFineTuning()
    {
        var (code, output, error) = Run("transfer", Example("transfer", "progressive_cartpole.mtrl"), "--env", "cartpole",
            "--compare", Example("transfer", "finetune_cartpole.mtrl"), "--steps-per-task", "400", "--envs", "4",
            "--eval-every", "200", "--eval-episodes", "1", "--threshold", "20", "--return-range", "0:500");

        Assert.True(code == 0, error);
        var comparison = Directory.GetDirectories(Path.Combine(_directory, "runs")).Single();
        var runs = Directory.GetDirectories(comparison).Select(Path.GetFileName).OrderBy(n => n).ToArray();
        Assert.Equal(new[] { "finetune_cartpole", "progressive_cartpole", "scratch-task0", "scratch-task1", "scratch-task2" }, runs);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(comparison, "transfer.json")))!.AsObject();
        Assert.Equal(new[] { "progressive_cartpole", "finetune_cartpole" }, report.Select(p => p.Key));
        foreach (var (_, method) in report)
        {
            Assert.Equal(400, (long)method!["budget"]!);
            var tasks = method["tasks"]!.AsArray();
            Assert.Equal(3, tasks.Count);
            Assert.All(tasks, t => Assert.NotNull(t!["scratch_auc"]));
            Assert.Equal(3, method["matrix"]!.AsArray().Count);
        }
        // Task 0 learns first either way, from the same seed: its scratch run is the same as stage 0.
        var first = report["progressive_cartpole"]!["tasks"]![0]!;
        Assert.Equal((double)first["auc"]!, (double)first["scratch_auc"]!);
        Assert.Contains("backward transfer", output);

        // A from-scratch baseline is one stage of a reordered schedule: not something --resume continues.
        var (resumed, _, refusal) = Run("train", "--resume", Path.Combine(comparison, "scratch-task1"));
        Assert.Equal(1, resumed);
        Assert.Contains("is a from-scratch baseline of mtrl transfer", refusal);
    }

    [Fact]
    public void TransferRefusesAJointScheduleAndBadOptionsInOneLine()
    {
        var (code, _, error) = Run("transfer", Example("specs", "her_bitflip.mtrl"), "--env", "bitflip", "--no-scratch");
        Assert.Equal(1, code);
        Assert.Contains("her_bitflip.mtrl(", error);
        Assert.Contains("mtrl transfer measures sequential schedules", error);
        Assert.DoesNotContain("   at ", error);

        (code, _, error) = Run("transfer", Example("transfer", "progressive_cartpole.mtrl"), "--env", "cartpole", "--metric", "speed");
        Assert.Equal(2, code);
        Assert.Contains("--metric must be return or success; found 'speed'", error);
        (code, _, error) = Run("transfer", Example("transfer", "progressive_cartpole.mtrl"), "--env", "cartpole", "--return-range", "5:1");
        Assert.Equal(2, code);
        Assert.Contains("--return-range must be LO:HI with finite LO < HI; found '5:1'", error);
        (code, _, error) = Run("transfer", Example("transfer", "progressive_cartpole.mtrl"), "--env", "cartpole", "--threshold", "high");
        Assert.NotEqual(0, code);
        Assert.Contains("--threshold must be a finite number; found 'high'", error);
        (code, _, error) = Run("transfer", Example("transfer", "progressive_cartpole.mtrl"), "--env", "cartpole", "--steps-per-task", "2000000000000");
        Assert.Equal(2, code);
        Assert.Contains("--steps-per-task must be in [1, 1000000000000]; found 2000000000000", error);
    }

    /// <summary>The metrics without wall-clock fields, which differ between runs.</summary>
    private static string[] Reproducible(RunDirectory run) => File.ReadAllLines(run.MetricsFile).Select(line =>
    {
        var record = JsonNode.Parse(line)!.AsObject();
        record.Remove("time_s");
        record.Remove("transitions_per_s");
        return record.ToJsonString();
    }).ToArray();

    /// <summary>Cancels the run when a progress line starts with <paramref name="prefix"/>.</summary>
    private sealed class StopAt(System.Threading.CancellationTokenSource stop, string prefix) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null && value.StartsWith(prefix, StringComparison.Ordinal)) stop.Cancel();
        }
    }
}
