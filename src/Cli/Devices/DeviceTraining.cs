using System;
using System.IO;
using System.Linq;
using Mtrl.Dsl.Model;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Environments;
using Mtrl.Kernels.Gpu.Learning;
using Mtrl.Kernels.Gpu.Optimization;
using Mtrl.Kernels.Gpu.Training;
using Mtrl.Kernels.Replay;
using Mtrl.Runtime.Algorithms;
using Mtrl.Runtime.Environments;

namespace Mtrl.Cli.Devices;

/// <summary>
/// The one place <c>mtrl train --device</c> touches ILGPU: opening the device and wrapping the
/// generated CPU trainer in a <see cref="DeviceDqnTrainer"/> or <see cref="DeviceSacTrainer"/>. Its signatures carry no ILGPU types,
/// so the CPU path (which never calls it) never loads the device back end.
/// </summary>
internal static class DeviceTraining
{
    /// <summary>Opens device <paramref name="name"/>; null after one line naming what ILGPU found.</summary>
    public static IDisposable? Open(string name, TextWriter error, out string description)
    {
        description = "";
        try
        {
            var device = GpuDevice.Open(name);
            description = device.Description;
            return device;
        }
        catch (GpuDeviceNotFoundException exception)
        {
            error.WriteLine($"mtrl: error: --device {name}: {CliApp.OneLine(exception.Message)}");
            return null;
        }
    }

    /// <summary>
    /// The device trainer around <paramref name="shell"/> (the CPU trainer the generated factory
    /// built for <paramref name="environment"/>), with device environments mirroring the CPU ones;
    /// null with the problem in one line.
    /// </summary>
    public static ITrainer? CreateTrainer(IDisposable device, ITrainer shell, IVectorEnvironment environment, OffPolicyOptions options, AgentModel agent, out string problem)
    {
        problem = "";
        var gpu = (GpuDevice)device;
        if (shell is SacTrainer sac && options is SacOptions sacOptions)
        {
            return CreateSacTrainer(gpu, sac, environment, sacOptions, agent, out problem);
        }
        if (shell is not DqnTrainer dqn || options is not DqnOptions dqnOptions)
        {
            problem = $"the device trains DQN and SAC; the spec's trainer is {shell.GetType().Name}";
            return null;
        }
        var n = environment.EnvironmentCount;
        var taskIds = environment.Buffers.TaskIds.ToArray();
        IDeviceDiscreteEnvironment deviceEnvironment;
        ThresholdGoalReward? reward = null;
        switch (environment)
        {
            case CartPoleVectorEnvironment cartPole:
                var o = cartPole.Options;
                deviceEnvironment = o.Tasks is { Count: > 0 } tasks
                    ? new DeviceCartPole(gpu, tasks.ToArray(), taskIds, o.MaxEpisodeSteps)
                    : new DeviceCartPole(gpu, n, new CartPolePhysicsRanges(o.MassCart, o.MassPole, o.HalfPoleLength, o.ForceMagnitude), o.MaxEpisodeSteps);
                break;
            case BitFlipVectorEnvironment bitFlip:
                deviceEnvironment = new DeviceBitFlip(gpu, n, bitFlip.Bits, bitFlip.MaxEpisodeSteps);
                // BitFlip's reward: 0 on an exact match (distance 0 of 0 / 1 rows), and success terminates.
                reward = new ThresholdGoalReward(0f, terminateOnSuccess: true);
                break;
            default:
                problem = $"{environment.GetType().Name} is not on the device yet (it runs cartpole and bitflip)";
                return null;
        }
        try
        {
            var settings = Settings(dqnOptions, reward);
            return new DeviceDqnTrainer(dqn, gpu, deviceEnvironment, settings, taskIds, environment.TaskCount, gpu.Description);
        }
        catch (ArgumentException exception)
        {
            ((IDisposable)deviceEnvironment).Dispose();
            problem = $"cannot build the device trainer: {CliApp.OneLine(exception.Message)}";
            return null;
        }
    }

