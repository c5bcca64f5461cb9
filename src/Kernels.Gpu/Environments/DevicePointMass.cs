using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Environments;

/// <summary>
/// N goal-conditioned PointMass environments whose state lives on the device, each with its
/// task's mass, friction, wind and start / goal squares, and same-step autoreset, as the CPU
/// <c>PointMassVectorEnvironment</c>. Forces are read from and observations, goals, rewards and
/// flags written to device arrays.
/// </summary>
/// <remarks>
/// The kernels do the CPU kernels' float32 operations in the same order, so on the ILGPU CPU
/// accelerator whole trajectories are bit-identical to the CPU's; on a GPU the compiler may fuse a
/// multiply and an add, which can move a value by an ulp.
/// </remarks>
public sealed class DevicePointMass : IDisposable, Training.IDeviceContinuousEnvironment
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _floats;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _steps;
    private readonly MemoryBuffer1D<uint, Stride1D.Dense> _episodes;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _taskIds;
    private readonly DevicePointMassViews _views;
    private readonly Action<Index1D, DevicePointMassViews, ulong> _reset;
    private readonly Action<Index1D, DevicePointMassViews, ArrayView<float>, ulong> _step;
    private bool _started;

    /// <summary>N environments, environment i running task <paramref name="taskIds"/>[i].</summary>
    /// <param name="device">An open device.</param>
    /// <param name="tasks">Task table; at least one task, masses positive.</param>
    /// <param name="taskIds">N task ids, each in [0, tasks.Length).</param>
    /// <param name="parameters">Shared settings (time step, force, arena, success radius, reward form, time limit, observation layout).</param>
    public DevicePointMass(GpuDevice device, ReadOnlySpan<PointMassTask> tasks, ReadOnlySpan<int> taskIds, PointMassStepParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (tasks.IsEmpty)
        {
            throw new ArgumentException("tasks must hold at least one task", nameof(tasks));
        }

        if (taskIds.IsEmpty)
        {
            throw new ArgumentException("taskIds must hold one task id per environment (at least one)", nameof(taskIds));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(parameters.MaxEpisodeSteps, 1);
        var table = new float[tasks.Length * 10];
        for (int t = 0; t < tasks.Length; t++)
        {
            PointMassTask task = tasks[t];
            if (!(task.Mass > 0f) || float.IsInfinity(task.Mass))
            {
                throw new ArgumentOutOfRangeException(nameof(tasks), task.Mass, $"tasks[{t}].Mass must be a finite number > 0");
            }

            float[] row = [task.Mass, task.Friction, task.WindX, task.WindY, task.StartX, task.StartY, task.StartHalfWidth, task.GoalX, task.GoalY, task.GoalHalfWidth];
            row.CopyTo(table, t * 10);
        }

        for (int env = 0; env < taskIds.Length; env++)
        {
            if ((uint)taskIds[env] >= (uint)tasks.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(taskIds), taskIds[env], $"taskIds[{env}] must be in [0, {tasks.Length})");
            }
        }

        int n = taskIds.Length;
        EnvironmentCount = n;
        Parameters = parameters;
        ObservationWidth = PointMassRules.ObservationWidth(parameters.GoalInObservation);
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        long rows = (long)n * ObservationWidth;
        long goals = (long)n * PointMassRules.GoalSize;
        _floats =
        [
            accelerator.Allocate1D<float>(n), accelerator.Allocate1D<float>(n), accelerator.Allocate1D<float>(n), accelerator.Allocate1D<float>(n),
            accelerator.Allocate1D<float>(n), accelerator.Allocate1D<float>(n), accelerator.Allocate1D(table),
            accelerator.Allocate1D<float>(rows), accelerator.Allocate1D<float>(rows), accelerator.Allocate1D<float>(n), accelerator.Allocate1D<float>(n),
            accelerator.Allocate1D<float>(n), accelerator.Allocate1D<float>(goals), accelerator.Allocate1D<float>(goals),
            accelerator.Allocate1D<float>(goals), accelerator.Allocate1D<float>(goals),
        ];
        _floats[8].MemSetToZero();
        _floats[14].MemSetToZero();
        _floats[15].MemSetToZero();
        _steps = accelerator.Allocate1D<int>(n);
        _episodes = accelerator.Allocate1D<uint>(n);
        _taskIds = accelerator.Allocate1D(taskIds.ToArray());
        _views = new DevicePointMassViews
        {
            PositionX = _floats[0].View,
            PositionY = _floats[1].View,
            VelocityX = _floats[2].View,
            VelocityY = _floats[3].View,
            GoalX = _floats[4].View,
            GoalY = _floats[5].View,
            Tasks = _floats[6].View,
            Observations = _floats[7].View,
            FinalObservations = _floats[8].View,
            Rewards = _floats[9].View,
            Terminated = _floats[10].View,
            Truncated = _floats[11].View,
            AchievedGoals = _floats[12].View,
            DesiredGoals = _floats[13].View,
            FinalAchievedGoals = _floats[14].View,
            FinalDesiredGoals = _floats[15].View,
            Steps = _steps.View,
            Episodes = _episodes.View,
            TaskIds = _taskIds.View,
            TimeStep = parameters.TimeStep,
            MaxForce = parameters.MaxForce,
            ArenaHalfSize = parameters.ArenaHalfSize,
            SuccessRadius = parameters.SuccessRadius,
            SparseReward = parameters.SparseReward ? 1 : 0,
            TerminateOnSuccess = parameters.TerminateOnSuccess ? 1 : 0,
            MaxEpisodeSteps = parameters.MaxEpisodeSteps,
            GoalInObservation = parameters.GoalInObservation ? 1 : 0,
        };
        _reset = accelerator.LoadAutoGroupedStreamKernel<Index1D, DevicePointMassViews, ulong>(DevicePointMassKernels.Reset);
        _step = accelerator.LoadAutoGroupedStreamKernel<Index1D, DevicePointMassViews, ArrayView<float>, ulong>(DevicePointMassKernels.Step);
    }

    /// <summary>N.</summary>
    public int EnvironmentCount { get; }

    /// <summary>The shared settings.</summary>
    public PointMassStepParameters Parameters { get; }

    /// <summary>Floats per observation: 4, or 6 with the goal in the observation.</summary>
    public int ObservationWidth { get; }

    /// <summary>Seed of the last <see cref="Reset"/>.</summary>
    public ulong Seed { get; private set; }

    /// <summary>N × width observations after the last reset or step (the next episode's first for finished envs).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Observations => _floats[7];

    /// <summary>N × width last observations of episodes that finished in a step.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> FinalObservations => _floats[8];

    /// <summary>N rewards of the last step.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Rewards => _floats[9];

    /// <summary>N flags (0 / 1): the goal was reached (when success terminates).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Terminated => _floats[10];

    /// <summary>N flags (0 / 1): the time limit was hit.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Truncated => _floats[11];

    /// <summary>N × 2 achieved goals (positions).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> AchievedGoals => _floats[12];

    /// <summary>N × 2 desired goals.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> DesiredGoals => _floats[13];

    /// <summary>N × 2 last achieved goals of finished episodes.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> FinalAchievedGoals => _floats[14];

    /// <summary>N × 2 desired goals of finished episodes.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> FinalDesiredGoals => _floats[15];

    /// <summary>Per env: steps of the current episode.</summary>
    public MemoryBuffer1D<int, Stride1D.Dense> Steps => _steps;

    /// <summary>Per env: episodes started since the last reset.</summary>
    public MemoryBuffer1D<uint, Stride1D.Dense> Episodes => _episodes;

    /// <summary>Goals are positions, 2 floats.</summary>
    int Training.IDeviceVectorEnvironment.GoalWidth => 2;

    /// <summary>A force in x and y.</summary>
    int Training.IDeviceContinuousEnvironment.ActionSize => 2;

    /// <summary>Forces are clamped to [−1, 1].</summary>
    float[] Training.IDeviceContinuousEnvironment.ActionLow => [-1f, -1f];

    /// <inheritdoc />
    float[] Training.IDeviceContinuousEnvironment.ActionHigh => [1f, 1f];

    /// <inheritdoc />
    ArrayView<float> Training.IDeviceVectorEnvironment.ObservationView => Observations.View;

    /// <inheritdoc />
    ArrayView<float> Training.IDeviceVectorEnvironment.FinalObservationView => FinalObservations.View;

    /// <inheritdoc />
    ArrayView<float> Training.IDeviceVectorEnvironment.RewardView => Rewards.View;

    /// <inheritdoc />
    ArrayView<float> Training.IDeviceVectorEnvironment.TerminatedView => Terminated.View;

    /// <inheritdoc />
    ArrayView<float> Training.IDeviceVectorEnvironment.TruncatedView => Truncated.View;

    /// <inheritdoc />
    ArrayView<float> Training.IDeviceVectorEnvironment.AchievedGoalView => AchievedGoals.View;

    /// <inheritdoc />
    ArrayView<float> Training.IDeviceVectorEnvironment.DesiredGoalView => DesiredGoals.View;

    /// <inheritdoc />
    ArrayView<float> Training.IDeviceVectorEnvironment.FinalAchievedGoalView => FinalAchievedGoals.View;

    /// <summary>Starts episode 0 of every environment under <paramref name="seed"/>.</summary>
    /// <param name="seed">The seed.</param>
    public void Reset(ulong seed)
    {
        Seed = seed;
        _reset(EnvironmentCount, _views, seed);
        _started = true;
    }

    /// <summary>Steps every environment with its force; finished episodes restart in the same step.</summary>
    /// <param name="actions">N × 2 forces on the device; components are clamped to [−1, 1] (NaN is not checked on the device and propagates).</param>
    /// <exception cref="InvalidOperationException">Called before <see cref="Reset"/>.</exception>
    public void Step(ArrayView<float> actions)
    {
        if (!_started)
        {
            throw new InvalidOperationException("call Reset(seed) before the first Step");
        }

        if (actions.Length != 2L * EnvironmentCount)
        {
            throw new ArgumentException($"actions has {actions.Length} elements; it needs 2 per environment ({2L * EnvironmentCount})", nameof(actions));
        }

        _step(EnvironmentCount, _views, actions, Seed);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (MemoryBuffer1D<float, Stride1D.Dense> buffer in _floats)
        {
            buffer.Dispose();
        }

        _steps.Dispose();
        _episodes.Dispose();
        _taskIds.Dispose();
    }
}
