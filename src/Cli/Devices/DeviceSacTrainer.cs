using System;
using System.Collections.Generic;
using System.Threading;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Networks;
using Mtrl.Kernels.Gpu.Optimization;
using Mtrl.Kernels.Gpu.Training;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Profiling;
using Mtrl.Runtime.Replay;

namespace Mtrl.Cli.Devices;

/// <summary>
/// A generated agent's SAC trained on a device, behind the <see cref="ITrainer"/> the CLI drives:
/// the device loop (<see cref="DeviceSacTraining"/>) trains, and the CPU trainer the generated
/// factory built (parameters initialised from the seed, the actor network) is the host-side shell
/// for log points — evaluation acts with the CPU actor on the device's parameters, checkpoints are
/// written in the CPU trainer's format. Values come back from the device only when asked for.
/// </summary>
internal sealed class DeviceSacTrainer : ITrainer, IContinuousGreedyPolicy, IDeviceResidentTrainer, IDisposable
{
    private readonly SacTrainer _shell;
    private readonly DeviceSacTraining _training;
    private readonly IDisposable _environment;
    private readonly DeviceEpisodeReader _episodes;
    private long _parametersReadAt = -1;
    private long _countersReadAt = -1;
    private double _lastLoss = double.NaN;
    private long _skippedUpdates;

    /// <param name="shell">The CPU trainer of the same agent, environments and options (its replay unused).</param>
    /// <param name="device">The open device.</param>
    /// <param name="environment">The device environments, mirroring the shell's.</param>
    /// <param name="actorLayers">The actor's dense layers in the shell's layout.</param>
    /// <param name="criticLayers">A critic's dense layers in the shell's layout.</param>
    /// <param name="shape">What the networks read.</param>
    /// <param name="options">The device run's settings.</param>
    /// <param name="taskIds">Task of each environment.</param>
    /// <param name="description">The device, for messages.</param>
    public DeviceSacTrainer(
        SacTrainer shell, GpuDevice device, IDeviceContinuousEnvironment environment, IReadOnlyList<DeviceDenseLayer> actorLayers, IReadOnlyList<DeviceDenseLayer> criticLayers,
        Kernels.Gpu.Learning.DeviceSacShape shape, DeviceSacTrainingOptions options, int[] taskIds, string description)
    {
        _shell = shell;
        _environment = (IDisposable)environment;
        _training = new DeviceSacTraining(device, environment, actorLayers, criticLayers, shell.Parameters.Values, shell.TwinParameters.Values, shape, options, taskIds);
        _episodes = new DeviceEpisodeReader(_training.Loop.Episodes, shape.TaskCount);
        DeviceDescription = description;
    }

    /// <inheritdoc />
    public string DeviceDescription { get; }

    /// <summary>The device loop.</summary>
    public DeviceSacTraining Training => _training;

    /// <inheritdoc />
    public long Transitions => _training.Transitions;

    /// <inheritdoc />
    public long TargetTransitions => _training.Options.Steps;

    /// <inheritdoc />
    public long Updates => _training.Updates;

    /// <summary>The critics' loss of the last update (read from the device at a log point).</summary>
    public double LastLoss
    {
        get
        {
            ReadCounters();
            return _lastLoss;
        }
    }

    /// <summary>Optimizer steps the device skipped for a non-finite loss or gradient (critics and actor).</summary>
    public long SkippedUpdates
    {
        get
        {
            ReadCounters();
            return _skippedUpdates;
        }
    }

    /// <summary>Always 0: the device replay refuses a non-finite step and the run stops (--on-nonfinite skip is not on the device).</summary>
    public long NonFiniteTransitions => 0;

    /// <inheritdoc cref="NonFiniteTransitions" />
    public long SkippedTransitions => 0;

    /// <inheritdoc />
    public NonFiniteValue? LastNonFinite => null;

    /// <inheritdoc />
    public EpisodeStatistics Episodes => _episodes.Read(Transitions).Pooled;

    /// <inheritdoc />
    public ReadOnlySpan<EpisodeStatistics> TaskEpisodes => _episodes.Read(Transitions).PerTask;

    /// <summary>Not timed: the device's launches are asynchronous, so phase times would measure the launches, not the work.</summary>
    public TrainingProfile? Profile { get; set; }

