using System;
using System.Collections.Generic;
using System.Threading;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;
using Mtrl.Kernels.Gpu.Learning;
using Mtrl.Kernels.Gpu.Networks;
using Mtrl.Kernels.Gpu.Random;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>
/// A whole SAC run on the device, step for step the CPU <c>SacTrainer</c>: during the warm-up
/// uniformly random actions from the trainer's stream ("WARMUP") and counters, after it
/// tanh-Gaussian samples of the device actor with the trainer's exploration draws ("SACEXP");
/// the actions mapped onto the environment's bounds, a vector step of device environments,
/// collection into the device replay (with goals for goal environments), and the updates that
/// fall due every TrainEvery transitions through <see cref="DeviceSacLearner"/> (which moves the
/// targets every TargetUpdateEvery updates) — with no value going to the host.
/// </summary>
/// <remarks>
/// Warm-up actions, environment resets, episode ends, update counts and replay slots are the CPU
/// trainer's; once the actor acts, its actions differ from the CPU's in the last bits (the GEMMs
/// sum in another order), the environments then move by as little, and the parameters stay within
/// float rounding of the CPU's over short runs. A termination decided by a distance within
/// rounding of the success radius could go the other way; the runs would then part.
/// </remarks>
public sealed class DeviceSacTraining : IDeviceTraining
{
    /// <summary>The CPU actor-critic trainers' warm-up stream ("WARMUP").</summary>
    public const ulong WarmupStream = 0x5741_524D_5550;

    /// <summary>SacTrainer's exploration stream ("SACEXP").</summary>
    public const ulong ExplorationStream = 0x5341_4345_5850;

    private readonly IDeviceContinuousEnvironment _environment;
    private readonly DevicePhiloxFill _uniform;
    private readonly DevicePhiloxNormal _normal;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _actions;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _environmentActions;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _noise;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _low;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _scale;
    private readonly Action<Index1D, ArrayView<float>> _warmup;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> _toEnvironment;

    /// <summary>Builds the learner from the CPU trainer's four parameter arrays, then the loop, which resets the environments.</summary>
    /// <param name="device">The device the environments live on.</param>
    /// <param name="environment">The environments (continuous actions).</param>
    /// <param name="actorLayers">The actor MLP's affine layers, writing [μ | log-std].</param>
    /// <param name="criticLayers">A critic MLP's affine layers, writing one Q value.</param>
    /// <param name="parameters">Actor and critic 1 (the CPU trainer's <c>Parameters</c>).</param>
    /// <param name="twinParameters">Critic 2 (<c>TwinParameters</c>, the same layout).</param>
    /// <param name="shape">What the networks read: the environment's observation width, its goal width (or 0 when they read no goals), tasks, one-hot task input.</param>
    /// <param name="options">The run's settings.</param>
    /// <param name="taskIds">Task of each environment (fixed for the run); empty: all task 0.</param>
    public DeviceSacTraining(
        GpuDevice device, IDeviceContinuousEnvironment environment, IReadOnlyList<DeviceDenseLayer> actorLayers, IReadOnlyList<DeviceDenseLayer> criticLayers,
        ReadOnlySpan<float> parameters, ReadOnlySpan<float> twinParameters, DeviceSacShape shape, DeviceSacTrainingOptions options, ReadOnlySpan<int> taskIds = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (twinParameters.Length != parameters.Length)
        {
            throw new ArgumentException($"twinParameters has {twinParameters.Length} values; the critics share one layout of {parameters.Length}", nameof(twinParameters));
        }

        // Networks that do not read goals (goal in the observation, or none) take shape.GoalWidth 0; the replay keeps the goals anyway.
        if (shape.ObservationWidth != environment.ObservationWidth || (shape.GoalWidth != 0 && shape.GoalWidth != environment.GoalWidth))
        {
            throw new ArgumentException(
                $"the networks read observations {shape.ObservationWidth} and goals {shape.GoalWidth} wide; the environment's are {environment.ObservationWidth} and {environment.GoalWidth}", nameof(shape));
        }

        int n = environment.EnvironmentCount;
        Learner = new DeviceSacLearner(device, actorLayers, criticLayers, parameters.Length, shape, Math.Max(options.BatchSize, n), options.Learner);
        int d = environment.ActionSize;
        if (Learner.ActionSize != d)
        {
            Learner.Dispose();
            throw new ArgumentException($"the actor acts in {Learner.ActionSize} dimensions but the environment's actions have {d}", nameof(actorLayers));
        }

        Learner.Parameters.View.CopyFromCPU(parameters.ToArray());
        Learner.TargetParameters.View.CopyFromCPU(parameters.ToArray());
        Learner.TwinParameters.View.CopyFromCPU(twinParameters.ToArray());
        Learner.TwinTargetParameters.View.CopyFromCPU(twinParameters.ToArray());
        _environment = environment;
        Options = options;
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        _uniform = new DevicePhiloxFill(device);
        _normal = new DevicePhiloxNormal(device);
        _actions = accelerator.Allocate1D<float>((long)n * d);
        _environmentActions = accelerator.Allocate1D<float>((long)n * d);
        _noise = accelerator.Allocate1D<float>((long)n * d);
        var low = new float[d];
        var scale = new float[d];
        for (int k = 0; k < d; k++)
        {
            low[k] = environment.ActionLow[k];
            scale[k] = 0.5f * (environment.ActionHigh[k] - environment.ActionLow[k]);
        }

        _low = accelerator.Allocate1D(low);
        _scale = accelerator.Allocate1D(scale);
        _warmup = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>>(DeviceSacActingKernels.WarmupActions);
        _toEnvironment = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(DeviceSacActingKernels.ToEnvironment);

        // Last, because it resets the environments, as the CPU trainer's loop does.
        Loop = new DeviceOffPolicyLoop(device, environment, options, taskIds, shape.TaskCount);
    }

