using System;
using System.IO;
using System.Linq;
using Mtrl.Runs;
using Mtrl.Runtime.Checkpoints;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary>
/// <c>mtrl train --init-from … --freeze …</c>: a run starts from another run's checkpoint, keeps the
/// frozen slices bit for bit, says where it started in run.json, and resumes frozen; bad input is
/// one line naming the option.
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class FineTuneCommandTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-finetune-cli-" + Guid.NewGuid().ToString("N"));

    public FineTuneCommandTests()
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

    private string Spec(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    // Slices: encoder.fc0.{weight,bias}, q.h.fc0.{weight,bias}, q.q.{weight,bias}.
    private const string Flip = """
        agent Flip {
          input bits: 6
          goal target: 6
          action: discrete(6)
          block encoder = mlp(widths: [32])
          network q {
            h = mlp(encoder(concat(bits, target)), widths: [HIDDEN])
            out q = q_values(h)
          }
          train dqn { lr: 1e-3  batch: 32  warmup: 100  target_update_every: 100  epsilon_decay_steps: 500  seed: 3 }
          replay { capacity: 5_000  her: future(k: 4) }
        }
        """;

    private string FlipSpec(string name, int hidden = 32) => Spec(name, Flip.Replace("HIDDEN", hidden.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Trains the spec for a few hundred transitions into its own runs directory and returns the run.</summary>
    private RunDirectory Pretrain(string spec, string runs)
    {
        var (code, _, error) = Run("train", spec, "--env", "bitflip", "--envs", "4", "--steps", "400", "--eval-every", "0", "--eval-episodes", "1",
            "--runs-dir", Path.Combine(_directory, runs));
        Assert.True(code == 0, error);
        return RunDirectory.Open(Assert.Single(Directory.GetDirectories(Path.Combine(_directory, runs))));
    }

    private static float[] Slice(Checkpoint checkpoint, string name)
    {
        var slice = checkpoint.Slices!.Single(s => s.Name == name);
        return checkpoint.Arrays["parameters"].AsSpan(slice.Offset, (int)slice.Length).ToArray();
    }

    [Fact]
    public void AFineTunedRunStartsFromAnotherRunKeepsFrozenSlicesAndSaysWhereItStarted()
    {
        var spec = FlipSpec("flip.mtrl");
        var pretrained = Pretrain(spec, "pretrain");
        var start = pretrained.LatestCheckpoint()!.Value;
        var initial = CheckpointFile.Load(start.Path);

        var (code, output, error) = Run("train", spec, "--env", "bitflip", "--envs", "4", "--steps", "400", "--eval-every", "0", "--eval-episodes", "1",
            "--checkpoint-every", "200", "--init-from", pretrained.Path, "--freeze", "encoder");

        Assert.True(code == 0, error);
        Assert.Contains($"initialised from {start.Path}: loaded all 6 slices (same layout)", output);
        var run = RunDirectory.Open(Assert.Single(Directory.GetDirectories(Path.Combine(_directory, "runs"))));
        var manifest = run.ReadManifest();
        var fineTune = manifest.FineTune!;
        Assert.Equal(start.Path, fineTune.InitFrom);
        Assert.Equal(pretrained.Path, fineTune.InitFromRun);
        Assert.Equal(400, fineTune.InitTransitions);
        Assert.True(fineTune.SameLayout);
        Assert.Equal(6, fineTune.LoadedSlices);
        Assert.Empty(fineTune.SkippedSlices);
        Assert.Equal(new[] { "encoder" }, fineTune.Freeze);
        Assert.Equal(new[] { "encoder" }, fineTune.FreezeOption);
        Assert.Equal("encoder", Assert.Single(manifest.Settings.GetProperty("freeze").EnumerateArray()).GetString());
        Assert.Contains("\"fine_tune\"", File.ReadAllText(run.ManifestFile));

        // The frozen block is bit for bit the pretrained one; the head trained on from the pretrained values.
        var final = CheckpointFile.Load(run.LatestCheckpoint()!.Value.Path);
        Assert.Equal(400, final.Counter("transitions"));
        Assert.Equal(Slice(initial, "encoder.fc0.weight"), Slice(final, "encoder.fc0.weight"));
        Assert.Equal(Slice(initial, "encoder.fc0.bias"), Slice(final, "encoder.fc0.bias"));
        Assert.NotEqual(Slice(initial, "q.h.fc0.weight"), Slice(final, "q.h.fc0.weight"));

        // Resumed further, it keeps the freeze recorded in run.json (--freeze is not in the spec).
        var (resumed, _, resumeError) = Run("train", "--resume", run.Path, "--steps", "600");
        Assert.True(resumed == 0, resumeError);
        var further = CheckpointFile.Load(run.LatestCheckpoint()!.Value.Path);
        Assert.Equal(600, further.Counter("transitions"));
        Assert.Equal(Slice(initial, "encoder.fc0.weight"), Slice(further, "encoder.fc0.weight"));
        Assert.NotNull(run.ReadManifest().FineTune);

        // A plain run records no fine_tune and no freeze.
        Assert.DoesNotContain("fine_tune", File.ReadAllText(pretrained.ManifestFile));
        Assert.DoesNotContain("freeze", File.ReadAllText(pretrained.ManifestFile));
        Assert.Null(pretrained.ReadManifest().FineTune);
    }

    [Fact]
    public void AnotherLayoutLoadsTheSlicesThatAgreeFromACheckpointFile()
    {
        var pretrained = Pretrain(FlipSpec("small.mtrl"), "pretrain");
        var checkpoint = pretrained.LatestCheckpoint()!.Value.Path;
        var wider = FlipSpec("wide.mtrl", hidden: 48);

        var (code, output, error) = Run("train", wider, "--env", "bitflip", "--envs", "4", "--steps", "200", "--eval-every", "0", "--eval-episodes", "1",
            "--init-from", checkpoint, "--freeze", "encoder.fc0.weight");

        Assert.True(code == 0, error);
        // The readout's bias (1×6) agrees too; its weight (32×6 there, 48×6 here) does not.
        Assert.Contains("loaded 3 of 6 slices by name and shape; kept as initialised: q.h.fc0.weight (32×32 in the checkpoint, 32×48 here), q.h.fc0.bias (1×32 in the checkpoint, 1×48 here), q.q.weight (32×6 in the checkpoint, 48×6 here)", output);
        var fineTune = RunDirectory.Open(Assert.Single(Directory.GetDirectories(Path.Combine(_directory, "runs")))).ReadManifest().FineTune!;
        Assert.False(fineTune.SameLayout);
        Assert.Equal(3, fineTune.LoadedSlices);
        Assert.Equal(3, fineTune.SkippedSlices.Count);
        Assert.Equal(pretrained.Path, fineTune.InitFromRun);
    }

    [Fact]
    public void TheSpecsFreezeAndTheOptionsAddUp()
    {
        var spec = Spec("frozen.mtrl", Flip.Replace("HIDDEN", "32").Replace("seed: 3 }", "seed: 3  freeze: [encoder] }"));
        var (code, _, error) = Run("train", spec, "--env", "bitflip", "--envs", "4", "--steps", "200", "--eval-every", "0", "--eval-episodes", "1",
            "--freeze", "h");
        Assert.True(code == 0, error);
        var fineTune = RunDirectory.Open(Assert.Single(Directory.GetDirectories(Path.Combine(_directory, "runs")))).ReadManifest().FineTune!;
        Assert.Equal(new[] { "encoder", "q.h" }, fineTune.Freeze);
        Assert.Equal(new[] { "h" }, fineTune.FreezeOption);
        Assert.Null(fineTune.InitFrom);
    }

    [Fact]
    public void BadInitFromOrFreezeIsOneLineNamingTheOption()
    {
        var spec = FlipSpec("flip.mtrl");
        var garbage = Path.Combine(_directory, "garbage.ckpt");
        File.WriteAllText(garbage, "not a checkpoint at all");
        var other = Spec("other.mtrl", Flip.Replace("HIDDEN", "32").Replace("encoder", "trunk").Replace("network q", "network n").Replace("out q =", "out v ="));
        var foreign = Pretrain(other, "foreign").LatestCheckpoint()!.Value.Path;
        var emptyRun = Path.Combine(_directory, "not-a-run");
        Directory.CreateDirectory(emptyRun);

        (string[] Arguments, int Code, string Message)[] cases =
        [
            (["--init-from", Path.Combine(_directory, "missing.ckpt")], 1, "mtrl: error: --init-from must name a checkpoint file or a run directory; '"),
            (["--init-from", garbage], 1, "mtrl: error: --init-from: '" + garbage + "' is not an Mtrl checkpoint (wrong magic bytes)"),
            (["--init-from", emptyRun], 1, "mtrl: error: --init-from: '" + emptyRun + "' is not a run directory: it has no run.json"),
            (["--init-from", foreign], 1, "cannot initialise agent 'Flip': no parameter slice of the checkpoint matches this agent by name and shape"),
            (["--init-from", " "], 2, "mtrl: error: --init-from must name a checkpoint file or a run directory; found an empty path"),
            (["--freeze", "encodr"], 2, "mtrl: error: --freeze: 'encodr' matches no parameter slice; did you mean 'encoder'?"),
            (["--freeze", "q.h,,encoder"], 2, "mtrl: error: --freeze takes names separated by commas, such as encoder,q.h; found an empty name in 'q.h,,encoder'"),
            (["--freeze", "q,encoder"], 2, "mtrl: error: --freeze: freezing 'q', 'encoder' covers every parameter dqn trains"),
            (["--freeze", "h_encoder"], 2, "applies block 'encoder', whose parameters are named after the block; freeze 'encoder'"),
        ];
        foreach (var (arguments, expectedCode, message) in cases)
        {
            var (code, _, error) = Run(["train", spec, "--env", "bitflip", "--envs", "4", "--steps", "100", .. arguments]);
            Assert.True(code == expectedCode, $"{string.Join(' ', arguments)}: exit {code}\n{error}");
            Assert.Contains(message, error);
            Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => line.StartsWith("mtrl: error:", StringComparison.Ordinal));
            Assert.DoesNotContain("   at ", error);
        }
    }

    [Fact]
    public void ResumeRefusesInitFromAndFreeze()
    {
        var run = Pretrain(FlipSpec("flip.mtrl"), "pretrain");
        var (code, _, error) = Run("train", "--resume", run.Path, "--init-from", run.Path);
        Assert.Equal(2, code);
        Assert.Contains("mtrl: error: --init-from starts a new run from a checkpoint's parameters, --resume continues a run from its own newest checkpoint; give one of the two", error);
        (code, _, error) = Run("train", "--resume", run.Path, "--freeze", "encoder");
        Assert.Equal(2, code);
        Assert.Contains("mtrl: error: --freeze applies to a new run; a resumed run keeps the slices it froze when it started", error);
    }

    [Fact]
    public void DescribeListsTheSlicesAndWhatIsFrozen()
    {
        var spec = Spec("frozen.mtrl", Flip.Replace("HIDDEN", "32").Replace("seed: 3 }", "seed: 3  freeze: [h] }"));
        var (code, output, error) = Run("describe", "--slices", spec);
        Assert.True(code == 0, error);
        Assert.Contains("names for freeze (each covers the slices named NAME or NAME.…; --slices lists them): q, encoder, q.h, q.q", output);
        Assert.Contains("frozen: 1,056 parameters in 2 slices (q.h)", output);
        Assert.Contains("    freeze: [q.h]", output);
        Assert.Matches(@"q\.h\.fc0\.weight\s+32x32\s+1,024\s+shared\s+frozen", output);
        Assert.Matches(@"encoder\.fc0\.weight\s+12x32\s+384\s+shared\s*\n", output);
    }
}
