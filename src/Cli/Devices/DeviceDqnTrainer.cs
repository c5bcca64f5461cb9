using System;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Training;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;

namespace Mtrl.Cli.Devices;

/// <summary>
/// A generated agent's DQN trained on a device (<see cref="DeviceDqnTraining"/>) behind the
/// <see cref="ITrainer"/> the CLI drives; the CPU <see cref="DqnTrainer"/> is the shell for
/// evaluation (its Q network on the device's parameters) and checkpoints (its format).
/// </summary>
internal sealed class DeviceDqnTrainer : DeviceTrainer<DqnTrainer, DeviceDqnTraining>, IDiscreteGreedyPolicy
{
    /// <param name="shell">The CPU trainer of the same agent, environments and options (its replay unused).</param>
    /// <param name="device">The open device.</param>
    /// <param name="environment">The device environments, mirroring the shell's.</param>
    /// <param name="options">The device run's settings.</param>
    /// <param name="taskIds">Task of each environment.</param>
    /// <param name="taskCount">Tasks of the run.</param>
    /// <param name="description">The device, for messages.</param>
    public DeviceDqnTrainer(
        DqnTrainer shell, GpuDevice device, IDeviceDiscreteEnvironment environment, DeviceDqnTrainingOptions options, int[] taskIds, int taskCount, string description)
        : base(shell, new DeviceDqnTraining(device, environment, DeviceLayers.Of(shell.Parameters.Layout), shell.Parameters.Values, options, taskIds, taskCount),
            (IDisposable)environment, taskCount, description)
    {
    }

    /// <inheritdoc />
    public int MaxRows => Shell.MaxRows;

    /// <summary>Greedy actions of the device's current parameters, computed by the CPU network (evaluation).</summary>
    public void Act(in NetworkInputs inputs, Span<int> actions)
    {
        ReadParameters();
        Shell.Act(inputs, actions);
    }

    /// <summary>
    /// Parameters, target parameters and Adam's moments read from the device, with the counters,
    /// in <see cref="DqnTrainer.CreateCheckpoint"/>'s sections (no loop state: a device run is not
    /// resumed), so <c>mtrl eval</c> and <c>--init-from</c> read it as any DQN checkpoint.
    /// </summary>
    public override Checkpoint CreateCheckpoint()
    {
        ReadParameters();
        var learner = Training.Learner;
        var checkpoint = Checkpoint.Of(Shell.Parameters);
        checkpoint.Arrays["target"] = (float[])Shell.TargetParameters.Values.Clone();
        checkpoint.Arrays["adam.m"] = learner.Optimizer.FirstMoment.GetAsArray1D();
        checkpoint.Arrays["adam.v"] = learner.Optimizer.SecondMoment.GetAsArray1D();
        checkpoint.Counters["adam.steps"] = learner.Optimizer.ReadSteps();
        checkpoint.Counters["adam.skipped"] = learner.Optimizer.ReadSkippedSteps();
        return checkpoint.With("transitions", Transitions).With("updates", Updates).With("skipped_updates", SkippedUpdates)
            .With("last_loss", BitConverter.DoubleToInt64Bits(LastLoss));
    }

    /// <inheritdoc />
    protected override void CopyParametersToShell()
    {
        Training.Learner.Parameters.CopyToCPU(Shell.Parameters.Values);
        Training.Learner.TargetParameters.CopyToCPU(Shell.TargetParameters.Values);
    }

    /// <inheritdoc />
    protected override void CopyParametersToDevice()
    {
        Training.Learner.Parameters.CopyFromCPU(Shell.Parameters.Values);
        Training.Learner.TargetParameters.CopyFromCPU(Shell.TargetParameters.Values);
    }

    /// <inheritdoc />
    protected override void UploadOptimizers(Checkpoint checkpoint)
    {
        var adam = Shell.Optimizer;
        Training.Learner.Optimizer.Restore(adam.FirstMoment, adam.SecondMoment, adam.Steps, adam.SkippedSteps);
    }

    /// <inheritdoc />
    protected override (double LastLoss, long SkippedUpdates) ReadDeviceCounters() =>
        (Training.Learner.Loss.ReadLoss(), Training.Learner.Optimizer.ReadSkippedSteps());
}
