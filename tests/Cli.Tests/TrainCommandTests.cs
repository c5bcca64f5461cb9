using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Mtrl.Runs;
using Mtrl.Runs.Metrics;
using Mtrl.Runtime.Checkpoints;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary><c>mtrl train</c>: the in-process agent trains, reports progress and saves; bad requests get one clear line.</summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class TrainCommandTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-train-" + Guid.NewGuid().ToString("N"));

    public TrainCommandTests()
    {
        Directory.CreateDirectory(_directory);
        // Keep compiled agents out of the user's cache.
        Environment.SetEnvironmentVariable("MTRL_CACHE_DIR", Path.Combine(_directory, "cache"));
        // And run directories out of the working directory.
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

    private string Spec(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string SmallBitFlip = """
        agent Flip {
          input bits: 8
          goal target: 8
          action: discrete(8)
          network q {
            h = mlp(concat(bits, target), widths: [64])
            out q = q_values(h)
          }
          train dqn { gamma: 0.9  lr: 1e-3  batch: 64  warmup: 200  target_update_every: 200  epsilon_decay_steps: 2000  seed: 3 }
          replay { capacity: 20_000  her: future(k: 4) }
        }
        """;

    [Fact]
    public void TrainsTheGeneratedAgentPrintsProgressAndSavesACheckpoint()
    {
        var spec = Spec("flip.mtrl", SmallBitFlip);
        var checkpoint = Path.Combine(_directory, "flip.ckpt");

        var (code, output, error) = Run("train", spec, "--env", "bitflip", "--envs", "4", "--steps", "4000", "--log-every", "1000",
            "--eval-every", "2000", "--eval-episodes", "6", "--checkpoint-every", "1000", "--keep-checkpoints", "2", "--save", checkpoint);

        Assert.True(code == 0, error);
        Assert.Contains("agent Flip: generated and compiled", output);
        Assert.Contains("training for 4,000 transitions in 4 × bitflip, seed 3", output);
        var lines = output.Split('\n');
        Assert.Equal(new[] { "1,000", "2,000", "3,000", "4,000" }, lines.Where(l => Regex.IsMatch(l, @"^ +[0-9]{1,3}(,[0-9]{3})+ ")).Select(l => l.Trim().Split(' ')[0]));
        Assert.Equal(2, lines.Count(l => l.TrimStart().StartsWith("eval success average", StringComparison.Ordinal)));
        Assert.Contains("greedy evaluation at 4,000 transitions, 6 episodes per task:", output);
        var saved = CheckpointFile.Load(checkpoint);
        Assert.Equal(4_000, saved.Counter("transitions"));
        Assert.True(saved.Counter("updates") > 500);

        // The run directory: manifest, spec copy, metrics that hold what was printed, TensorBoard events, the newest checkpoints.
        var run = RunDirectory.Open(Assert.Single(Directory.GetDirectories(Path.Combine(_directory, "runs"))));
        Assert.StartsWith("flip-Flip-", Path.GetFileName(run.Path));
        Assert.Contains($"run {run.Path}", output);
        var manifest = run.ReadManifest();
        Assert.Equal(("Flip", "dqn", "bitflip", 4, 3UL), (manifest.Agent, manifest.Algorithm, manifest.Environment, manifest.Environments, manifest.Seed));
        Assert.Equal(new RunSchedule(4_000, 1_000, 2_000, 6, 1_000, 2), manifest.Run);
        Assert.Equal(0.9, manifest.Settings.GetProperty("gamma").GetDouble());
        Assert.Equal(4_000, manifest.Settings.GetProperty("steps").GetInt64());
        Assert.Equal(SmallBitFlip, File.ReadAllText(run.SpecFile));
        var records = MetricsFile.Read(run.MetricsFile);
        var training = records.Where(r => r.Kind == MetricKinds.Train).ToList();
        Assert.Equal(new long[] { 1_000, 2_000, 3_000, 4_000 }, training.Select(r => r.Transitions));
        var evaluations = records.Where(r => r.Kind == MetricKinds.Eval && r.Task == 0).ToList();
        Assert.Equal(new long[] { 2_000, 4_000 }, evaluations.Select(r => r.Transitions));
        Assert.All(evaluations, r => Assert.Equal(6, r[MetricNames.Episodes]));
        var finalRow = lines.Single(l => Regex.IsMatch(l, @"^ +0 +-?[0-9]"));
        Assert.Equal(evaluations[^1][MetricNames.Success].ToString("P0", System.Globalization.CultureInfo.InvariantCulture), finalRow.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2] + " %");
        var lastLog = lines.Last(l => Regex.IsMatch(l, @"^ +4,000 "));
        Assert.Contains(training[^1][MetricNames.Return].ToString("F3", System.Globalization.CultureInfo.InvariantCulture), lastLog);
        Assert.Equal(records.Sum(r => r.Values.Count), File.ReadAllLines(run.CsvFile).Length - 1);
        Assert.Single(Directory.GetFiles(run.TensorBoardDirectory, "events.out.tfevents.*"));
        Assert.Equal(new long[] { 3_000, 4_000 }, run.Checkpoints().Select(c => c.Transitions));
        Assert.Equal(saved.Arrays["parameters"], CheckpointFile.Load(run.LatestCheckpoint()!.Value.Path).Arrays["parameters"]);

        var (again, secondOutput, _) = Run("train", spec, "--env", "bitflip", "--envs", "4", "--steps", "400");
        Assert.Equal(0, again);
        Assert.Contains("agent Flip: loaded from cache", secondOutput);
    }

    [Fact]
    public void SeveralSeedsTrainOneAfterAnotherAndTheirSpreadIsSummarised()
    {
        var spec = Spec("flip.mtrl", SmallBitFlip);
        var (code, output, error) = Run("train", spec, "--env", "bitflip", "--envs", "4", "--steps", "800", "--seed", "10", "--seeds", "3", "--eval-episodes", "2");

        Assert.True(code == 0, error);
        var parent = Assert.Single(Directory.GetDirectories(Path.Combine(_directory, "runs")));
        var runs = Directory.GetDirectories(parent).Order(StringComparer.Ordinal).Select(RunDirectory.Open).ToList();
        Assert.Equal(new[] { "seed-10", "seed-11", "seed-12" }, runs.Select(r => Path.GetFileName(r.Path)));
        Assert.Equal(new ulong[] { 10, 11, 12 }, runs.Select(r => r.ReadManifest().Seed));
        Assert.Contains("3 seeds, final greedy evaluation:", output);

        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(parent, "summary.json")));
        var finals = runs.Select(r => MetricsFile.Read(r.MetricsFile).Last(m => m.Kind == MetricKinds.Eval && m.Task is null)[MetricNames.Success + MetricNames.Average]).ToArray();
        var seeds = summary.RootElement.GetProperty("seeds").EnumerateArray().ToList();
        Assert.Equal(finals, seeds.Select(s => s.GetProperty("success").GetProperty("average").GetDouble()));
        Assert.Equal(finals.Average(), summary.RootElement.GetProperty("success_average").GetProperty("mean").GetDouble(), 12);

        var (plotCode, _, plotError) = Run("plot", parent, "--output", Path.Combine(_directory, "plots"));
        Assert.True(plotCode == 0, plotError);
        Assert.True(File.Exists(Path.Combine(_directory, "plots", "success-runs.png")));

        var (refused, _, refusal) = Run("train", spec, "--env", "bitflip", "--seeds", "2", "--save", Path.Combine(_directory, "x.ckpt"));
        Assert.Equal(2, refused);
        Assert.Contains("--save keeps one agent, but --seeds trains several", refusal);
    }

    /// <summary>The metrics of a run without the clock-derived fields, one JSON text per record.</summary>
    private static string[] ReproducibleMetrics(RunDirectory run) => File.ReadAllLines(run.MetricsFile).Select(line =>
    {
        var record = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
        record.Remove("time_s");
        record.Remove("transitions_per_s");
        return record.ToJsonString();
    }).ToArray();

    [Fact]
    public void AResumedRunWritesTheSameMetricsLineForLineAsAnUninterruptedOne()
    {
        var spec = Spec("flip.mtrl", SmallBitFlip);
        TrainRequest Request(string runs) => new(spec, "bitflip", null, 4, 3_000, null, 1, 500, null)
        {
            RunsDir = Path.Combine(_directory, runs), EvalEvery = 1_000, EvalEpisodes = 3, CheckpointEvery = 1_000,
        };

        Assert.Equal(0, TrainCommand.Run(Request("whole"), new StringWriter(), new StringWriter()));
        var whole = RunDirectory.Open(Directory.GetDirectories(Path.Combine(_directory, "whole")).Single());

        // Stopped (as by Ctrl+C) at the progress line of 1,500 transitions, between scheduled checkpoints.
        using var stop = new System.Threading.CancellationTokenSource();
        Assert.Equal(0, TrainCommand.Run(Request("parts"), new CancellingWriter(stop, line => line.StartsWith("       1,500 ", StringComparison.Ordinal)), new StringWriter(), stop.Token));
        var parts = RunDirectory.Open(Directory.GetDirectories(Path.Combine(_directory, "parts")).Single());
        Assert.Equal(1_500, parts.LatestCheckpoint()!.Value.Transitions);
        // What a run killed later leaves behind: a record past the checkpoint and half a line.
        File.AppendAllText(parts.MetricsFile, "{\"kind\":\"train\",\"transitions\":2000,\"time_s\":9,\"loss\":1}\n{\"kind\":\"tra");
        File.AppendAllText(parts.CsvFile, "train,2000,9,,loss,1\n");

        var (code, output, error) = Run("train", "--resume", parts.Path);

        Assert.True(code == 0, error);
        Assert.Contains($"resuming {parts.Path} from 1,500 transitions", output);
        Assert.Equal(ReproducibleMetrics(whole), ReproducibleMetrics(parts));
        static string[] Csv(RunDirectory run) => File.ReadAllLines(run.CsvFile).Select(row => row.Split(','))
            .Where(cells => cells[4] != "transitions_per_s").Select(cells => string.Join(',', cells.Where((_, i) => i != 2))).ToArray();
        Assert.Equal(Csv(whole), Csv(parts));
        var last = (CheckpointFile.Load(whole.LatestCheckpoint()!.Value.Path), CheckpointFile.Load(parts.LatestCheckpoint()!.Value.Path));
        Assert.Equal(last.Item1.Arrays["parameters"], last.Item2.Arrays["parameters"]);
        Assert.Equal(3_000, last.Item2.Counter("transitions"));
        // The rewound events and the resumed run's: every step once.
        Assert.Equal(2, Directory.GetFiles(parts.TensorBoardDirectory).Length);

        var (again, _, refusal) = Run("train", "--resume", parts.Path, "--steps", "1000");
        Assert.Equal(2, again);
        Assert.Contains("--steps must be at least the 3,000 transitions the run has reached", refusal);
        (again, _, refusal) = Run("train", spec, "--resume", parts.Path);
        Assert.Equal(2, again);
        Assert.Contains("--resume takes the spec from the run directory", refusal);
    }

    [Fact]
    public void Bf16PrecisionIsRecordedAndAResumedRunKeepsIt()
    {
        var spec = Spec("flip.mtrl", SmallBitFlip);
        TrainRequest Request(string runs) => new(spec, "bitflip", null, 4, 2_000, null, 1, 500, null)
        {
            RunsDir = Path.Combine(_directory, runs), EvalEvery = 1_000, EvalEpisodes = 2, CheckpointEvery = 1_000, Precision = "bf16",
        };
        if (Mtrl.Kernels.Gemm.Bfloat16Unavailable is { } reason)
        {
            var (refused, _, message) = Run("train", spec, "--env", "bitflip", "--precision", "bf16");
            Assert.Equal(2, refused);
            Assert.Contains($"--precision bf16 cannot run here: {reason}", message);
            return;
        }

        Assert.Equal(0, TrainCommand.Run(Request("whole"), new StringWriter(), new StringWriter()));
        var whole = RunDirectory.Open(Directory.GetDirectories(Path.Combine(_directory, "whole")).Single());
        Assert.Equal("bfloat16", whole.ReadManifest().Settings.GetProperty("gemm").GetString());
        Assert.Equal(0, TrainCommand.Run(Request("float32") with { Precision = null }, new StringWriter(), new StringWriter()));
        var float32 = RunDirectory.Open(Directory.GetDirectories(Path.Combine(_directory, "float32")).Single());
        Assert.False(float32.ReadManifest().Settings.TryGetProperty("gemm", out _), "float32 runs record no gemm entry, as before the choice existed");

        using var stop = new System.Threading.CancellationTokenSource();
        Assert.Equal(0, TrainCommand.Run(Request("parts"), new CancellingWriter(stop, line => line.StartsWith("       1,000 ", StringComparison.Ordinal)), new StringWriter(), stop.Token));
        var parts = RunDirectory.Open(Directory.GetDirectories(Path.Combine(_directory, "parts")).Single());
        var (code, _, error) = Run("train", "--resume", parts.Path);
        Assert.True(code == 0, error);
        static float[] Final(RunDirectory run) => CheckpointFile.Load(run.LatestCheckpoint()!.Value.Path).Arrays["parameters"];
        Assert.Equal(Final(whole), Final(parts));
        Assert.NotEqual(Final(float32), Final(whole));

        var (again, _, refusal) = Run("train", "--resume", parts.Path, "--precision", "fp32");
        Assert.Equal(2, again);
        Assert.Contains("--precision applies to a new run", refusal);
    }

    [Fact]
    public void AnUnknownPrecisionNamesTheChoices()
    {
        var (code, _, error) = Run("train", Spec("flip.mtrl", SmallBitFlip), "--env", "bitflip", "--precision", "fp16");
        Assert.Equal(2, code);
        Assert.Contains("--precision must be fp32 or bf16; found 'fp16'", error);
        (code, _, error) = Run("train", Spec("flip.mtrl", SmallBitFlip), "--env", "bitflip", "--precision", "bf16", "--device", "ilgpu-cpu");
        Assert.Equal(2, code);
        Assert.Contains("--precision bf16 is a CPU kernel; --device ilgpu-cpu trains with the device's float32 GEMM", error);
    }

    [Fact]
    public void SigtermStopsTheProcessWithACheckpointThatResumes()
    {
        if (!OperatingSystem.IsLinux()) return; // sends the signal with kill(1)
        var spec = Spec("flip.mtrl", SmallBitFlip);
        var runs = Path.Combine(_directory, "signalled");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "mtrl.dll"), "train", spec, "--env", "bitflip", "--envs", "4", "--steps", "50000000", "--log-every", "400", "--runs-dir", runs })
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["MTRL_CACHE_DIR"] = Path.Combine(_directory, "cache");
        using var process = Process.Start(start)!;
        var seen = new System.Text.StringBuilder();
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null)
        {
            seen.AppendLine(line);
            if (Regex.IsMatch(line, "^ +[0-9]")) break; // training is under way
        }
        Process.Start("kill", new[] { "-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) })!.WaitForExit();
        seen.Append(process.StandardOutput.ReadToEnd());
        Assert.True(process.WaitForExit(60_000), "the process did not stop after SIGTERM");

        Assert.True(process.ExitCode == 0, seen + process.StandardError.ReadToEnd());
        var run = RunDirectory.Open(Assert.Single(Directory.GetDirectories(runs)));
        var (transitions, path) = run.LatestCheckpoint()!.Value;
        Assert.Contains($"stopped at {transitions:N0} transitions", seen.ToString());
        Assert.Equal(transitions, CheckpointFile.Load(path).Counter("transitions"));
        Assert.True(File.Exists(RunDirectory.ReplayFileOf(path)));
    }

    [Fact]
    public void StoppingARunWritesALoadableCheckpointAndExitsCleanly()
    {
        var spec = Spec("flip.mtrl", SmallBitFlip);
        using var stop = new System.Threading.CancellationTokenSource();
        // What Ctrl+C (SIGINT) or SIGTERM does through System.CommandLine: cancel the command's token — here once training has begun.
        var output = new CancellingWriter(stop, line => Regex.IsMatch(line, "^ +[0-9]"));
        var error = new StringWriter();
        var code = TrainCommand.Run(new TrainRequest(spec, "bitflip", null, 4, 50_000_000, null, 1, 1_000, null), output, error, stop.Token);

        Assert.True(code == 0, error.ToString());
        var run = RunDirectory.Open(Assert.Single(Directory.GetDirectories(Path.Combine(_directory, "runs"))));
        var (transitions, path) = run.LatestCheckpoint()!.Value;
        Assert.InRange(transitions, 1_000, 50_000_000 - 1);
        Assert.Contains($"stopped at {transitions:N0} transitions; checkpoint in {run.CheckpointDirectory}", output.ToString());
        Assert.Equal(transitions, CheckpointFile.Load(path).Counter("transitions"));
        var records = MetricsFile.Read(run.MetricsFile);
        Assert.Equal((MetricKinds.Train, transitions), (records[^1].Kind, records[^1].Transitions));
        Assert.Single(records, r => r.Transitions == transitions);
    }

    /// <summary>Cancels <paramref name="source"/> when a line <paramref name="trigger"/> accepts is written.</summary>
    private sealed class CancellingWriter(System.Threading.CancellationTokenSource source, Func<string, bool> trigger) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null && trigger(value)) source.Cancel();
        }
    }

    [Theory]
    [InlineData("cartpole", "cartpole gives observations 4 wide and goals 0 wide, but agent 'Flip' declares inputs 8 and goals 8 wide")]
    [InlineData("gridworld", "gridworld gives observations")]
    [InlineData("mujoco", "--env must be one of bitflip, cartpole, gridworld, pointmass, pointmass-goal; found 'mujoco'")]
    public void AnEnvironmentThatDoesNotFitTheSpecIsNamed(string environment, string message)
    {
        var (code, output, error) = Run("train", Spec("flip.mtrl", SmallBitFlip), "--env", environment);
        Assert.Equal(2, code);
        Assert.DoesNotContain("transitions", output);
        Assert.Contains(message, error);
    }

    [Theory]
    [InlineData("--envs", "0", "--envs must be in [1, 65536]; found 0")]
    [InlineData("--steps", "0", "--steps must be at least 1; found 0")]
    [InlineData("--threads", "99", "--threads must be in [1, ")]
    [InlineData("--seed", "-1", "--seed must be at least 0; found -1")]
    [InlineData("--log-every", "0", "--log-every must be at least 1; found 0")]
    public void ArgumentsOutOfRangeAreNamedWithTheirRange(string option, string value, string message)
    {
        var (code, _, error) = Run("train", Spec("flip.mtrl", SmallBitFlip), "--env", "bitflip", option, value);
        Assert.Equal(2, code);
        Assert.Contains($"mtrl: error: {message}", error);
    }

    [Fact]
    public void ASacAgentTrainsOnPointMassAndEndsWithEachTaskAndTheAverageMedianAndWorst()
    {
        var spec = Spec("reach.mtrl", """
            agent Reach {
              tasks: 10
              input obs: 6
              action: continuous(2)
              network actor { out pi = gaussian(mlp(concat(obs, onehot(task)), widths: [16])) }
              network critic { out q = q_values(mlp(concat(obs, onehot(task), action), widths: [16])) }
              train sac { batch: 32  warmup: 200  train_every: 4  alpha: per_task  seed: 2 }
              replay { capacity: 5_000  sampling: balanced }
            }
            """);

        var (code, output, error) = Run("train", spec, "--env", "pointmass", "--envs", "10", "--steps", "1100");

        Assert.True(code == 0, error);
        var lines = output.Split('\n').Select(l => l.Trim()).ToArray();
        Assert.Contains(lines, l => l.StartsWith("greedy evaluation at 1,100 transitions, 10 episodes per task:", StringComparison.Ordinal));
        for (var t = 0; t < 10; t++) Assert.Contains(lines, l => l.StartsWith($"{t} ", StringComparison.Ordinal) && l.Contains('%'));
        foreach (var name in new[] { "average", "median", "worst" }) Assert.Contains(lines, l => l.StartsWith(name, StringComparison.Ordinal) && l.Contains('%'));
        Assert.Contains(lines, l => l.StartsWith("wall time", StringComparison.Ordinal));
    }

    [Fact]
    public void ASacAgentInAnEnvironmentThatDoesNotFitSaysWhichSideIsWhich()
    {
        var (code, _, error) = Run("train", Path.Combine(AppContext.BaseDirectory, "specs", "moe_sac.mtrl"), "--env", "cartpole");
        Assert.Equal(2, code);
        Assert.Contains("moe_sac.mtrl(", error);
        Assert.Contains("): error: --env cartpole does not fit the spec: cartpole", error);
        Assert.Contains("agent 'MixtureOfExpertsSac'", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void ASpecWithSeveralAgentsNeedsAgent()
    {
        var spec = Spec("two.mtrl", SmallBitFlip + "\n" + SmallBitFlip.Replace("agent Flip", "agent Flop"));
        var (code, _, error) = Run("train", spec, "--env", "bitflip");
        Assert.Equal(2, code);
        Assert.Contains("the spec declares 2 agents (Flip, Flop); choose one with --agent", error);
        var (wrong, _, wrongError) = Run("train", spec, "--env", "bitflip", "--agent", "Flap");
        Assert.Equal(2, wrong);
        Assert.Contains("--agent must name an agent of the spec (Flip, Flop); found 'Flap'", wrongError);
    }

    /// <summary>
    /// The shape of every failure a user can cause: a non-zero exit and one line on standard
    /// error per problem, each starting "mtrl: " or at a spec position, never a stack trace.
    /// </summary>
    private static void AssertOneLineFailure(int expectedCode, int code, string error, string message)
    {
        Assert.True(expectedCode == code, $"exit {code}, expected {expectedCode}: {error}");
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("Unhandled exception", error);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Matches(@"^(mtrl: |.+\(\d+,\d+\): (error|warning|info)\b)", line));
        Assert.Contains(message, error);
    }

    private string SmallBitFlipWith(string name, int bits) => Spec(name, SmallBitFlip
        .Replace("input bits: 8", $"input bits: {bits}").Replace("goal target: 8", $"goal target: {bits}").Replace("discrete(8)", $"discrete({bits})"));

    [Fact]
    public void MoreBitsThanBitFlipHasIsNamedAtTheInputBeforeAnythingRuns()
    {
        var spec = SmallBitFlipWith("wide.mtrl", 65);
        Assert.Equal(0, Run("check", spec).Code);

        var (code, output, error) = Run("train", spec, "--env", "bitflip");

        AssertOneLineFailure(2, code, error, $"{spec}(2,9): error: --env bitflip does not fit the spec: bitflip flips 1 to 64 bits, but agent 'Flip' declares observation and goal 65 wide");
        Assert.DoesNotContain("compiled", output);
        Assert.Equal(0, Run("train", SmallBitFlipWith("widest.mtrl", 64), "--env", "bitflip", "--envs", "2", "--steps", "64").Code);
    }

    public static TheoryData<string, string, string, string> Mismatches() => new()
    {
        // Action size: at the action declaration.
        { "gridworld", "input obs: 169", "action: discrete(5)", "(3,11): error: --env gridworld does not fit the spec: gridworld has discrete(4) actions, but agent 'A' declares discrete(5)" },
        // Observation width: at the (first) observation input.
        { "cartpole", "input obs: 5", "action: discrete(2)", "(2,9): error: --env cartpole does not fit the spec: cartpole gives observations 4 wide and goals 0 wide, but agent 'A' declares inputs 5 and goals 0 wide" },
        // A goal the environment has and the agent lacks: at the agent (there is no goal input to point at).
        { "bitflip", "input obs: 4", "action: discrete(4)", "(1,1): error: --env bitflip does not fit the spec: bitflip needs an agent whose observation and goal are the same width" },
        // Task count: at the agent.
        { "gridworld", "tasks: 5\n  input obs: 169", "action: discrete(4)", "(1,1): error: --env gridworld does not fit the spec: gridworld runs 4 task(s), but agent 'A' learns 5" },
    };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void EveryEnvironmentMismatchIsOneLineAtItsDeclaration(string environment, string input, string action, string message)
    {
        var spec = Spec("a.mtrl", $"agent A {{\n  {input}\n  {action}\n  network q {{\n    out q = q_values(mlp(obs, widths: [8]))\n  }}\n  train dqn {{ }}\n}}\n");
        var (code, _, error) = Run("train", spec, "--env", environment);
        AssertOneLineFailure(2, code, error, spec + message);
    }

    [Fact]
    public void GradNormWithoutASharedWeightFailsCheckAtTheSettingNotTrainAtASlice()
    {
        var spec = Spec("gradnorm.mtrl", """
            agent G {
              tasks: 2
              input obs: 4
              action: discrete(2)
              network q {
                out q = q_values(obs, per_task: true)
              }
              train dqn { gradients: gradnorm }
            }
            """);
        var expected = $"{spec}(8,26): error MTRL0411: gradnorm balances the tasks' gradient norms on a shared weight matrix, but network 'q' has none";

        var (checkCode, checkOutput, _) = Run("check", spec);
        Assert.Equal(1, checkCode);
        Assert.Contains(expected, checkOutput);

        var (code, _, error) = Run("train", spec, "--env", "cartpole");
        AssertOneLineFailure(1, code, error, expected);
        Assert.DoesNotContain("slice", error);
    }

    public static TheoryData<string, string> BadSavePaths() => new()
    {
        { "", "mtrl: error: --save must name a file; found an empty path" },
        { " ", "mtrl: error: --save must name a file; found an empty path" },
        { "{dir}", "mtrl: error: --save must name a file, but '{dir}' is a directory" },
        { "{dir}/", "mtrl: error: --save must name a file, but '{dir}/' is a directory" },
        { "{dir}/missing/run.ckpt", "mtrl: error: --save '{dir}/missing/run.ckpt': the directory '{dir}/missing' does not exist" },
        { "{dir}/flip.mtrl/run.ckpt", "mtrl: error: --save '{dir}/flip.mtrl/run.ckpt': '{dir}/flip.mtrl' is a file, not a directory" },
    };

    [Theory]
    [MemberData(nameof(BadSavePaths))]
    public void ABadSavePathIsRefusedBeforeTraining(string save, string message)
    {
        var spec = Spec("flip.mtrl", SmallBitFlip);
        var (code, output, error) = Run("train", spec, "--env", "bitflip", "--steps", "64", "--save", save.Replace("{dir}", _directory, StringComparison.Ordinal));
        AssertOneLineFailure(2, code, error, message.Replace("{dir}", _directory, StringComparison.Ordinal));
        Assert.Equal("", output);
    }

    [Fact]
    public void ASaveIntoADirectoryThatTakesNoFilesIsRefusedBeforeTraining()
    {
        if (!OperatingSystem.IsLinux()) return;
        // Even root cannot create files in /proc.
        var (code, output, error) = Run("train", Spec("flip.mtrl", SmallBitFlip), "--env", "bitflip", "--save", "/proc/run.ckpt");
        AssertOneLineFailure(2, code, error, "mtrl: error: --save '/proc/run.ckpt': cannot write into '/proc'");
        Assert.Equal("", output);
    }

    [Fact]
    public void SpecsThatAreNotSmallRegularFilesAreRefusedWithTheLimit()
    {
        var large = Path.Combine(_directory, "large.mtrl");
        File.WriteAllText(large, "# " + new string('x', Mtrl.Cli.SpecFiles.MaxBytes));
        var (code, _, error) = Run("train", large, "--env", "bitflip");
        AssertOneLineFailure(1, code, error, $"mtrl: error: '{large}' is larger than the spec size limit of 1,048,576 bytes (1 MiB)");

        if (!OperatingSystem.IsLinux()) return;
        (code, _, error) = Run("train", "/dev/zero", "--env", "bitflip");
        AssertOneLineFailure(1, code, error, "mtrl: error: '/dev/zero' is a character device, not a regular file; pass .mtrl files");
        var fifo = Path.Combine(_directory, "pipe.mtrl");
        using (var mkfifo = Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        (code, _, error) = Run("train", fifo, "--env", "bitflip");
        AssertOneLineFailure(1, code, error, $"mtrl: error: '{fifo}' is a named pipe, not a regular file; pass .mtrl files");
    }

    [Fact]
    public void TrainSaysOnStandardErrorThatItRebuiltADamagedCacheEntry()
    {
        var spec = Spec("flip.mtrl", SmallBitFlip);
        Assert.Equal(0, Run("train", spec, "--env", "bitflip", "--envs", "2", "--steps", "64").Code);
        var entry = Assert.Single(Directory.GetFiles(Path.Combine(_directory, "cache"), "*.agent"));
        var bytes = File.ReadAllBytes(entry);
        bytes[^100] ^= 1;
        File.WriteAllBytes(entry, bytes);

        var (code, output, error) = Run("train", spec, "--env", "bitflip", "--envs", "2", "--steps", "64");

        Assert.True(code == 0, error);
        Assert.Contains($"mtrl: note: the cached agent '{entry}' failed verification (its content hash does not match); deleted it and rebuilding", error);
        Assert.Contains("agent Flip: generated and compiled", output);
    }

    [Fact]
    public void AFailureDuringTrainingIsOneLineWithTheTransitionCountAndSavesNothing()
    {
        // Absurd physics: a 3e38 N push on weightless parts overflows the state to Inf and NaN.
        var spec = Spec("pole.mtrl", "agent P {\n  input s: 4\n  action: discrete(2)\n  network q {\n    out q = q_values(mlp(s, widths: [8]))\n  }\n  train dqn { batch: 8  warmup: 16 }\n}\n");
        var checkpoint = Path.Combine(_directory, "pole.ckpt");

        var (code, output, error) = Run("train", spec, "--env", "cartpole", "--steps", "400", "--save", checkpoint,
            "--cartpole-force", "3e38", "--cartpole-mass-cart", "1e-30", "--cartpole-mass-pole", "1e-30");

        AssertOneLineFailure(1, code, error, "mtrl: error: training stopped at ");
        Assert.Matches(@"training stopped at [0-9,]+ transitions: \S", error);
        Assert.Contains("training for 400 transitions", output);
        Assert.False(File.Exists(checkpoint));
    }

    [Theory]
    [InlineData("--steps", "9223372036854775808", "--steps must be an integer in [1, 9223372036854775807]; found '9223372036854775808'")]
    [InlineData("--envs", "99999999999", "--envs must be an integer in [1, 65536]; found '99999999999'")]
    [InlineData("--seed", "1e3", "--seed must be an integer in [0, 9223372036854775807]; found '1e3'")]
    [InlineData("--log-every", "ten", "--log-every must be an integer in [1, 9223372036854775807]; found 'ten'")]
    public void NumbersThatDoNotParseAreNamedWithTheirRangeWithoutTheHelpText(string option, string value, string message)
    {
        var (code, output, error) = Run("train", Spec("flip.mtrl", SmallBitFlip), "--env", "bitflip", option, value);
        AssertOneLineFailure(2, code, error, $"mtrl: error: {message}");
        Assert.Equal($"mtrl: error: {message}{Environment.NewLine}mtrl: see 'mtrl train --help'{Environment.NewLine}", error);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData(0L, 10L, 100L, 10L)]
    [InlineData(95L, 10L, 100L, 100L)]
    [InlineData(0L, long.MaxValue / 20, long.MaxValue, long.MaxValue / 20)]
    [InlineData(long.MaxValue - 5, long.MaxValue / 20, long.MaxValue, long.MaxValue)]
    [InlineData(7L, long.MaxValue, long.MaxValue, long.MaxValue)]
    public void TheNextProgressLineNeverOverflows(long transitions, long every, long total, long expected)
        => Assert.Equal(expected, RunRecorder.NextMultiple(transitions, every, total));
}
