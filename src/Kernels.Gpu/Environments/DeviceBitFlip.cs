using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Environments;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Environments;

/// <summary>
/// N BitFlip(n) environments (Andrychowicz et al. 2017's HER benchmark) whose state lives on the
/// device, as the CPU <c>BitFlipVectorEnvironment</c>: observations, achieved and desired goals
/// are 0 / 1 floats, and every result is an integer function of (seed, env, episode, actions), so
/// it equals the CPU's bit for bit on any device.
/// </summary>
public sealed class DeviceBitFlip : IDisposable, Training.IDeviceDiscreteEnvironment
{
    private readonly MemoryBuffer1D<ulong, Stride1D.Dense> _states;
    private readonly MemoryBuffer1D<ulong, Stride1D.Dense> _goals;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _steps;
    private readonly MemoryBuffer1D<uint, Stride1D.Dense> _episodes;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _floats;
    private readonly DeviceBitFlipViews _views;
    private readonly Action<Index1D, DeviceBitFlipViews, ulong> _reset;
    private readonly Action<Index1D, DeviceBitFlipViews, ArrayView<int>, ulong> _step;
    private bool _started;

    /// <summary>N environments of <paramref name="bits"/> bits.</summary>
    /// <param name="device">An open device.</param>
    /// <param name="environments">N, at least 1.</param>
    /// <param name="bits">n, in [1, 64].</param>
    /// <param name="maxEpisodeSteps">Time limit; at least 1 (n is the usual choice).</param>
    public DeviceBitFlip(GpuDevice device, int environments, int bits, int maxEpisodeSteps)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(environments, 1);
        if (bits < 1 || bits > BitFlipRules.MaxBits)
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, $"bits must be in [1, {BitFlipRules.MaxBits}]");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxEpisodeSteps, 1);
        EnvironmentCount = environments;
        Bits = bits;
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        long rows = (long)environments * bits;
        _states = accelerator.Allocate1D<ulong>(environments);
        _goals = accelerator.Allocate1D<ulong>(environments);
        _steps = accelerator.Allocate1D<int>(environments);
        _episodes = accelerator.Allocate1D<uint>(environments);
        _floats =
        [
            accelerator.Allocate1D<float>(rows), accelerator.Allocate1D<float>(rows), accelerator.Allocate1D<float>(environments),
            accelerator.Allocate1D<float>(environments), accelerator.Allocate1D<float>(environments), accelerator.Allocate1D<float>(rows),
            accelerator.Allocate1D<float>(rows), accelerator.Allocate1D<float>(rows), accelerator.Allocate1D<float>(rows),
        ];
        _floats[1].MemSetToZero();
        _floats[7].MemSetToZero();
        _floats[8].MemSetToZero();
        _views = new DeviceBitFlipViews
        {
            States = _states.View,
            Goals = _goals.View,
            Steps = _steps.View,
            Episodes = _episodes.View,
            Observations = _floats[0].View,
            FinalObservations = _floats[1].View,
            Rewards = _floats[2].View,
            Terminated = _floats[3].View,
            Truncated = _floats[4].View,
            AchievedGoals = _floats[5].View,
            DesiredGoals = _floats[6].View,
            FinalAchievedGoals = _floats[7].View,
            FinalDesiredGoals = _floats[8].View,
            Bits = bits,
            MaxSteps = maxEpisodeSteps,
        };
        _reset = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceBitFlipViews, ulong>(DeviceBitFlipKernels.Reset);
        _step = accelerator.LoadAutoGroupedStreamKernel<Index1D, DeviceBitFlipViews, ArrayView<int>, ulong>(DeviceBitFlipKernels.Step);
    }

    /// <summary>N.</summary>
    public int EnvironmentCount { get; }

    /// <summary>n, the observation and goal width.</summary>
    public int Bits { get; }

    /// <summary>Seed of the last <see cref="Reset"/>.</summary>
    public ulong Seed { get; private set; }

    /// <summary>N × n observations (the state's bits) after the last reset or step.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Observations => _floats[0];

    /// <summary>N × n last observations of episodes that finished in a step.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> FinalObservations => _floats[1];

    /// <summary>N rewards of the last step.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Rewards => _floats[2];

    /// <summary>N flags (0 / 1): the goal was reached.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Terminated => _floats[3];

    /// <summary>N flags (0 / 1): the time limit was hit.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Truncated => _floats[4];

    /// <summary>N × n achieved goals (the state).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> AchievedGoals => _floats[5];

    /// <summary>N × n desired goals.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> DesiredGoals => _floats[6];

    /// <summary>N × n last achieved goals of finished episodes.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> FinalAchievedGoals => _floats[7];

    /// <summary>N × n desired goals of finished episodes.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> FinalDesiredGoals => _floats[8];

    /// <summary>Per env: steps of the current episode.</summary>
    public MemoryBuffer1D<int, Stride1D.Dense> Steps => _steps;

    /// <summary>Per env: episodes started since the last reset.</summary>
    public MemoryBuffer1D<uint, Stride1D.Dense> Episodes => _episodes;

    /// <inheritdoc />
    int Training.IDeviceVectorEnvironment.ObservationWidth => Bits;

    /// <inheritdoc />
    int Training.IDeviceVectorEnvironment.GoalWidth => Bits;

    /// <inheritdoc />
    int Training.IDeviceDiscreteEnvironment.ActionCount => Bits;

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

    /// <summary>Flips bit actions[i] of environment i; finished episodes restart in the same step.</summary>
    /// <param name="actions">N bit indices on the device, each in [0, n) (not checked on the device).</param>
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

        _step(EnvironmentCount, _views, actions, Seed);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _states.Dispose();
        _goals.Dispose();
        _steps.Dispose();
        _episodes.Dispose();
        foreach (MemoryBuffer1D<float, Stride1D.Dense> buffer in _floats)
        {
            buffer.Dispose();
        }
    }
}
