using System;
using System.Collections.Generic;
using System.Threading;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Training;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Profiling;
using Mtrl.Runtime.Replay;

namespace Mtrl.Cli.Devices;

/// <summary>
/// A generated agent's DQN trained on a device, behind the <see cref="ITrainer"/> the CLI drives:
/// the device loop (<see cref="DeviceDqnTraining"/>) does the training, and the CPU trainer the
/// generated factory built (its parameters initialised from the seed, its Q network) is the
/// host-side shell for what happens at log points — evaluation acts with the CPU network on the
/// device's parameters, checkpoints are written in the CPU trainer's format. Values come back from
/// the device only when asked for: counters and episodes at log points, parameters at evaluations
/// and checkpoints.
/// </summary>
internal sealed class DeviceDqnTrainer : ITrainer, IDiscreteGreedyPolicy, IDeviceResidentTrainer, IDisposable
{
    private readonly DqnTrainer _shell;
    private readonly DeviceDqnTraining _training;
    private readonly IDisposable _environment;
    private readonly DeviceEpisodeReader _episodes;
    private long _parametersReadAt = -1;
    private long _countersReadAt = -1;
    private double _lastLoss = double.NaN;
    private long _skippedUpdates;

    /// <param name="shell">The CPU trainer of the same agent, environments and options (its replay unused).</param>
    /// <param name="device">The open device.</param>
    /// <param name="environment">The device environments, mirroring the shell's.</param>
    /// <param name="options">The device run's settings.</param>
    /// <param name="taskIds">Task of each environment.</param>
    /// <param name="taskCount">Tasks of the run.</param>
    /// <param name="description">The device, for messages.</param>
    public DeviceDqnTrainer(
        DqnTrainer shell, GpuDevice device, IDeviceDiscreteEnvironment environment, DeviceDqnTrainingOptions options, int[] taskIds, int taskCount, string description)
    {
        _shell = shell;
        _environment = (IDisposable)environment;
        _training = new DeviceDqnTraining(device, environment, DeviceLayers.Of(shell.Parameters.Layout), shell.Parameters.Values, options, taskIds, taskCount);
        _episodes = new DeviceEpisodeReader(_training.Loop.Episodes, taskCount);
        DeviceDescription = description;
    }

    /// <inheritdoc />
    public string DeviceDescription { get; }

    /// <summary>The device loop.</summary>
    public DeviceDqnTraining Training => _training;

    /// <inheritdoc />
    public long Transitions => _training.Transitions;

    /// <inheritdoc />
    public long TargetTransitions => _training.Options.Steps;

    /// <inheritdoc />
    public long Updates => _training.Updates;

    /// <inheritdoc />
    public double LastLoss
    {
        get
        {
            ReadCounters();
            return _lastLoss;
        }
    }

    /// <inheritdoc />
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

    /// <summary>The shell's replay, which stays empty: the transitions are in the device replay (see <see cref="IDeviceResidentTrainer"/>).</summary>
    public ReplayBuffer Replay => _shell.Replay;

    /// <inheritdoc />
    public int MaxRows => _shell.MaxRows;

    /// <inheritdoc />
    public void Step() => _training.Step();

    /// <summary>Steps the device loop to <paramref name="transitions"/>, then raises what the device replay recorded (a refused step): the one synchronisation of a stretch.</summary>
    public void Train(long? transitions = null, CancellationToken cancellation = default)
    {
        _training.Train(transitions, cancellation);
        _training.Loop.Replay.ThrowIfFaulted();
    }

    /// <summary>Greedy actions of the device's current parameters, computed by the CPU network (evaluation).</summary>
    public void Act(in NetworkInputs inputs, Span<int> actions)
    {
        ReadParameters();
        _shell.Act(inputs, actions);
    }

    /// <summary>
    /// Parameters, target parameters and Adam's moments read from the device, with the counters,
    /// in <see cref="DqnTrainer.CreateCheckpoint"/>'s sections (no loop state: a device run is not
    /// resumed), so <c>mtrl eval</c> and <c>--init-from</c> read it as any DQN checkpoint.
    /// </summary>
    public Checkpoint CreateCheckpoint()
    {
        ReadParameters();
        var learner = _training.Learner;
        var checkpoint = Checkpoint.Of(_shell.Parameters);
        checkpoint.Arrays["target"] = (float[])_shell.TargetParameters.Values.Clone();
        checkpoint.Arrays["adam.m"] = learner.Optimizer.FirstMoment.GetAsArray1D();
        checkpoint.Arrays["adam.v"] = learner.Optimizer.SecondMoment.GetAsArray1D();
        checkpoint.Counters["adam.steps"] = learner.Optimizer.ReadSteps();
        checkpoint.Counters["adam.skipped"] = learner.Optimizer.ReadSkippedSteps();
        return checkpoint.With("transitions", Transitions).With("updates", Updates).With("skipped_updates", SkippedUpdates)
            .With("last_loss", BitConverter.DoubleToInt64Bits(LastLoss));
    }

    /// <summary>Loads parameters, target parameters and Adam's state into the shell, then onto the device.</summary>
    public void Restore(Checkpoint checkpoint)
    {
        _shell.Restore(checkpoint);
        Upload(includeOptimizer: true);
    }

    /// <summary>A device run keeps its replay and environments on the device; it cannot continue from a checkpoint.</summary>
    public void Resume(Checkpoint checkpoint) =>
        throw new CheckpointException($"a run trained on {DeviceDescription} cannot be resumed: its replay and environments lived on the device");

    /// <summary>Fine-tuning's start, as the CPU trainer's; the loaded parameters go to the device.</summary>
    public FineTuneResult InitializeFrom(Checkpoint checkpoint)
    {
        if (Transitions != 0) throw new InvalidOperationException("a trainer starts from a checkpoint's parameters before its first step");
        var result = _shell.InitializeFrom(checkpoint);
        Upload(includeOptimizer: false);
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

    private void Upload(bool includeOptimizer)
    {
        var learner = _training.Learner;
        learner.Parameters.CopyFromCPU(_shell.Parameters.Values);
        learner.TargetParameters.CopyFromCPU(_shell.TargetParameters.Values);
        if (includeOptimizer)
        {
            var adam = _shell.Optimizer;
            learner.Optimizer.Restore(adam.FirstMoment, adam.SecondMoment, adam.Steps, adam.SkippedSteps);
        }
        _parametersReadAt = -1;
        _countersReadAt = -1;
    }

    /// <summary>The device's parameters into the shell's stores, once per point of the run.</summary>
    private void ReadParameters()
    {
        // Parameters change only in steps, which move the transition count.
        if (_parametersReadAt == Transitions) return;
        _training.Learner.Parameters.CopyToCPU(_shell.Parameters.Values);
        _training.Learner.TargetParameters.CopyToCPU(_shell.TargetParameters.Values);
        _parametersReadAt = Transitions;
    }

    private void ReadCounters()
    {
        if (_countersReadAt == Updates) return;
        var learner = _training.Learner;
        _lastLoss = Updates == 0 ? double.NaN : learner.Loss.ReadLoss();
        _skippedUpdates = learner.Optimizer.ReadSkippedSteps();
        _countersReadAt = Updates;
    }
}
