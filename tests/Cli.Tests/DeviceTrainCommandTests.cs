using System;
using System.IO;
using System.Linq;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Runs;
using Mtrl.Runs.Metrics;
using Mtrl.Runtime.Checkpoints;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary>
/// <c>mtrl train --device</c>: a DQN agent trains end to end on ILGPU's CPU accelerator and leaves
/// the usual run outputs, learning what the CPU run of the same seed learns; a device that is not
/// there, a spec the device cannot run and a bad value are each one clear line.
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class DeviceTrainCommandTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-device-" + Guid.NewGuid().ToString("N"));

    public DeviceTrainCommandTests()
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

    private const string TinyCartPole = """
        agent Pole {
          input state: 4
          action: discrete(2)
          network q {
            h = mlp(state, widths: [16])
            out q = q_values(h)
          }
          train dqn { gamma: 0.9  lr: 1e-3  batch: 16  warmup: 64  target_update_every: 64  epsilon_decay_steps: 200  seed: 3 }
          replay { capacity: 2_000 }
        }
        """;

    [Fact]
    public void IlgpuCpuTrainsATinyCartPoleRunEndToEndAndLearnsWhatTheCpuRunLearns()
    {
        var spec = Spec("pole.mtrl", TinyCartPole);
        var deviceCheckpoint = Path.Combine(_directory, "device.ckpt");
        var cpuCheckpoint = Path.Combine(_directory, "cpu.ckpt");
        string[] common = ["train", spec, "--env", "cartpole", "--envs", "4", "--steps", "400", "--log-every", "200", "--eval-every", "400", "--eval-episodes", "2", "--checkpoint-every", "200"];

        var (code, output, error) = Run([.. common, "--device", "ilgpu-cpu", "--save", deviceCheckpoint, "--runs-dir", Path.Combine(_directory, "device-runs")]);

        Assert.True(code == 0, error);
        Assert.Contains("device ilgpu-cpu: ", output);
        Assert.Contains("training for 400 transitions in 4 × cartpole, seed 3", output);
        Assert.Contains("greedy evaluation at 400 transitions, 2 episodes per task:", output);
        var run = RunDirectory.Open(Assert.Single(Directory.GetDirectories(Path.Combine(_directory, "device-runs"))));
        Assert.Equal("ilgpu-cpu", run.ReadManifest().EnvironmentOptions["--device"]);
        var records = MetricsFile.Read(run.MetricsFile);
        var training = records.Where(r => r.Kind == MetricKinds.Train).ToList();
        Assert.Equal(new long[] { 200, 400 }, training.Select(r => r.Transitions));
        Assert.All(training, r => Assert.True(r[MetricNames.Episodes] > 0, "episodes finish within 200 transitions"));
        Assert.True(double.IsFinite(training[^1][MetricNames.Loss]), "the last log point has the device's loss");
        Assert.Equal(new long[] { 400 }, records.Where(r => r.Kind == MetricKinds.Eval && r.Task == 0).Select(r => r.Transitions));
        Assert.Single(Directory.GetFiles(run.TensorBoardDirectory, "events.out.tfevents.*"));
        Assert.Equal(new long[] { 200, 400 }, run.Checkpoints().Select(c => c.Transitions));
        // The replay lives on the device, so no replay file is written beside the checkpoints.
        Assert.Empty(Directory.GetFiles(run.CheckpointDirectory, "*.replay"));

        var device = CheckpointFile.Load(deviceCheckpoint);
        Assert.Equal(400, device.Counter("transitions"));
        // One update per 4 transitions from the one that ends the warm-up (64) on: 400/4 − 60/4.
        Assert.Equal(85, device.Counter("updates"));
        Assert.Equal(device.Counter("updates"), device.Counter("adam.steps"));

        // The CPU run of the same seed: the device loop makes the same decisions, so it learns the same parameters up to float rounding.
        var (cpuCode, _, cpuError) = Run([.. common, "--save", cpuCheckpoint, "--runs-dir", Path.Combine(_directory, "cpu-runs")]);
        Assert.True(cpuCode == 0, cpuError);
        var cpu = CheckpointFile.Load(cpuCheckpoint);
        Assert.Equal(cpu.Counter("updates"), device.Counter("updates"));
        var difference = cpu.Arrays["parameters"].Zip(device.Arrays["parameters"], (a, b) => Math.Abs(a - b)).Max();
        Assert.True(difference <= 1e-4f, $"device parameters differ from the CPU run's by {difference}");
        Assert.NotEqual(cpu.Arrays["parameters"], cpu.Arrays["target"]);

        // A device run is not resumed: its replay was on the device.
        var (resumeCode, _, resumeError) = Run("train", "--resume", run.Path);
        Assert.Equal(1, resumeCode);
        Assert.Contains("trained on --device ilgpu-cpu", resumeError);
        Assert.Contains("cannot be resumed", resumeError);
    }

    [Fact]
    public void BitFlipWithHindsightRelabelingTrainsOnTheDeviceAsOnTheCpu()
    {
        var spec = Spec("flip.mtrl", """
            agent Flip {
              input bits: 6
              goal target: 6
              action: discrete(6)
              network q {
                h = mlp(concat(bits, target), widths: [16])
                out q = q_values(h)
              }
              train dqn { gamma: 0.9  lr: 1e-3  batch: 16  warmup: 48  target_update_every: 48  epsilon_decay_steps: 200  seed: 5 }
              replay { capacity: 1_000  her: future(k: 4) }
            }
            """);
        string[] common = ["train", spec, "--env", "bitflip", "--envs", "4", "--steps", "240", "--eval-episodes", "2", "--checkpoint-every", "0"];
        var deviceCheckpoint = Path.Combine(_directory, "device.ckpt");
        var cpuCheckpoint = Path.Combine(_directory, "cpu.ckpt");

        var (code, output, error) = Run([.. common, "--device", "ilgpu-cpu", "--save", deviceCheckpoint]);
        Assert.True(code == 0, error);
        Assert.Contains("eval success average", output);
        var (cpuCode, _, cpuError) = Run([.. common, "--save", cpuCheckpoint]);
        Assert.True(cpuCode == 0, cpuError);

        var device = CheckpointFile.Load(deviceCheckpoint);
        var cpu = CheckpointFile.Load(cpuCheckpoint);
        Assert.Equal(cpu.Counter("updates"), device.Counter("updates"));
        Assert.True(device.Counter("updates") > 40, "the run must make updates");
        var difference = cpu.Arrays["parameters"].Zip(device.Arrays["parameters"], (a, b) => Math.Abs(a - b)).Max();
        Assert.True(difference <= 1e-4f, $"device parameters differ from the CPU run's by {difference}");
    }

    private const string TinyReach = """
        agent Reach {
          tasks: 10
          input obs: 6
          action: continuous(2)
          network actor { out pi = gaussian(mlp(concat(obs, onehot(task)), widths: [16])) }
          network critic { out q = q_values(mlp(concat(obs, onehot(task), action), widths: [16])) }
          train sac { batch: 16  warmup: 80  train_every: 10  alpha: per_task  seed: 2 }
          replay { capacity: 2_000 }
        }
        """;

    [Fact]
    public void IlgpuCpuTrainsATinyMultiTaskSacRunOnPointMassAsTheCpuRunDoes()
    {
        var spec = Spec("reach.mtrl", TinyReach);
        var deviceCheckpoint = Path.Combine(_directory, "device.ckpt");
        var cpuCheckpoint = Path.Combine(_directory, "cpu.ckpt");
        string[] common = ["train", spec, "--env", "pointmass", "--envs", "10", "--steps", "600", "--log-every", "300", "--eval-every", "600", "--eval-episodes", "1", "--checkpoint-every", "300"];

        var (code, output, error) = Run([.. common, "--device", "ilgpu-cpu", "--save", deviceCheckpoint, "--runs-dir", Path.Combine(_directory, "device-runs")]);

        Assert.True(code == 0, error);
        Assert.Contains("device ilgpu-cpu: ", output);
        Assert.Contains("training for 600 transitions in 10 × pointmass, seed 2", output);
        Assert.Contains("greedy evaluation at 600 transitions, 1 episodes per task:", output);
        var run = RunDirectory.Open(Assert.Single(Directory.GetDirectories(Path.Combine(_directory, "device-runs"))));
        Assert.Equal("ilgpu-cpu", run.ReadManifest().EnvironmentOptions["--device"]);
        var records = MetricsFile.Read(run.MetricsFile);
        var training = records.Where(r => r.Kind == MetricKinds.Train).ToList();
        Assert.Equal(new long[] { 300, 600 }, training.Select(r => r.Transitions).Distinct());
        Assert.True(double.IsFinite(training.Single(r => r.Transitions == 600 && r.Task is null)[MetricNames.Loss]), "the last log point has the device's critic loss");
        Assert.Equal(new long[] { 600 }, records.Where(r => r.Kind == MetricKinds.Eval && r.Task == 0).Select(r => r.Transitions));
        Assert.Single(Directory.GetFiles(run.TensorBoardDirectory, "events.out.tfevents.*"));
        Assert.Equal(new long[] { 300, 600 }, run.Checkpoints().Select(c => c.Transitions));
        Assert.Empty(Directory.GetFiles(run.CheckpointDirectory, "*.replay"));

        var device = CheckpointFile.Load(deviceCheckpoint);
        Assert.Equal(600, device.Counter("transitions"));
        // One update per 10 transitions once the warm-up is over and an episode has ended (successes end some early).
        Assert.True(device.Counter("updates") > 30, $"the run must make updates; it made {device.Counter("updates")}");
        Assert.Equal(device.Counter("updates"), device.Counter("critic_adam.steps"));

        // The CPU run of the same seed makes the same decisions and learns the same values up to float rounding.
        var (cpuCode, _, cpuError) = Run([.. common, "--save", cpuCheckpoint, "--runs-dir", Path.Combine(_directory, "cpu-runs")]);
        Assert.True(cpuCode == 0, cpuError);
        var cpu = CheckpointFile.Load(cpuCheckpoint);
        Assert.Equal(cpu.Counter("updates"), device.Counter("updates"));
        foreach (var array in new[] { "parameters", "twin", "target", "twin_target", "log_alpha", "actor_adam.m", "critic_adam.v", "twin_adam.m", "alpha_adam.m" })
        {
            Assert.Equal(cpu.Arrays[array].Length, device.Arrays[array].Length);
            var difference = cpu.Arrays[array].Zip(device.Arrays[array], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(difference <= 1e-4f, $"device {array} differs from the CPU run's by {difference}");
        }
        Assert.Equal(cpu.Counter("actor_adam.steps"), device.Counter("actor_adam.steps"));
        Assert.NotEqual(cpu.Arrays["parameters"], cpu.Arrays["target"]);

        // A device run starts from its checkpoint's parameters (--init-from): with no update in 80 warm-up transitions they come back as loaded.
        var initialized = Path.Combine(_directory, "initialized.ckpt");
        var (initCode, _, initError) = Run("train", spec, "--env", "pointmass", "--envs", "10", "--steps", "80", "--eval-episodes", "1", "--checkpoint-every", "0",
            "--device", "ilgpu-cpu", "--init-from", deviceCheckpoint, "--save", initialized, "--runs-dir", Path.Combine(_directory, "init-runs"));
        Assert.True(initCode == 0, initError);
        var fineTuned = CheckpointFile.Load(initialized);
        Assert.Equal(0, fineTuned.Counter("updates"));
        Assert.Equal(device.Arrays["parameters"], fineTuned.Arrays["parameters"]);
        Assert.Equal(device.Arrays["twin"], fineTuned.Arrays["twin"]);

        // Its checkpoints are SAC checkpoints: mtrl eval reads the run.
        var (evalCode, _, evalError) = Run("eval", run.Path, "--episodes", "1");
        Assert.True(evalCode == 0, evalError);
    }

    [Fact]
    public void AnAbsentDeviceIsOneLineListingWhatIlgpuFound()
    {
        var found = GpuDevice.ListDevices();
        var absent = new[] { "cuda", "opencl" }.FirstOrDefault(kind => !found.Any(line => line.StartsWith(kind + " ", StringComparison.Ordinal)));
        Assert.True(absent is not null || found.Count >= 3, "a machine without CUDA or OpenCL must report it");
        if (absent is null) return;
        var spec = Spec("pole.mtrl", TinyCartPole);

        var (code, output, error) = Run("train", spec, "--env", "cartpole", "--device", absent);

        Assert.Equal(2, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"mtrl: error: --device {absent}: no {absent} found; ILGPU found: ilgpu-cpu 0: ", line);
        Assert.DoesNotContain("training for", output);
        Assert.False(Directory.Exists(Path.Combine(_directory, "runs")), "no run directory for a run that cannot start");
    }

    [Fact]
    public void ASpecTheDeviceCannotRunIsOneLineNamingWhat()
    {
        var (code, _, error) = Run("train", Path.Combine(AppContext.BaseDirectory, "specs", "goal_td3_pcgrad.mtrl"), "--env", "pointmass-goal", "--envs", "10", "--device", "ilgpu-cpu");
        Assert.Equal(2, code);
        Assert.Contains("TD3 is not on the device (the device trains DQN and SAC); train it with --device cpu", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var sacNorm = Spec("reach-norm.mtrl", TinyReach.Replace("widths: [16])) }", "widths: [16], layer_norm: true)) }", StringComparison.Ordinal));
        (code, _, error) = Run("train", sacNorm, "--env", "pointmass", "--envs", "10", "--device", "ilgpu-cpu");
        Assert.Equal(2, code);
        Assert.Contains("cannot train agent 'Reach': the device runs plain MLP SAC networks", error);
        Assert.Contains("layer norm is not on the device yet", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var sacOrder = Spec("reach-order.mtrl", TinyReach.Replace("concat(obs, onehot(task), action)", "concat(onehot(task), obs, action)", StringComparison.Ordinal));
        (code, _, error) = Run("train", sacOrder, "--env", "pointmass", "--envs", "10", "--device", "ilgpu-cpu");
        Assert.Equal(2, code);
        Assert.Contains("the device reads observation [⊕ onehot(task)] ⊕ action in that order", error);

        var layerNorm = Spec("norm.mtrl", TinyCartPole.Replace("widths: [16])", "widths: [16], layer_norm: true)", StringComparison.Ordinal));
        (code, _, error) = Run("train", layerNorm, "--env", "cartpole", "--device", "ilgpu-cpu");
        Assert.Equal(2, code);
        Assert.Contains("cannot train agent 'Pole': the device runs a plain MLP Q network", error);
        Assert.Contains("layer norm is not on the device yet", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var prioritized = Spec("prio.mtrl", TinyCartPole.Replace("capacity: 2_000", "capacity: 2_000  priority: proportional(alpha: 0.6)", StringComparison.Ordinal));
        (code, _, error) = Run("train", prioritized, "--env", "cartpole", "--device", "ilgpu-cpu");
        Assert.Equal(2, code);
        Assert.Contains("prioritized replay is not on the device yet", error);
    }

    [Fact]
    public void ABadDeviceValueListsTheAllowedOnes()
    {
        var (code, _, error) = Run("train", "pole.mtrl", "--env", "cartpole", "--device", "gpu");
        Assert.Equal(2, code);
        Assert.Equal("mtrl: error: --device must be one of cpu, cuda, opencl, ilgpu-cpu; found 'gpu'", error.Trim());

        (code, _, error) = Run("train", "--resume", "somewhere", "--device", "cuda");
        Assert.Equal(2, code);
        Assert.Contains("--device applies to a new run", error);
    }
}
