using System;
using System.Collections.Generic;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Networks;
using Mtrl.Kernels.Gpu.Optimization;
using Mtrl.Kernels.Gpu.Training;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Checkpoints;

namespace Mtrl.Cli.Devices;

/// <summary>
/// A generated agent's SAC trained on a device (<see cref="DeviceSacTraining"/>) behind the
/// <see cref="ITrainer"/> the CLI drives; the CPU <see cref="SacTrainer"/> is the shell for
/// evaluation (its actor on the device's parameters) and checkpoints (its format).
/// </summary>
internal sealed class DeviceSacTrainer : DeviceTrainer<SacTrainer, DeviceSacTraining>, IContinuousGreedyPolicy
{
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
        : base(shell, new DeviceSacTraining(device, environment, actorLayers, criticLayers, shell.Parameters.Values, shell.TwinParameters.Values, shape, options, taskIds),
            (IDisposable)environment, shape.TaskCount, description)
    {
    }

    /// <inheritdoc />
    public int MaxRows => Shell.MaxRows;

    /// <inheritdoc />
    public int ActionSize => Shell.ActionSize;

    /// <summary>Deterministic actions of the device's current actor, computed by the CPU actor (evaluation).</summary>
    public void Act(scoped in NetworkInputs inputs, Span<float> actions)
    {
        ReadParameters();
        Shell.Act(inputs, actions);
    }

    /// <summary>
    /// The CPU trainer's checkpoint with the device's values: parameters, twin, both targets, log α,
    /// every optimizer's moments and counts, transitions and updates (no loop state is meaningful:
    /// a device run is not resumed), so <c>mtrl eval</c> and <c>--init-from</c> read it as any SAC checkpoint.
    /// </summary>
    public override Checkpoint CreateCheckpoint()
    {
        ReadParameters();
        var learner = Training.Learner;
        var checkpoint = Shell.CreateCheckpoint();
        var length = Shell.Parameters.Values.Length;
        SaveAdam(checkpoint, "actor_adam", learner.ActorOptimizer, learner.ActorSpan, length);
        SaveAdam(checkpoint, "critic_adam", learner.CriticOptimizer, learner.CriticSpan, length);
        SaveAdam(checkpoint, "twin_adam", learner.TwinOptimizer, learner.CriticSpan, length);
        checkpoint.Arrays["log_alpha"] = learner.LogAlpha.GetAsArray1D()[..Shell.LogAlpha.Length];
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

    /// <inheritdoc />
    protected override void CopyParametersToShell()
    {
        var learner = Training.Learner;
        learner.Parameters.CopyToCPU(Shell.Parameters.Values);
        learner.TwinParameters.CopyToCPU(Shell.TwinParameters.Values);
        learner.TargetParameters.CopyToCPU(Shell.TargetParameters.Values);
        learner.TwinTargetParameters.CopyToCPU(Shell.TwinTargetParameters.Values);
    }

    /// <inheritdoc />
    protected override void CopyParametersToDevice()
    {
        var learner = Training.Learner;
        learner.Parameters.CopyFromCPU(Shell.Parameters.Values);
        learner.TwinParameters.CopyFromCPU(Shell.TwinParameters.Values);
        learner.TargetParameters.CopyFromCPU(Shell.TargetParameters.Values);
        learner.TwinTargetParameters.CopyFromCPU(Shell.TwinTargetParameters.Values);
        learner.LogAlpha.CopyFromCPU(Shell.LogAlpha.ToArray());
    }

    /// <summary>The actor's, both critics' and (from the checkpoint's sections) the temperatures' Adam state onto the device.</summary>
    protected override void UploadOptimizers(Checkpoint checkpoint)
    {
        var learner = Training.Learner;
        RestoreAdam(learner.ActorOptimizer, Shell.ActorOptimizer, learner.ActorSpan);
        RestoreAdam(learner.CriticOptimizer, Shell.CriticOptimizer, learner.CriticSpan);
        RestoreAdam(learner.TwinOptimizer, Shell.TwinOptimizer, learner.CriticSpan);
        if (learner.TemperatureOptimizer is { } temperatures && checkpoint.Arrays.TryGetValue("alpha_adam.m", out var m) && checkpoint.Arrays.TryGetValue("alpha_adam.v", out var v))
        {
            var slots = Shell.LogAlpha.Length;
            temperatures.Restore(m[..slots], v[..slots], checkpoint.Counter("alpha_adam.steps"), checkpoint.Counters.TryGetValue("alpha_adam.skipped", out var skipped) ? skipped : 0);
        }
    }

    /// <summary>The critics' loss of the last update; the actor's and critics' skipped optimizer steps.</summary>
    protected override (double LastLoss, long SkippedUpdates) ReadDeviceCounters()
    {
        var learner = Training.Learner;
        return (learner.ReadLosses().Critic, learner.ActorOptimizer.ReadSkippedSteps() + learner.CriticOptimizer.ReadSkippedSteps());
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
}