    /// <summary>The settings.</summary>
    public DeviceSacTrainingOptions Options { get; }

    /// <summary>The actor, twin critics, targets, temperatures, optimizers and the update.</summary>
    public DeviceSacLearner Learner { get; }

    /// <summary>Collection, replay, episode log and schedule.</summary>
    public DeviceOffPolicyLoop Loop { get; }

    /// <summary>The N × d normalised actions of the last step, in [−1, 1] (device): what the replay stores.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Actions => _actions;

    /// <summary>The N × d actions of the last step in the environment's bounds (device).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> EnvironmentActions => _environmentActions;

    /// <summary>Transitions collected so far, over all environments.</summary>
    public long Transitions => Loop.Transitions;

    /// <summary>Gradient updates made so far.</summary>
    public long Updates => Learner.Updates;

    /// <inheritdoc />
    public long TargetTransitions => Options.Steps;

    /// <summary>Steps until <see cref="Transitions"/> reaches <paramref name="transitions"/> (default: the options' steps) or cancellation.</summary>
    /// <param name="transitions">The transition count to reach.</param>
    /// <param name="cancellation">Stops between vector steps.</param>
    public void Train(long? transitions = null, CancellationToken cancellation = default)
    {
        long goal = transitions ?? TargetTransitions;
        while (Transitions < goal && !cancellation.IsCancellationRequested)
        {
            Step();
        }
    }

    /// <summary>One vector step: act (uniformly at random during warm-up), store the transitions, then the updates that fall due; all launches, no reads.</summary>
    public void Step()
    {
        int n = _environment.EnvironmentCount;
        int values = n * _environment.ActionSize;
        ulong counter = (ulong)Loop.VectorSteps * PhiloxFill.CountersForFloats(values);
        Loop.BeginStep();
        if (Loop.InWarmup)
        {
            _uniform.Uniform(_actions.View, Options.Seed, WarmupStream, counter);
            _warmup(values, _actions.View);
        }
        else
        {
            _normal.Fill(_noise.View, Options.Seed, ExplorationStream, counter);
            Learner.Act(n, _environment.ObservationView, _environment.DesiredGoalView, Loop.TaskIds, _noise.View, _actions.View);
        }

        _toEnvironment(values, _actions.View, _low.View, _scale.View, _environmentActions.View, _environment.ActionSize);
        long updates = Loop.EndStep(_environmentActions.View, _actions.View);
        for (long update = 0; update < updates; update++)
        {
            Loop.Sample();
            Learner.Update(Loop.Batch);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Loop.Dispose();
        Learner.Dispose();
        _actions.Dispose();
        _environmentActions.Dispose();
        _noise.Dispose();
        _low.Dispose();
        _scale.Dispose();
    }
}
