using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Environments;

/// <summary>
/// N CartPole environments whose state lives on the device: Gymnasium CartPole-v1 with
/// per-episode domain randomization or per-env task physics, and same-step autoreset, as the
/// CPU <c>CartPoleVectorEnvironment</c>. Actions are read from and observations, rewards and flags
/// written to device arrays, so a device policy and <see cref="Replay.DeviceReplay"/> can use them
/// without a host copy.
/// </summary>
/// <remarks>
/// Episode starts (states and physics) equal the CPU kernels' bit for bit on the ILGPU CPU
/// accelerator; stepped states agree within the CPU's sine/cosine polynomial error (below 2e-7
/// absolute). On a GPU, the compiler may fuse multiply-adds, which can move results by an ulp.
/// </remarks>
public sealed class DeviceCartPole : IDisposable, Training.IDeviceDiscreteEnvironment
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _floats;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _steps;
    private readonly MemoryBuffer1D<uint, Stride1D.Dense> _episodes;
    private readonly DeviceCartPoleViews _views;
    private readonly Action<Index1D, DeviceCartPoleViews, ulong> _reset;
    private readonly Action<Index1D, DeviceCartPoleViews, ArrayView<int>, int, ulong> _step;
    private bool _started;

    /// <summary>N environments that all draw their physics from <paramref name="ranges"/> at every episode start.</summary>
    /// <param name="device">An open device.</param>
    /// <param name="environments">N, at least 1.</param>
    /// <param name="ranges">Physics ranges; <see cref="CartPolePhysicsRanges.CartPoleV1"/> for no randomization.</param>
    /// <param name="maxEpisodeSteps">Time limit (500 in CartPole-v1); at least 1.</param>
    public DeviceCartPole(GpuDevice device, int environments, CartPolePhysicsRanges ranges, int maxEpisodeSteps = CartPoleConstants.MaxEpisodeSteps)
        : this(device, environments, RangeTable(environments, _ => ranges), maxEpisodeSteps)
    {
    }

    /// <summary>N environments, environment i with the fixed physics of task <paramref name="taskIds"/>[i].</summary>
    /// <param name="device">An open device.</param>
    /// <param name="tasks">Task table; at least one task.</param>
    /// <param name="taskIds">N task ids, each in [0, tasks.Length).</param>
    /// <param name="maxEpisodeSteps">Time limit; at least 1.</param>
    public DeviceCartPole(GpuDevice device, ReadOnlySpan<CartPoleTask> tasks, ReadOnlySpan<int> taskIds, int maxEpisodeSteps = CartPoleConstants.MaxEpisodeSteps)
        : this(device, taskIds.Length, TaskTable(tasks, taskIds), maxEpisodeSteps)
    {
    }

    private DeviceCartPole(GpuDevice device, int environments, float[] ranges, int maxEpisodeSteps)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEpisodeSteps, 1);
        EnvironmentCount = environments;
        MaxEpisodeSteps = maxEpisodeSteps;
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        int n = environments;
        _floats = new MemoryBuffer1D<float, Stride1D.Dense>[15];
        for (int f = 0; f < 9; f++)
        {
            _floats[f] = accelerator.Allocate1D<float>(n);
        }

        _floats[9] = accelerator.Allocate1D(ranges);
        _floats[10] = accelerator.Allocate1D<float>(n * CartPoleRules.ObservationSize);
        _floats[11] = accelerator.Allocate1D<float>(n * CartPoleRules.ObservationSize);
        _floats[11].MemSetToZero();
        for (int f = 12; f < 15; f++)
        {
            _floats[f] = accelerator.Allocate1D<float>(n);
        }

        _steps = accelerator.Allocate1D<int>(n);
        _episodes = accelerator.Allocate1D<uint>(n);
        _views = new DeviceCartPoleViews
        {
            X = _floats[0].View,
            XDot = _floats[1].View,
            Theta = _floats[2].View,
            ThetaDot = _floats[3].View,
            ForceMagnitude = _floats[4].View,
            MassPole = _floats[5].View,
            TotalMass = _floats[6].View,
            HalfPoleLength = _floats[7].View,
            PoleMassLength = _floats[8].View,
            Ranges = _floats[9].View,
            Observations = _floats[10].View,
            FinalObservations = _floats[11].View,
            Rewards = _floats[12].View,
            Terminated = _floats[13].View,
            Truncated = _floats[14].View,
            Steps = _steps.View,
            Episodes = _episodes.View,
        };
        _reset = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceCartPoleViews, ulong>(DeviceCartPoleKernels.Reset);
        _step = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceCartPoleViews, ArrayView<int>, int, ulong>(DeviceCartPoleKernels.Step);
    }

    /// <summary>N.</summary>
    public int EnvironmentCount { get; }

    /// <summary>Steps after which an episode is truncated.</summary>
    public int MaxEpisodeSteps { get; }

    /// <summary>Seed of the last <see cref="Reset"/>.</summary>
    public ulong Seed { get; private set; }

    /// <summary>N × 4 observations (x, ẋ, θ, θ̇) after the last reset or step; for an env that finished, the first of its next episode.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Observations => _floats[10];

    /// <summary>N × 4 last observations of the episodes that finished in a step (rows of other envs keep older values).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> FinalObservations => _floats[11];

    /// <summary>N rewards of the last step.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Rewards => _floats[12];

    /// <summary>N flags (0 / 1): the pole fell or the cart left the track in the last step.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Terminated => _floats[13];

    /// <summary>N flags (0 / 1): the episode hit the time limit in the last step.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Truncated => _floats[14];

    /// <summary>Per env: steps of the current episode.</summary>
    public MemoryBuffer1D<int, Stride1D.Dense> Steps => _steps;

    /// <summary>Per env: episodes started since the last reset (0 for the first).</summary>
    public MemoryBuffer1D<uint, Stride1D.Dense> Episodes => _episodes;

    /// <summary>Starts episode 0 of every environment under <paramref name="seed"/>.</summary>
    /// <param name="seed">The seed; episodes are a pure function of it.</param>
    public void Reset(ulong seed)
    {
        Seed = seed;
        _reset(EnvironmentCount, _views, seed);
        _started = true;
    }

    /// <summary>Steps every environment with its action (0 pushes left, 1 pushes right); finished episodes restart in the same step.</summary>
    /// <param name="actions">N actions on the device; values other than 1 push left (the caller's policy produces 0 or 1).</param>
    /// <exception cref="InvalidOperationException">Called before <see cref="Reset"/>.</exception>
    public void Step(ArrayView<int> actions)
    {
        if (!_started)
        {
            throw new InvalidOperationException("call Reset(seed) before the first Step");
        }

        if (actions.Length != EnvironmentCount)
        {
            throw new ArgumentException($"actions has {actions.Length} elements; it needs one per environment ({EnvironmentCount})", nameof(actions));
        }

        _step(EnvironmentCount, _views, actions, MaxEpisodeSteps, Seed);
    }

    /// <summary>The replay step of the step just taken, assembled on the device by <paramref name="assembler"/> (call its <see cref="Replay.DeviceStepAssembler.Before(ArrayView{float})"/> with <see cref="Observations"/> before stepping).</summary>
    /// <param name="assembler">An assembler for N envs with observations of 4.</param>
    /// <param name="actions">The actions passed to <see cref="Step"/>.</param>
    /// <param name="taskIds">N task ids.</param>
    public Replay.DeviceReplayStep ReplayStep(Replay.DeviceStepAssembler assembler, ArrayView<int> actions, ArrayView<int> taskIds)
    {
        ArgumentNullException.ThrowIfNull(assembler);
        return assembler.After(Observations.View, FinalObservations.View, Rewards.View, Terminated.View, Truncated.View, actions, taskIds);
    }

    /// <inheritdoc />
    int Training.IDeviceVectorEnvironment.ObservationWidth => CartPoleRules.ObservationSize;

    /// <inheritdoc />
    int Training.IDeviceVectorEnvironment.GoalWidth => 0;

    /// <inheritdoc />
    int Training.IDeviceDiscreteEnvironment.ActionCount => 2;

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
    ArrayView<float> Training.IDeviceVectorEnvironment.AchievedGoalView => default;

    /// <inheritdoc />
    ArrayView<float> Training.IDeviceVectorEnvironment.DesiredGoalView => default;

    /// <inheritdoc />
    ArrayView<float> Training.IDeviceVectorEnvironment.FinalAchievedGoalView => default;

    /// <summary>Host copies of x, ẋ, θ, θ̇ (synchronises), for inspection and tests.</summary>
    public (float[] X, float[] XDot, float[] Theta, float[] ThetaDot) ReadState()
        => (_floats[0].GetAsArray1D(), _floats[1].GetAsArray1D(), _floats[2].GetAsArray1D(), _floats[3].GetAsArray1D());

    /// <summary>Host copies of the current episodes' physics (synchronises): force, pole mass, total mass, half length, their product.</summary>
    internal float[][] ReadPhysics() => [_floats[4].GetAsArray1D(), _floats[5].GetAsArray1D(), _floats[6].GetAsArray1D(), _floats[7].GetAsArray1D(), _floats[8].GetAsArray1D()];

    /// <summary>Overwrites x, ẋ, θ, θ̇ and the step counters from the host (tests replay a CPU trajectory through it).</summary>
    internal void WriteState(float[] x, float[] xDot, float[] theta, float[] thetaDot, int[] steps)
    {
        _floats[0].CopyFromCPU(x);
        _floats[1].CopyFromCPU(xDot);
        _floats[2].CopyFromCPU(theta);
        _floats[3].CopyFromCPU(thetaDot);
        _steps.CopyFromCPU(steps);
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
    }

    private static float[] RangeTable(int environments, Func<int, CartPolePhysicsRanges> rangesOf)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(environments, 1);
        var table = new float[environments * 8];
        for (int env = 0; env < environments; env++)
        {
            CartPolePhysicsRanges ranges = rangesOf(env);
            ranges.MassCart.ValidatePositive(nameof(ranges.MassCart));
            ranges.MassPole.ValidatePositive(nameof(ranges.MassPole));
            ranges.HalfPoleLength.ValidatePositive(nameof(ranges.HalfPoleLength));
            ranges.ForceMagnitude.ValidatePositive(nameof(ranges.ForceMagnitude));
            UniformRange[] four = [ranges.MassCart, ranges.MassPole, ranges.HalfPoleLength, ranges.ForceMagnitude];
            for (int k = 0; k < 4; k++)
            {
                table[(env * 8) + (2 * k)] = four[k].Low;
                table[(env * 8) + (2 * k) + 1] = four[k].High;
            }
        }

        return table;
    }

    private static float[] TaskTable(ReadOnlySpan<CartPoleTask> tasks, ReadOnlySpan<int> taskIds)
    {
        if (tasks.IsEmpty)
        {
            throw new ArgumentException("tasks must hold at least one task", nameof(tasks));
        }

        CartPolePhysicsRanges[] perEnv = new CartPolePhysicsRanges[taskIds.Length];
        for (int env = 0; env < taskIds.Length; env++)
        {
            int task = taskIds[env];
            if ((uint)task >= (uint)tasks.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(taskIds), task, $"taskIds[{env}] must be in [0, {tasks.Length})");
            }

            perEnv[env] = tasks[task].Ranges;
        }

        return RangeTable(taskIds.Length, env => perEnv[env]);
    }
}
