using System;
using System.IO;
using System.Linq;
using Mtrl.Runtime.Checkpoints;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary><c>mtrl train</c>: the in-process agent trains, reports progress and saves; bad requests get one clear line.</summary>
public sealed class TrainCommandTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-train-" + Guid.NewGuid().ToString("N"));

    public TrainCommandTests()
    {
        Directory.CreateDirectory(_directory);
        // Keep compiled agents out of the user's cache.
        Environment.SetEnvironmentVariable("MTRL_CACHE_DIR", Path.Combine(_directory, "cache"));
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

        var (code, output, error) = Run("train", spec, "--env", "bitflip", "--envs", "4", "--steps", "4000", "--log-every", "1000", "--save", checkpoint);

        Assert.True(code == 0, error);
        Assert.Contains("agent Flip: generated and compiled", output);
        Assert.Contains("training for 4,000 transitions in 4 × bitflip", output);
        Assert.Contains("       4,000 ", output);
        Assert.Equal(4, output.Split('\n').Count(line => line.Contains(" %", StringComparison.Ordinal))); // one progress row per 1,000
        var saved = CheckpointFile.Load(checkpoint);
        Assert.Equal(4_000, saved.Counter("transitions"));
        Assert.True(saved.Counter("updates") > 500);

        var (again, secondOutput, _) = Run("train", spec, "--env", "bitflip", "--envs", "4", "--steps", "400");
        Assert.Equal(0, again);
        Assert.Contains("agent Flip: loaded from cache", secondOutput);
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
        Assert.Contains(lines, l => l.StartsWith($"per task, over each task's last {Mtrl.Runtime.Algorithms.OffPolicyLoop.TaskWindow} training episodes", StringComparison.Ordinal));
        for (var t = 0; t < 10; t++) Assert.Contains(lines, l => l.StartsWith($"{t} ", StringComparison.Ordinal) && l.Contains('%'));
        foreach (var name in new[] { "average", "median", "worst" }) Assert.Contains(lines, l => l.StartsWith(name, StringComparison.Ordinal) && l.Contains('%'));
        Assert.Contains(lines, l => l.StartsWith("wall time", StringComparison.Ordinal));
    }

    [Fact]
    public void ASacAgentInAnEnvironmentThatDoesNotFitSaysWhichSideIsWhich()
    {
        var (code, _, error) = Run("train", Path.Combine(AppContext.BaseDirectory, "specs", "moe_sac.mtrl"), "--env", "cartpole");
        Assert.Equal(2, code);
        Assert.Contains("mtrl: error: cartpole", error);
        Assert.Contains("agent 'MixtureOfExpertsSac'", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void ADqnAgentWithAnUnsupportedScheduleSaysWhy()
    {
        var (code, _, error) = Run("train", Path.Combine(AppContext.BaseDirectory, "specs", "progressive_dqn.mtrl"), "--env", "gridworld", "--steps", "10");
        Assert.Equal(2, code);
        Assert.Contains("sequential schedule", error);
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
}
