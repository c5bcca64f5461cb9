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
/// A whole DQN run on the device, step for step the CPU <c>DqnTrainer</c>: ε-greedy acting from the
/// online Q network (forward at N rows, the exploration draws from the same Philox stream and
/// counters, argmax on the device), a vector step of device environments, collection into the
/// device replay (with goals for hindsight relabeling), the updates that fall due every
/// TrainEvery transitions and the target updates every TargetUpdateEvery — with no value going to
/// the host. The host keeps the counters (a pure function of the schedule); the loss, skipped
/// steps and finished episodes stay on the device until a caller reads them at a log point.
/// </summary>
/// <remarks>
/// The integer decisions are the CPU trainer's wherever the floats they read are: exploration
/// draws, random actions, environment resets, replay slots and HER goals are identical; a greedy
/// action is the argmax of Q values that differ from the CPU's in the last bits (the GEMMs sum in
/// another order), so it can differ where two actions' values are within rounding of each other,
/// and from there the runs part. CartPole's physics differs from the CPU's by its sine / cosine
/// rounding; BitFlip is exact.
/// </remarks>
public sealed class DeviceDqnTraining : IDeviceTraining
{
    /// <summary>The CPU trainer's exploration stream ("EXPLOR"), so both draw the same uniforms.</summary>
    public const ulong ExplorationStream = 0x4558_504C_4F52;

    private readonly IDeviceDiscreteEnvironment _environment;
    private readonly DevicePhiloxFill _philox;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _uniforms;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _actions;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, double, int> _choose;

    /// <summary>Builds the learner from <paramref name="initialParameters"/> (the target network a copy), then the loop, which resets the environments.</summary>
    /// <param name="device">The device the environments live on.</param>
    /// <param name="environment">The environments (discrete actions).</param>
    /// <param name="layers">The Q network's affine layers (ReLU between them), in the flat parameter layout.</param>
    /// <param name="initialParameters">The online network's starting values (e.g. a CPU parameter store's), one per parameter.</param>
    /// <param name="options">The run's settings.</param>
    /// <param name="taskIds">Task of each environment (fixed for the run); empty: all task 0.</param>
    /// <param name="taskCount">Tasks of the run.</param>
    public DeviceDqnTraining(
        GpuDevice device, IDeviceDiscreteEnvironment environment, IReadOnlyList<DeviceDenseLayer> layers, ReadOnlySpan<float> initialParameters,
        DeviceDqnTrainingOptions options, ReadOnlySpan<int> taskIds = default, int taskCount = 1)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int n = environment.EnvironmentCount;
        Learner = new DeviceDqnLearner(
            device, layers, initialParameters.Length, environment.ObservationWidth, environment.GoalWidth, Math.Max(options.BatchSize, n), options.Learner);
        if (Learner.ActionCount != environment.ActionCount)
        {
            Learner.Dispose();
            throw new ArgumentException($"the network has {Learner.ActionCount} Q values per row but the environment has {environment.ActionCount} actions", nameof(layers));
        }

        Learner.Parameters.View.CopyFromCPU(initialParameters.ToArray());
        Learner.TargetParameters.View.CopyFromCPU(initialParameters.ToArray());
        _environment = environment;
        Options = options;
        _philox = new DevicePhiloxFill(device);
        _uniforms = device.Accelerator.Allocate1D<float>(2L * n);
        _actions = device.Accelerator.Allocate1D<int>(n);
        _choose = device.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, double, int>(DeviceEpsilonGreedyKernels.Choose);

        // Last, because it resets the environments, as the CPU trainer's loop does.
        Loop = new DeviceOffPolicyLoop(device, environment, options, taskIds, taskCount);
    }

    /// <summary>The settings.</summary>
    public DeviceDqnTrainingOptions Options { get; }

    /// <summary>The online and target networks, Adam and the update.</summary>
    public DeviceDqnLearner Learner { get; }

    /// <summary>Collection, replay, episode log and schedule.</summary>
    public DeviceOffPolicyLoop Loop { get; }

    /// <summary>The N actions of the last step (device).</summary>
    public MemoryBuffer1D<int, Stride1D.Dense> Actions => _actions;

    /// <summary>Transitions collected so far, over all environments.</summary>
    public long Transitions => Loop.Transitions;

    /// <summary>Gradient updates made so far (skipped ones included, as the CPU counts them).</summary>
    public long Updates { get; private set; }

    /// <summary>Target-network updates made so far.</summary>
    public long TargetUpdates { get; private set; }

    /// <summary>The exploration rate the next step acts with.</summary>
    public double Epsilon => Loop.InWarmup ? 1.0 : Options.EpsilonAt(Transitions);

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

    /// <summary>One vector step: act ε-greedily, store the transitions, then the updates and target updates that fall due; all launches, no reads.</summary>
    public void Step()
    {
        int n = _environment.EnvironmentCount;
        Loop.BeginStep();
        _philox.Uniform(_uniforms.View, Options.Seed, ExplorationStream, (ulong)Loop.VectorSteps * PhiloxFill.CountersForFloats(2 * n));
        double epsilon = Epsilon;
        // At ε ≥ 1 every env explores (uniforms are below 1), so no Q value is read, as on the CPU.
        ArrayView<float> q = epsilon < 1.0
            ? Learner.ForwardOnline(_environment.ObservationView, _environment.DesiredGoalView, n)
            : _uniforms.View;
        _choose(n, _uniforms.View, q, _actions.View, epsilon, _environment.ActionCount);

        long updates = Loop.EndStep(_actions.View);
        for (long update = 0; update < updates; update++)
        {
            Loop.Sample();
            Learner.Update(Loop.Batch);
            Updates++;
        }

        long targetUpdates = Loop.Crossed(Options.TargetUpdateEvery);
        for (long i = 0; i < targetUpdates; i++)
        {
            Learner.UpdateTarget(Options.Tau);
            TargetUpdates++;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Loop.Dispose();
        Learner.Dispose();
        _uniforms.Dispose();
        _actions.Dispose();
    }
}
