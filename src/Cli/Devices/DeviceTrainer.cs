using System;
using System.Collections.Generic;
using System.Threading;
using Mtrl.Kernels.Gpu.Training;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;
using Mtrl.Runtime.Parameters;
using Mtrl.Runtime.Profiling;
using Mtrl.Runtime.Replay;

namespace Mtrl.Cli.Devices;

/// <summary>
/// A generated agent trained on a device, behind the <see cref="ITrainer"/> the CLI drives: the
/// device loop trains, and the CPU trainer the generated factory built (parameters initialised
/// from the seed, its networks) is the host-side shell for log points — evaluation acts with the
/// CPU networks on the device's parameters, checkpoints are written in the CPU trainer's format.
/// Values come back from the device only when asked for: counters and episodes at log points,
/// parameters at evaluations and checkpoints. Subclasses say which values those are.
/// </summary>
/// <typeparam name="TShell">The CPU trainer.</typeparam>
/// <typeparam name="TTraining">The device loop.</typeparam>
internal abstract class DeviceTrainer<TShell, TTraining> : ITrainer, IDeviceResidentTrainer, IDisposable
    where TShell : ITrainer
    where TTraining : IDeviceTraining
{
    private readonly IDisposable _environment;
    private readonly DeviceEpisodeReader _episodes;
    private long _parametersReadAt = -1;
    private long _countersReadAt = -1;
    private double _lastLoss = double.NaN;
    private long _skippedUpdates;

    /// <param name="shell">The CPU trainer of the same agent, environments and options (its replay unused).</param>
    /// <param name="training">The device loop, started from the shell's parameters.</param>
    /// <param name="environment">The device environments the loop steps; disposed with it.</param>
    /// <param name="taskCount">Tasks of the run.</param>
    /// <param name="description">The device, for messages.</param>
    protected DeviceTrainer(TShell shell, TTraining training, IDisposable environment, int taskCount, string description)
    {
        Shell = shell;
        Training = training;
        _environment = environment;
        _episodes = new DeviceEpisodeReader(training.Loop.Episodes, taskCount);
        DeviceDescription = description;
    }

    /// <summary>The CPU trainer: checkpoint format, evaluation networks.</summary>
    protected TShell Shell { get; }

    /// <summary>The device loop.</summary>
    public TTraining Training { get; }

    /// <inheritdoc />
    public string DeviceDescription { get; }

    /// <inheritdoc />
    public long Transitions => Training.Transitions;

    /// <inheritdoc />
    public long TargetTransitions => Training.TargetTransitions;

    /// <inheritdoc />
    public long Updates => Training.Updates;

    /// <summary>The loss of the last update (read from the device at a log point).</summary>
    public double LastLoss
    {
        get
        {
            ReadCounters();
            return _lastLoss;
        }
    }

    /// <summary>Optimizer steps the device skipped for a non-finite loss or gradient.</summary>
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
    public ReplayBuffer Replay => Shell.Replay;

    /// <inheritdoc />
    public void Step() => Training.Step();

    /// <summary>Steps the device loop to <paramref name="transitions"/>, then raises what the device replay recorded (a refused step): the one synchronisation of a stretch.</summary>
    public void Train(long? transitions = null, CancellationToken cancellation = default)
    {
        Training.Train(transitions, cancellation);
        Training.Loop.Replay.ThrowIfFaulted();
    }

    /// <inheritdoc />
    public abstract Checkpoint CreateCheckpoint();

    /// <summary>Loads the checkpoint into the shell, then its parameters and optimizer state onto the device.</summary>
    public void Restore(Checkpoint checkpoint)
    {
        Shell.Restore(checkpoint);
        UploadParameters();
        UploadOptimizers(checkpoint);
    }

    /// <summary>A device run keeps its replay and environments on the device; it cannot continue from a checkpoint.</summary>
    public void Resume(Checkpoint checkpoint) =>
        throw new CheckpointException($"a run trained on {DeviceDescription} cannot be resumed: its replay and environments lived on the device");

    /// <summary>Fine-tuning's start, as the CPU trainer's; the loaded parameters go to the device.</summary>
    public FineTuneResult InitializeFrom(Checkpoint checkpoint)
    {
        if (Transitions != 0) throw new InvalidOperationException("a trainer starts from a checkpoint's parameters before its first step");
        var result = Shell.InitializeFrom(checkpoint);
        UploadParameters();
        return result;
    }

    /// <summary>The shell's CPU networks (the device's are plain MLPs with no transfer hooks).</summary>
    public IEnumerable<TNetwork> NetworksOf<TNetwork>() where TNetwork : class => Shell.NetworksOf<TNetwork>();

    /// <summary>Re-initialising modules is a transfer step, which is not on the device.</summary>
    public void Reinitialize(IReadOnlyList<ParameterSlice> slices, ulong seed) =>
        throw new NotSupportedException($"re-initialising parameter slices (a transfer step) is not on the device ({DeviceDescription})");

    /// <inheritdoc />
    public void Dispose()
    {
        Training.Dispose();
        _environment.Dispose();
    }

    /// <summary>The device's parameters into the shell's stores, once per point of the run (they change only in steps, which move the transition count).</summary>
    protected void ReadParameters()
    {
        if (_parametersReadAt == Transitions) return;
        CopyParametersToShell();
        _parametersReadAt = Transitions;
    }

    /// <summary>Copies every parameter store of the device (online and target) into the shell's.</summary>
    protected abstract void CopyParametersToShell();

    /// <summary>Copies the shell's parameter stores onto the device.</summary>
    protected abstract void CopyParametersToDevice();

    /// <summary>Loads the shell's optimizer state (restored from <paramref name="checkpoint"/>) onto the device.</summary>
    protected abstract void UploadOptimizers(Checkpoint checkpoint);

    /// <summary>The last update's loss and the skipped optimizer steps, read from the device.</summary>
    protected abstract (double LastLoss, long SkippedUpdates) ReadDeviceCounters();

    private void UploadParameters()
    {
        CopyParametersToDevice();
        _parametersReadAt = -1;
        _countersReadAt = -1;
    }

    private void ReadCounters()
    {
        if (_countersReadAt == Updates) return;
        (_lastLoss, _skippedUpdates) = ReadDeviceCounters();
        if (Updates == 0) _lastLoss = double.NaN;
        _countersReadAt = Updates;
    }
}
