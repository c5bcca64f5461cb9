using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Mtrl.Runs;
using Mtrl.Runs.Metrics;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary><c>mtrl eval</c>: a saved agent's greedy policy, from a run directory or a checkpoint, agreeing with what training recorded.</summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class EvalCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("mtrl-eval-").FullName;

    public EvalCommandTests() => Environment.SetEnvironmentVariable("MTRL_CACHE_DIR", Path.Combine(Path.GetTempPath(), "mtrl-eval-tests-cache"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private const string SmallBitFlip = """
        agent Flip {
          input bits: 6
          goal target: 6
          action: discrete(6)
          network q {
            h = mlp(concat(bits, target), widths: [64])
            out q = q_values(h)
          }
          train dqn { gamma: 0.9  lr: 1e-3  batch: 64  warmup: 200  target_update_every: 200  epsilon_decay_steps: 2000  seed: 5 }
          replay { capacity: 20_000  her: future(k: 4) }
        }
        """;

    /// <summary>Trains the small agent into a run directory and returns it.</summary>
    private RunDirectory TrainedRun()
    {
        var spec = Path.Combine(_directory, "flip.mtrl");
        File.WriteAllText(spec, SmallBitFlip);
        var runs = Path.Combine(_directory, "runs");
        var (code, _, error) = Run("train", spec, "--env", "bitflip", "--envs", "4", "--steps", "6000", "--runs-dir", runs, "--eval-every", "0");
        Assert.True(code == 0, error);
        return RunDirectory.Open(Directory.GetDirectories(runs).Single());
    }

    [Fact]
    public void ARunsAgentIsEvaluatedAgainAndAgreesWithTheRunsFinalEvaluation()
    {
        var run = TrainedRun();
        var recorded = MetricsFile.Read(run.MetricsFile).Last(r => r.Kind == MetricKinds.Eval && r.Task == 0);

        var (code, output, error) = Run("eval", run.Path, "--json");

        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(6_000, root.GetProperty("transitions").GetInt64());
        Assert.EndsWith("transitions-000000006000.ckpt", root.GetProperty("checkpoint").GetString());
        var task = root.GetProperty("tasks").EnumerateArray().Single();
        // Same parameters, same evaluation seed and episode count as the run's last evaluation: the same numbers.
        Assert.Equal(recorded[MetricNames.Success], task.GetProperty("success").GetDouble());
        Assert.Equal(recorded[MetricNames.Return], task.GetProperty("return").GetDouble());
        Assert.Equal(recorded[MetricNames.Length], task.GetProperty("length").GetDouble());
        Assert.True(task.GetProperty("success").GetDouble() >= 0.8, $"a quick 6-bit HER agent succeeds: {output}");

        var (tableCode, table, _) = Run("eval", run.LatestCheckpoint()!.Value.Path, "--episodes", "4");
        Assert.Equal(0, tableCode);
        Assert.Contains("greedy evaluation at 6,000 transitions, 4 episodes per task:", table);
    }

    [Fact]
    public void DamagedMismatchedOrUnplacedCheckpointsAreRefusedNamingTheProblem()
    {
        var run = TrainedRun();
        var checkpoint = run.LatestCheckpoint()!.Value.Path;

        var loose = Path.Combine(_directory, "loose.ckpt");
        File.Copy(checkpoint, loose);
        var (code, _, error) = Run("eval", loose);
        Assert.Equal(2, code);
        Assert.Contains("is not in a run directory; name its agent with --spec FILE and --env NAME", error);

        var other = Path.Combine(_directory, "other.mtrl");
        File.WriteAllText(other, SmallBitFlip.Replace("widths: [64]", "widths: [32]", StringComparison.Ordinal));
        (code, _, error) = Run("eval", loose, "--spec", other, "--env", "bitflip");
        Assert.Equal(1, code);
        Assert.Contains($"{loose} does not fit agent 'Flip' of {other}", error);

        var bytes = File.ReadAllBytes(loose);
        File.WriteAllBytes(loose, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        (code, _, error) = Run("eval", loose, "--spec", other, "--env", "bitflip");
        Assert.Equal(1, code);
        Assert.Contains("loose.ckpt", error);
        Assert.DoesNotContain("   at ", error);

        (code, _, error) = Run("eval", run.Path, "--episodes", "0");
        Assert.Equal(2, code);
        Assert.Contains("--episodes must be in [1, 100000]; found 0", error);
    }
}