    /// <summary>The shell's replay, which stays empty: the transitions are in the device replay.</summary>
    public ReplayBuffer Replay => _shell.Replay;

    /// <inheritdoc />
    public int MaxRows => _shell.MaxRows;

    /// <inheritdoc />
    public int ActionSize => _shell.ActionSize;

    /// <inheritdoc />
    public void Step() => _training.Step();

    /// <summary>Steps the device loop to <paramref name="transitions"/>, then raises what the device replay recorded (a refused step).</summary>
    public void Train(long? transitions = null, CancellationToken cancellation = default)
    {
        _training.Train(transitions, cancellation);
        _training.Loop.Replay.ThrowIfFaulted();
    }

    /// <summary>Deterministic actions of the device's current actor, computed by the CPU actor (evaluation).</summary>
    public void Act(scoped in NetworkInputs inputs, Span<float> actions)
    {
        ReadParameters();
        _shell.Act(inputs, actions);
    }

    /// <summary>
    /// The CPU trainer's checkpoint with the device's values: parameters, twin, both targets, log α,
    /// every optimizer's moments and counts, transitions and updates (no loop state is meaningful:
    /// a device run is not resumed), so <c>mtrl eval</c> and <c>--init-from</c> read it as any SAC checkpoint.
    /// </summary>
    public Checkpoint CreateCheckpoint()
    {
        ReadParameters();
        var learner = _training.Learner;
        var checkpoint = _shell.CreateCheckpoint();
        var length = _shell.Parameters.Values.Length;
        SaveAdam(checkpoint, "actor_adam", learner.ActorOptimizer, learner.ActorSpan, length);
        SaveAdam(checkpoint, "critic_adam", learner.CriticOptimizer, learner.CriticSpan, length);
        SaveAdam(checkpoint, "twin_adam", learner.TwinOptimizer, learner.CriticSpan, length);
        checkpoint.Arrays["log_alpha"] = learner.LogAlpha.GetAsArray1D()[.._shell.LogAlpha.Length];
        if (learner.TemperatureOptimizer is { } temperatures)
        {
            // The CPU temperature store is padded past its slots; the shell's section has its length.
            var slots = checkpoint.Arrays["log_alpha"].Length;
            var m = new float[checkpoint.Arrays["alpha_adam.m"].Length];
            var v = new float[m.Length];
            Array.Copy(temperatures.FirstMoment.GetAsArray1D(), m, slots);
            Array.Copy(temperatures.SecondMoment.GetAsArray1D(), v, slots);
            checkpoint.Arrays["alpha_adam.m"] = m;
            checkpoint.Arrays["alpha_adam.v"] = v;
            checkpoint.Counters["alpha_adam.steps"] = temperatures.ReadSteps();
            checkpoint.Counters["alpha_adam.skipped"] = temperatures.ReadSkippedSteps();
        }
        (_, var actorLoss) = learner.ReadLosses();
        checkpoint.Counters["transitions"] = Transitions;
        checkpoint.Counters["updates"] = Updates;
        checkpoint.Counters["skipped_updates"] = SkippedUpdates;
        checkpoint.Counters["last_loss"] = BitConverter.DoubleToInt64Bits(LastLoss);
        checkpoint.Counters["last_actor_loss"] = BitConverter.DoubleToInt64Bits(actorLoss);
        return checkpoint;
    }

    /// <summary>Loads parameters, targets, temperatures and optimizer state into the shell, then onto the device.</summary>
    public void Restore(Checkpoint checkpoint)
    {
        _shell.Restore(checkpoint);
        Upload();
        var learner = _training.Learner;
        RestoreAdam(learner.ActorOptimizer, _shell.ActorOptimizer, learner.ActorSpan);
        RestoreAdam(learner.CriticOptimizer, _shell.CriticOptimizer, learner.CriticSpan);
        RestoreAdam(learner.TwinOptimizer, _shell.TwinOptimizer, learner.CriticSpan);
        if (learner.TemperatureOptimizer is { } temperatures && checkpoint.Arrays.TryGetValue("alpha_adam.m", out var m) && checkpoint.Arrays.TryGetValue("alpha_adam.v", out var v))
        {
            var slots = _shell.LogAlpha.Length;
            temperatures.Restore(m[..slots], v[..slots], checkpoint.Counter("alpha_adam.steps"), checkpoint.Counters.TryGetValue("alpha_adam.skipped", out var skipped) ? skipped : 0);
        }
    }

