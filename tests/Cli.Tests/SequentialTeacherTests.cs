using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Mtrl.Runs;
using Mtrl.Runs.Metrics;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Transfer;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary>
/// Distillation teachers from sequential runs: <c>--teacher</c> rebuilds the saved stage's
/// progressive columns or frozen PathNet pathways, answers every learned task with the Q values the
/// schedule's own greedy network gives (as <c>mtrl eval</c> restores it), and refuses a task whose
/// stage had not finished in one line. Also the progress lines a sequential run prints at its stage
/// boundaries.
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class SequentialTeacherTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-seqteach-" + Guid.NewGuid().ToString("N"));

    public SequentialTeacherTests()
    {
        Directory.CreateDirectory(_directory);
        Environment.SetEnvironmentVariable("MTRL_CACHE_DIR", Path.Combine(_directory, "cache"));
        Environment.SetEnvironmentVariable("MTRL_RUNS_DIR", Path.Combine(_directory, "runs"));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private const string Progressive = """
        agent ProgTeacher {
          tasks: 2
          input state: 4
          action: discrete(2)
          network q {
            h = progressive(state, widths: [16], reduction: 4)
            out q = q_values(h, per_task: true)
          }
          train dqn { lr: 1e-3  batch: 32  warmup: 100  target_update_every: 100  epsilon_decay_steps: 400  seed: 2
                      schedule: sequential(steps_per_task: 300) }
          replay { capacity: 5_000 }
        }
        """;

    private const string PathNet = """
        agent PathTeacher {
          tasks: 2
          input state: 4
          action: discrete(2)
          network q {
            h = pathnet(state, layers: 2, modules: 3, active: 2, width: 8)
            out q = q_values(h, per_task: true)
          }
          train dqn { lr: 1e-3  batch: 32  warmup: 100  target_update_every: 100  epsilon_decay_steps: 400  seed: 3
                      schedule: sequential(steps_per_task: 300) }
          replay { capacity: 5_000 }
          evolution { population: 2  tournament: 2  mutation_shift: 1  steps_per_evaluation: 50  fitness: return }
        }
        """;

    private const string Student = """
        agent Student {
          tasks: 2
          input state: 4
          action: discrete(2)
          network q {
            h = mlp(concat(state, onehot(task)), widths: [16])
            out q = q_values(h, per_task: true)
          }
          train distill { method: kl(tau: 0.01)  collector: student  lr: 1e-3  batch: 32  warmup: 100  epsilon_decay_steps: 400  seed: 1 }
          replay { capacity: 5_000 }
        }
        """;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Trains a sequential teacher on two CartPole tasks (300 transitions each, checkpoints every 200) and returns its run directory and output.</summary>
    private (string Run, string Output) TrainTeacher(string spec, string name)
    {
        var (code, output, error) = Run("train", Write(name + ".mtrl", spec), "--env", "cartpole", "--envs", "4", "--eval-every", "100", "--eval-episodes", "1",
            "--checkpoint-every", "200", "--runs-dir", Path.Combine(_directory, name));
        Assert.True(code == 0, error);
        return (Directory.GetDirectories(Path.Combine(_directory, name)).Single(), output);
    }

    private string CheckpointAt(string run, long transitions) =>
        RunDirectory.Open(run).Checkpoints().Single(c => c.Transitions == transitions).Path;

    /// <summary>The student's teachers exactly as <c>mtrl train</c> hands them to the distillation trainer.</summary>
    private IReadOnlyList<IQNetwork> TeachersOf(string student, params string[] teachers)
    {
        var request = new TrainRequest(student, "cartpole", null, 4, null, null, 1, null, null) { Teachers = teachers };
        using var session = AgentSession.Open(request.ToAgentRequest(), new StringWriter(), new StringWriter(), out _)!;
        var error = new StringWriter();
        Assert.True(TrainCommand.LoadTeachers(request, session, new StringWriter(), error) is null, error.ToString());
        return session.Teachers!;
    }

    /// <summary>
    /// Q values of the teacher run's own greedy network for <paramref name="inputs"/>, as
    /// <c>mtrl eval</c> rebuilds it: the spec's sequential trainer restored from <paramref name="checkpoint"/>.
    /// </summary>
    private static float[] ScheduleQ(string run, string checkpoint, float[] observations, int[] tasks)
    {
        var manifest = RunDirectory.Open(run).ReadManifest();
        var request = new AgentRequest(RunDirectory.Open(run).SpecFile, manifest.Environment, manifest.Agent, manifest.Environments, 1, CartPoleSettings.None);
        using var session = AgentSession.Open(request, new StringWriter(), new StringWriter(), out _)!;
        var trainer = session.CreateSequentialTrainer(session.SpecOptions, session.SpecSequentialOptions, out var problem);
        Assert.True(trainer is not null, problem);
        trainer.Restore(CheckpointFile.Load(checkpoint));
        var online = trainer.NetworksOf<IQNetwork>().First();
        return online.Forward(new NetworkInputs(observations, default, tasks, tasks.Length)).ToArray();
    }

    private static (float[] Observations, int[] Tasks) Rows(int task, int count = 16)
    {
        var random = new Random(7 + task);
        var observations = Enumerable.Range(0, count * 4).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        return (observations, Enumerable.Repeat(task, count).ToArray());
    }

    private static float[] TeacherQ(IQNetwork teacher, float[] observations, int[] tasks) =>
        teacher.Forward(new NetworkInputs(observations, default, tasks, tasks.Length)).ToArray();

    [Fact]
    public void AFinishedProgressiveScheduleTeachesEveryTaskWithItsOwnGreedyQValues()
    {
        var (teacher, _) = TrainTeacher(Progressive, "prog");
        var student = Write("student.mtrl", Student);

        // One teacher for both tasks, and the same run once per task: both train a student.
        var (code, output, error) = Run("train", student, "--env", "cartpole", "--envs", "4", "--steps", "400", "--eval-episodes", "1", "--teacher", teacher);
        Assert.True(code == 0, error);
        Assert.Contains("teacher ProgTeacher (2 tasks) from ", output);
        Assert.Contains(", its sequential schedule finished", output);
        (code, output, error) = Run("train", student, "--env", "cartpole", "--envs", "4", "--steps", "400", "--eval-episodes", "1", "--teacher", teacher, "--teacher", teacher);
        Assert.True(code == 0, error);
        Assert.Equal(2, output.Split('\n').Count(l => l.StartsWith("teacher ProgTeacher (2 tasks) from ", StringComparison.Ordinal)));

        var final = RunDirectory.Open(teacher).LatestCheckpoint()!.Value.Path;
        var shared = TeachersOf(student, teacher).Single();
        var perTask = TeachersOf(student, teacher, teacher);
        var answers = new List<float[]>();
        for (var task = 0; task < 2; task++)
        {
            var (observations, tasks) = Rows(task);
            var expected = ScheduleQ(teacher, final, observations, tasks);
            Assert.All(expected, q => Assert.True(float.IsFinite(q)));
            Assert.Equal(expected, TeacherQ(shared, observations, tasks));
            Assert.Equal(expected, TeacherQ(perTask[task], observations, tasks));
            answers.Add(expected);
        }
        // A two-task teacher cannot teach a three-task student's task 2.
        var three = Write("three.mtrl", Student.Replace("tasks: 2", "tasks: 3"));
        (code, _, error) = Run("train", three, "--env", "cartpole", "--envs", "4", "--steps", "400", "--teacher", teacher);
        Assert.Equal(1, code);
        Assert.Contains($"--teacher {teacher}: agent 'ProgTeacher' learned tasks 0–1, so it cannot teach task 2", error);

        // Task 1 runs through its own column (reading task 0's through laterals), so its answers differ.
        var (rows, _) = Rows(0);
        Assert.NotEqual(ScheduleQ(teacher, final, rows, new int[16]), ScheduleQ(teacher, final, rows, Enumerable.Repeat(1, 16).ToArray()));
    }

    [Fact]
    public void APathNetScheduleStoppedMidwayTeachesOnlyTheTasksWhoseStagesFinished()
    {
        var (teacher, _) = TrainTeacher(PathNet, "path");
        var student = Write("student.mtrl", Student);
        var (early, middle, final) = (CheckpointAt(teacher, 200), CheckpointAt(teacher, 400), RunDirectory.Open(teacher).LatestCheckpoint()!.Value.Path);

        // At 400 transitions the schedule is in stage 1: task 0's pathway is frozen, task 1's is still evolving.
        var (code, _, error) = Run("train", student, "--env", "cartpole", "--envs", "4", "--steps", "400", "--teacher", middle);
        Assert.Equal(1, code);
        Assert.Contains($"--teacher {middle}: run {teacher} stopped in stage 1 of its sequential schedule, before the stage of task 1 finished, so it cannot teach task 1; its last finished stage is 0 (task 0)", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", error);
        (code, _, error) = Run("train", student, "--env", "cartpole", "--envs", "4", "--steps", "400", "--teacher", final, "--teacher", early);
        Assert.Equal(1, code);
        Assert.Contains($"--teacher {early}: run {teacher} stopped in stage 0 of its sequential schedule, before the stage of task 1 finished, so it cannot teach task 1; no stage has finished yet", error);

        // The stopped run teaches task 0, the finished one task 1.
        string output;
        (code, output, error) = Run("train", student, "--env", "cartpole", "--envs", "4", "--steps", "400", "--eval-episodes", "1", "--teacher", middle, "--teacher", final);
        Assert.True(code == 0, error);
        Assert.Contains($"teacher PathTeacher (2 tasks) from {middle}, its sequential schedule in stage 1 (tasks learned: 0)", output);
        Assert.Contains($"teacher PathTeacher (2 tasks) from {final}, its sequential schedule finished", output);

        var teachers = TeachersOf(student, middle, final);
        var shared = TeachersOf(student, final).Single();
        var (rows0, tasks0) = Rows(0);
        Assert.Equal(ScheduleQ(teacher, middle, rows0, tasks0), TeacherQ(teachers[0], rows0, tasks0));
        // Task 0's pathway and readout were frozen when its stage ended: the finished run answers for it the same.
        Assert.Equal(ScheduleQ(teacher, final, rows0, tasks0), TeacherQ(teachers[0], rows0, tasks0));
        Assert.Equal(ScheduleQ(teacher, final, rows0, tasks0), TeacherQ(shared, rows0, tasks0));
        var (rows1, tasks1) = Rows(1);
        Assert.Equal(ScheduleQ(teacher, final, rows1, tasks1), TeacherQ(teachers[1], rows1, tasks1));
        Assert.Equal(ScheduleQ(teacher, final, rows1, tasks1), TeacherQ(shared, rows1, tasks1));

        // The pathways the teacher runs through are the ones the schedule froze.
        var saved = SavedSchedule.Read(CheckpointFile.Load(final), 2);
        Assert.True(saved.Finished);
        Assert.Equal(2, saved.FinishedStages);
        Assert.Equal(1, SavedSchedule.Read(CheckpointFile.Load(middle), 2).FinishedStages);
    }

    [Fact]
    public void AScheduleReadsItsStageBoundariesAsWhatTheyEvaluate()
    {
        var (run, output) = TrainTeacher(Progressive, "lines");
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var stages = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "stages.json")))!["stages"]!.AsArray();
        // Greedy return with the success rate beside it (CartPole has success: the episode lasting its whole length).
        static string Score(JsonNode? evaluation) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{(double)evaluation!["mean_return"]!:F2} ({(double)evaluation["success"]!:P0})");

        int IndexOf(string text)
        {
            var index = lines.FindIndex(l => l.TrimStart().StartsWith(text, StringComparison.Ordinal));
            Assert.True(index >= 0, $"no line starts with '{text}' in:\n{output}");
            return index;
        }
        // Stage 0: its task's curve point, then its end with every evaluated task; then stage 1's task before it trains.
        var point = IndexOf("eval task 0 (stage 0) after 100 of its stage's 300 transitions, at 100 transitions: greedy return ");
        var ended = IndexOf($"stage 0 (task 0) ended at 300 transitions; greedy return by task 0: {Score(stages[0]!["tasks"]![0])}");
        var next = IndexOf($"eval task 1 (stage 1) before its stage trains, at 300 transitions: greedy return {Score(stages[1]!["curve"]![0])}");
        var later = IndexOf("eval task 1 (stage 1) after 200 of its stage's 300 transitions, at 500 transitions: greedy return ");
        var last = IndexOf($"stage 1 (task 1) ended at 600 transitions; greedy return by task 0: {Score(stages[1]!["tasks"]![0])}, 1: {Score(stages[1]!["tasks"]![1])}");
        Assert.True(point < ended && ended < next && next < later && later < last, output);
        // No line reads an evaluation of one task as the average over tasks.
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("eval return average", StringComparison.Ordinal) || l.TrimStart().StartsWith("eval success average", StringComparison.Ordinal));

        // metrics.jsonl still holds both evaluations at the boundary: task 0 (and any other evaluated task) at the stage's end, task 1 before its stage.
        var atBoundary = MetricsFile.Read(RunDirectory.Open(run).MetricsFile).Where(r => r.Kind == MetricKinds.Eval && r.Transitions == 300 && r.Task is not null).Select(r => r.Task).ToList();
        Assert.Equal(new int?[] { 0, 1 }, atBoundary);
    }
}
