using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Mtrl.Runs;
using Mtrl.Runs.Metrics;
using Mtrl.Runtime.Checkpoints;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary>
/// Distillation on the command line: teachers trained on one task each (<c>--task</c>), a student
/// distilled from their run directories (<c>--teacher</c>), Distral from a spec, and bad requests
/// in one line.
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class DistillCommandTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-distill-" + Guid.NewGuid().ToString("N"));

    public DistillCommandTests()
    {
        Directory.CreateDirectory(_directory);
        Environment.SetEnvironmentVariable("MTRL_CACHE_DIR", Path.Combine(_directory, "cache"));
        Environment.SetEnvironmentVariable("MTRL_RUNS_DIR", Path.Combine(_directory, "runs"));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Example(string name) => Path.Combine(AppContext.BaseDirectory, "transfer", name);

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void AStudentIsDistilledFromTeachersTrainedOnOneTaskEach()
    {
        var teachers = Path.Combine(_directory, "teachers");
        for (var task = 0; task < 2; task++)
        {
            var (trained, _, trainError) = Run("train", Example("gridworld_teacher.mtrl"), "--env", "gridworld", "--task", $"{task}", "--steps", "600", "--envs", "4",
                "--eval-episodes", "1", "--runs-dir", Path.Combine(teachers, $"t{task}"));
            Assert.True(trained == 0, trainError);
        }
        var runs = Enumerable.Range(0, 2).Select(t => Directory.GetDirectories(Path.Combine(teachers, $"t{t}")).Single()).ToArray();
        // The task is recorded, so the teacher's run says what it learned.
        Assert.Contains("\"--task\": \"1\"", File.ReadAllText(Path.Combine(runs[1], "run.json")));

        var (code, output, error) = Run("train", Example("distill_gridworld.mtrl"), "--env", "gridworld", "--steps", "1200", "--envs", "4", "--eval-episodes", "1",
            "--teacher", runs[0], "--teacher", runs[1], "--teacher", runs[0], "--teacher", runs[1]);
        Assert.True(code == 0, error);
        Assert.Equal(4, output.Split('\n').Count(line => line.StartsWith("teacher GridWorldTeacher (1 task) from ", StringComparison.Ordinal)));
        Assert.Contains("greedy evaluation at 1,200 transitions", output);
        // The student's run records its teachers' checkpoints, so mtrl eval can rebuild it.
        var student = Directory.GetDirectories(Path.Combine(_directory, "runs")).Single();
        var (evaluated, _, evalError) = Run("eval", student, "--episodes", "1");
        Assert.True(evaluated == 0, evalError);

        (code, _, error) = Run("train", Example("distill_gridworld.mtrl"), "--env", "gridworld", "--steps", "400", "--teacher", runs[0], "--teacher", runs[1]);
        Assert.Equal(2, code);
        Assert.Contains("--teacher must be given once for every task (4) or once for all; found 2", error);
        (code, _, error) = Run("train", Example("distill_gridworld.mtrl"), "--env", "gridworld", "--steps", "400", "--teacher", Path.Combine(_directory, "nowhere"));
        Assert.Equal(1, code);
        Assert.Contains("--teacher must name a run directory or a checkpoint file in one", error);
        (code, _, error) = Run("train", Example("gridworld_teacher.mtrl"), "--env", "gridworld", "--steps", "400", "--teacher", runs[0]);
        Assert.Equal(2, code);
        Assert.Contains("--teacher applies to a distillation (train distill)", error);
        Assert.DoesNotContain("   at ", error);
    }

    private static float[] Slice(string run, string name)
    {
        var checkpoint = CheckpointFile.Load(RunDirectory.Open(run).LatestCheckpoint()!.Value.Path);
        var slice = checkpoint.Slices!.Single(s => s.Name == name);
        return checkpoint.Arrays["parameters"].AsSpan(slice.Offset, (int)slice.Length).ToArray();
    }

    [Fact]
    public void AnActorMimicStudentRegressesItsTeachersFeatures()
    {
        var teachers = Path.Combine(_directory, "teachers");
        string Teacher(string spec, int task, string name, string steps = "600")
        {
            var (trained, _, trainError) = Run("train", spec, "--env", "gridworld", "--task", $"{task}", "--steps", steps, "--envs", "4",
                "--eval-episodes", "1", "--runs-dir", Path.Combine(teachers, name));
            Assert.True(trained == 0, trainError);
            return Directory.GetDirectories(Path.Combine(teachers, name)).Single();
        }
        var runs = new[] { Teacher(Example("gridworld_teacher.mtrl"), 0, "t0"), Teacher(Example("gridworld_teacher.mtrl"), 1, "t1") };
        var all = new[] { "--teacher", runs[0], "--teacher", runs[1], "--teacher", runs[0], "--teacher", runs[1] };
        string Student(string spec, string name, bool features)
        {
            var (code, output, error) = Run(new[] { "train", spec, "--env", "gridworld", "--steps", "1200", "--envs", "4", "--eval-episodes", "1",
                "--runs-dir", Path.Combine(_directory, name) }.Concat(all).ToArray());
            Assert.True(code == 0, error);
            Assert.Equal(4, output.Split('\n').Count(line => line.StartsWith("teacher GridWorldTeacher (1 task) from ", StringComparison.Ordinal) && line.EndsWith(", with its 128 features", StringComparison.Ordinal) == features));
            return Directory.GetDirectories(Path.Combine(_directory, name)).Single();
        }
        var regressed = Student(Example("actor_mimic_gridworld.mtrl"), "regressed", features: true);
        // The same student with β = 0: same seed, same teachers, policy regression alone (their features are not even loaded).
        var offSpec = Path.Combine(_directory, "actor_mimic_off.mtrl");
        File.WriteAllText(offSpec, File.ReadAllText(Example("actor_mimic_gridworld.mtrl")).Replace("features: 0.01)", "features: 0)"));
        var off = Student(offSpec, "off", features: false);
        Assert.NotEqual(Slice(regressed, "q.h.fc0.weight"), Slice(off, "q.h.fc0.weight"));
        Assert.NotEqual(Slice(regressed, "q.features.task0.weight"), Slice(off, "q.features.task0.weight"));
        // The run records the feature loss it adds (and a run without feature regression does not).
        static IEnumerable<Metric> Trained(string run) => MetricsFile.Read(RunDirectory.Open(run).MetricsFile)
            .Where(r => r.Kind == MetricKinds.Train && r.Task is null).SelectMany(r => r.Values);
        Assert.Contains(Trained(regressed), m => m.Name == MetricNames.FeatureLoss && double.IsFinite(m.Value) && m.Value > 0);
        Assert.DoesNotContain(Trained(off), m => m.Name == MetricNames.FeatureLoss);
        // mtrl describe shows the predictor beside the head, and the method with its weight.
        var (described, description, _) = Run("describe", Example("actor_mimic_gridworld.mtrl"));
        Assert.Equal(0, described);
        Assert.Matches(@"(?m)^\s+features\s+features predictor 128, per task\s+h:128\s+128\s+66,048$", description);
        Assert.Contains("method: actor_mimic(tau: 0.01, features: 0.01)", description);
        // mtrl eval rebuilds the student with its recorded teachers and their features.
        var (evaluated, _, evalError) = Run("eval", regressed, "--episodes", "1");
        Assert.True(evaluated == 0, evalError);

        // A teacher without identity features, and one whose hidden layer is narrower, are named in one line.
        var plain = Path.Combine(_directory, "plain_teacher.mtrl");
        File.WriteAllText(plain, File.ReadAllText(Example("gridworld_teacher.mtrl")).Replace("    out features = features(h)\n", ""));
        var plainRun = Teacher(plain, 0, "plain", steps: "200");
        var (failed, _, failure) = Run("train", Example("actor_mimic_gridworld.mtrl"), "--env", "gridworld", "--steps", "400", "--teacher", plainRun);
        Assert.Equal(1, failed);
        Assert.Contains($"--teacher {plainRun}: the student regresses its teachers' features (actor_mimic(features: β)), but it declares no features output", failure);
        var narrow = Path.Combine(_directory, "narrow_teacher.mtrl");
        File.WriteAllText(narrow, File.ReadAllText(Example("gridworld_teacher.mtrl")).Replace("widths: [128]", "widths: [64]"));
        var narrowRun = Teacher(narrow, 0, "narrow", steps: "200");
        (failed, _, failure) = Run("train", Example("actor_mimic_gridworld.mtrl"), "--env", "gridworld", "--steps", "400", "--teacher", narrowRun);
        Assert.Equal(1, failed);
        Assert.Contains($"--teacher {narrowRun}: the teacher's features 'features' are 64 wide but the student's predictor gives 128", failure);
        Assert.Single(failure.Split('\n'), line => line.StartsWith("mtrl: error:", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", failure);
    }

    [Fact]
    public void DistralTrainsFromItsSpecAndTaskOutOfRangeIsNamed()
    {
        var (code, output, error) = Run("train", Example("distral_gridworld.mtrl"), "--env", "gridworld", "--steps", "800", "--envs", "4", "--eval-episodes", "1");
        Assert.True(code == 0, error);
        Assert.Contains("greedy evaluation at 800 transitions", output);

        (code, _, error) = Run("train", Example("gridworld_teacher.mtrl"), "--env", "gridworld", "--task", "4");
        Assert.Equal(2, code);
        Assert.Contains("--task must be in [0, 3] for gridworld, whose suite has 4 task(s); found 4", error);
        (code, _, error) = Run("train", Example("gridworld_teacher.mtrl"), "--env", "cartpole", "--task", "1", "--cartpole-pole-length", "0.5:1.0");
        Assert.Equal(2, code);
        Assert.Contains("--task picks a task of fixed physics from the suite", error);
    }

    [Fact]
    public void AMultiTaskAgentTrainedOnOneTaskIsEvaluatedOnThatTask()
    {
        var spec = Path.Combine(_directory, "four.mtrl");
        File.WriteAllText(spec, """
            agent Four {
              tasks: 4
              input cells: 169
              action: discrete(4)
              network q {
                out q = q_values(mlp(cells, widths: [16]), per_task: true)
              }
              train dqn { warmup: 100  seed: 1 }
              replay { capacity: 2_000 }
            }
            """);
        var (code, output, error) = Run("train", spec, "--env", "gridworld", "--task", "2", "--steps", "400", "--envs", "4", "--eval-episodes", "1");
        Assert.True(code == 0, error);
        Assert.Matches(@"(?m)^\s+2\s", output);
        var run = Directory.GetDirectories(Path.Combine(_directory, "runs")).Single();
        var (evaluated, evaluation, evalError) = Run("eval", run, "--episodes", "1");
        Assert.True(evaluated == 0, evalError);
        Assert.Matches(@"(?m)^\s+2\s", evaluation);
        Assert.DoesNotMatch(@"(?m)^\s+0\s", evaluation);
    }
}