    /// <summary>A device run keeps its replay and environments on the device; it cannot continue from a checkpoint.</summary>
    public void Resume(Checkpoint checkpoint) =>
        throw new CheckpointException($"a run trained on {DeviceDescription} cannot be resumed: its replay and environments lived on the device");

    /// <summary>Fine-tuning's start, as the CPU trainer's; the loaded parameters go to the device.</summary>
    public FineTuneResult InitializeFrom(Checkpoint checkpoint)
    {
        if (Transitions != 0) throw new InvalidOperationException("a trainer starts from a checkpoint's parameters before its first step");
        var result = _shell.InitializeFrom(checkpoint);
        Upload();
        return result;
    }

    /// <summary>The shell's CPU networks (the device's are plain MLPs with no transfer hooks).</summary>
    public IEnumerable<TNetwork> NetworksOf<TNetwork>() where TNetwork : class => _shell.NetworksOf<TNetwork>();

    /// <summary>Re-initialising modules is a transfer step, which is not on the device.</summary>
    public void Reinitialize(IReadOnlyList<ParameterSlice> slices, ulong seed) =>
        throw new NotSupportedException($"re-initialising parameter slices (a transfer step) is not on the device ({DeviceDescription})");

    /// <inheritdoc />
    public void Dispose()
    {
        _training.Dispose();
        _environment.Dispose();
    }

    /// <summary>A device optimizer's moments (over its network's span) as the CPU Adam's (over the whole store, zero elsewhere).</summary>
    private static void SaveAdam(Checkpoint checkpoint, string name, DeviceAdam adam, (int Start, int Length) span, int length)
    {
        var m = new float[length];
        var v = new float[length];
        // The device's moment buffers may be padded past the span: only its first span.Length values are moments.
        Array.Copy(adam.FirstMoment.GetAsArray1D(), 0, m, span.Start, span.Length);
        Array.Copy(adam.SecondMoment.GetAsArray1D(), 0, v, span.Start, span.Length);
        checkpoint.Arrays[name + ".m"] = m;
        checkpoint.Arrays[name + ".v"] = v;
        checkpoint.Counters[name + ".steps"] = adam.ReadSteps();
        checkpoint.Counters[name + ".skipped"] = adam.ReadSkippedSteps();
    }

    private static void RestoreAdam(DeviceAdam device, Runtime.Optimization.Adam cpu, (int Start, int Length) span) =>
        device.Restore(cpu.FirstMoment.AsSpan(span.Start, span.Length).ToArray(), cpu.SecondMoment.AsSpan(span.Start, span.Length).ToArray(), cpu.Steps, cpu.SkippedSteps);

    private void Upload()
    {
        var learner = _training.Learner;
        learner.Parameters.CopyFromCPU(_shell.Parameters.Values);
        learner.TwinParameters.CopyFromCPU(_shell.TwinParameters.Values);
        learner.TargetParameters.CopyFromCPU(_shell.TargetParameters.Values);
        learner.TwinTargetParameters.CopyFromCPU(_shell.TwinTargetParameters.Values);
        learner.LogAlpha.CopyFromCPU(_shell.LogAlpha.ToArray());
        _parametersReadAt = -1;
        _countersReadAt = -1;
    }

    /// <summary>The device's parameters into the shell's stores, once per point of the run.</summary>
    private void ReadParameters()
    {
        if (_parametersReadAt == Transitions) return;
        var learner = _training.Learner;
        learner.Parameters.CopyToCPU(_shell.Parameters.Values);
        learner.TwinParameters.CopyToCPU(_shell.TwinParameters.Values);
        learner.TargetParameters.CopyToCPU(_shell.TargetParameters.Values);
        learner.TwinTargetParameters.CopyToCPU(_shell.TwinTargetParameters.Values);
        _parametersReadAt = Transitions;
    }

    private void ReadCounters()
    {
        if (_countersReadAt == Updates) return;
        var learner = _training.Learner;
        _lastLoss = Updates == 0 ? double.NaN : learner.ReadLosses().Critic;
        _skippedUpdates = learner.ActorOptimizer.ReadSkippedSteps() + learner.CriticOptimizer.ReadSkippedSteps();
        _countersReadAt = Updates;
    }
}