    /// <summary>The SAC trainer on device PointMass mirroring the CPU environments (the networks checked by <see cref="DeviceSupport"/>).</summary>
    private static ITrainer? CreateSacTrainer(GpuDevice gpu, SacTrainer sac, IVectorEnvironment environment, SacOptions options, AgentModel agent, out string problem)
    {
        problem = "";
        var inner = environment is ObservationOnlyVectorEnvironment observationOnly ? observationOnly.Inner : environment;
        if (inner is not PointMassVectorEnvironment pointMass)
        {
            problem = $"{environment.GetType().Name} is not on the device yet for SAC (it runs pointmass)";
            return null;
        }
        var o = pointMass.Options;
        var taskIds = environment.Buffers.TaskIds.ToArray();
        var parameters = new PointMassStepParameters(o.TimeStep, o.MaxForce, o.ArenaHalfSize, o.SuccessRadius, o.SparseReward, o.TerminateOnSuccess, o.MaxEpisodeSteps, o.GoalInObservation);
        var deviceEnvironment = new DevicePointMass(gpu, o.Tasks.ToArray(), taskIds, parameters);
        try
        {
            var actor = agent.Networks.Single(n => n.Role == NetworkRole.Policy);
            var critic = agent.Networks.Single(n => n.Role == NetworkRole.Critic);
            var layout = sac.Parameters.Layout;
            var oneHot = actor.Nodes.Any(n => n.Op is OneHotOp);
            var goalWidth = agent.Inputs.Any(i => i.Kind == InputKind.Goal) ? pointMass.GoalSize : 0;
            var shape = new DeviceSacShape(environment.ObservationSize, goalWidth, environment.TaskCount, oneHot);
            return new DeviceSacTrainer(
                sac, gpu, deviceEnvironment, DeviceLayers.Of(layout, actor.Parameters.Select(p => p.Name)), DeviceLayers.Of(layout, critic.Parameters.Select(p => p.Name)),
                shape, SacSettings(sac.Options, options), taskIds, gpu.Description);
        }
        catch (ArgumentException exception)
        {
            deviceEnvironment.Dispose();
            problem = $"cannot build the device trainer: {CliApp.OneLine(exception.Message)}";
            return null;
        }
    }

    /// <summary>The CPU SAC options as the device loop's; the shell's own options carry what the generated factory set (the gaussian head's log-std range).</summary>
    private static DeviceSacTrainingOptions SacSettings(SacOptions shell, SacOptions options) => new()
    {
        Seed = options.Seed,
        Steps = options.Steps,
        Warmup = options.Warmup,
        TrainEvery = options.TrainEvery,
        GradientSteps = options.GradientSteps,
        BatchSize = options.BatchSize,
        ReplayCapacity = options.ReplayCapacity,
        Sampling = options.Sampling == Runtime.Algorithms.ReplaySampling.TaskBalanced ? DeviceReplaySampling.TaskBalanced : DeviceReplaySampling.Uniform,
        Learner = new DeviceSacOptions
        {
            Gamma = (float)options.Gamma,
            Tau = options.Tau,
            Seed = options.Seed,
            Alpha = options.Alpha,
            AlphaInit = options.AlphaInit,
            AlphaLearningRate = options.AlphaLearningRate ?? options.LearningRate,
            TargetEntropy = options.TargetEntropy,
            Actor = new DeviceAdamOptions(LearningRate: options.ActorLearningRate ?? options.LearningRate, MaxGradientNorm: options.GradientClip),
            Critic = new DeviceAdamOptions(LearningRate: options.CriticLearningRate ?? options.LearningRate, MaxGradientNorm: options.GradientClip),
            ActorUpdateEvery = options.ActorUpdateEvery,
            TargetUpdateEvery = options.TargetUpdateEvery,
            TaskWeights = options.TaskWeights,
            AlphaSoftmaxWeights = options.LossWeighting == TaskLossWeighting.AlphaSoftmax,
            LogStdMin = shell.LogStdMin,
            LogStdMax = shell.LogStdMax,
        },
    };

    /// <summary>The CPU options as the device loop's.</summary>
    private static DeviceDqnTrainingOptions Settings(DqnOptions options, ThresholdGoalReward? reward) => new()
    {
        Seed = options.Seed,
        Steps = options.Steps,
        Warmup = options.Warmup,
        TrainEvery = options.TrainEvery,
        GradientSteps = options.GradientSteps,
        BatchSize = options.BatchSize,
        ReplayCapacity = options.ReplayCapacity,
        Sampling = options.Sampling == Runtime.Algorithms.ReplaySampling.TaskBalanced ? DeviceReplaySampling.TaskBalanced : DeviceReplaySampling.Uniform,
        Her = options.Her is { } her && reward is { } goalReward ? new DeviceHerSettings(her.Strategy, her.GoalsPerTransition, goalReward) : null,
        TargetUpdateEvery = options.TargetUpdateEvery,
        Tau = options.Tau,
        EpsilonStart = options.EpsilonStart,
        EpsilonEnd = options.EpsilonEnd,
        EpsilonDecaySteps = options.EpsilonDecaySteps,
        Learner = new DeviceDqnOptions
        {
            Gamma = (float)options.Gamma,
            Double = options.Double,
            Loss = options.Loss == Mtrl.Contracts.TdLossKind.Huber ? DeviceTdLossKind.Huber : DeviceTdLossKind.SquaredError,
            Adam = new DeviceAdamOptions(LearningRate: options.LearningRate, MaxGradientNorm: options.GradientClip),
        },
    };
}
