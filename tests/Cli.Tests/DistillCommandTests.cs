using System;
using System.IO;
using System.Linq;
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
