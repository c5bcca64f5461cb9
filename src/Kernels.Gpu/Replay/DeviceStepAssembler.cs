using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Replay;

/// <summary>
/// Turns a device vector environment's step into a <see cref="DeviceReplayStep"/> without leaving
/// the device: keeps the observations the actions were taken in, and after the step builds the
/// next observations (the final observation where an episode ended, as Gymnasium's same-step
/// autoreset requires of a replay) and the actions as floats. For goal environments it also keeps
/// the achieved and desired goals before the step and builds the next achieved goals (the final
/// ones where an episode ended), which hindsight relabeling reads.
/// </summary>
public sealed class DeviceStepAssembler : IDisposable
{
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _previous;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _next;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _actions;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _achieved;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _desired;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _nextAchieved;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>? _assembleGoals;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int> _assemble;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> _assembleNext;

    /// <summary>Buffers for <paramref name="environments"/> envs with observations of <paramref name="observationWidth"/> floats and one discrete action each.</summary>
    /// <param name="device">An open device.</param>
    /// <param name="environments">N, at least 1.</param>
    /// <param name="observationWidth">Floats per observation, at least 1.</param>
    public DeviceStepAssembler(GpuDevice device, int environments, int observationWidth)
        : this(device, environments, observationWidth, 0)
    {
    }

    /// <summary>Buffers for <paramref name="environments"/> goal envs: observations of <paramref name="observationWidth"/> and goals of <paramref name="goalWidth"/> floats (0: no goals).</summary>
    /// <param name="device">An open device.</param>
    /// <param name="environments">N, at least 1.</param>
    /// <param name="observationWidth">Floats per observation, at least 1.</param>
    /// <param name="goalWidth">Floats per goal, at least 0.</param>
    public DeviceStepAssembler(GpuDevice device, int environments, int observationWidth, int goalWidth)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(environments, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(observationWidth, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(goalWidth);
        Environments = environments;
        ObservationWidth = observationWidth;
        GoalWidth = goalWidth;
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        _previous = accelerator.Allocate1D<float>((long)environments * observationWidth);
        _next = accelerator.Allocate1D<float>((long)environments * observationWidth);
        _actions = accelerator.Allocate1D<float>(environments);
        _assemble = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int>(Assemble);
        _assembleNext = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(AssembleNext);
        if (goalWidth > 0)
        {
            _achieved = accelerator.Allocate1D<float>((long)environments * goalWidth);
            _desired = accelerator.Allocate1D<float>((long)environments * goalWidth);
            _nextAchieved = accelerator.Allocate1D<float>((long)environments * goalWidth);
            _assembleGoals = accelerator.LoadAutoGroupedStreamKernel<
                Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(AssembleGoals);
        }
    }

    /// <summary>N.</summary>
    public int Environments { get; }

    /// <summary>Floats per observation.</summary>
    public int ObservationWidth { get; }

    /// <summary>Floats per goal (0: no goals).</summary>
    public int GoalWidth { get; }

    /// <summary>Keeps the observations the next actions will be taken in (a device-to-device copy); call before stepping.</summary>
    /// <param name="observations">The environment's current observations, N × width.</param>
    public void Before(ArrayView<float> observations)
    {
        if (GoalWidth > 0)
        {
            throw new InvalidOperationException("this assembler keeps goals: call Before(observations, achievedGoals, desiredGoals)");
        }

        CopyBefore(observations);
    }

    /// <summary>Keeps the observations, achieved goals and desired goals the next actions will be taken in (device-to-device copies); call before stepping.</summary>
    /// <param name="observations">The environment's current observations, N × observation width.</param>
    /// <param name="achievedGoals">Its achieved goals, N × goal width.</param>
    /// <param name="desiredGoals">Its desired goals, N × goal width.</param>
    public void Before(ArrayView<float> observations, ArrayView<float> achievedGoals, ArrayView<float> desiredGoals)
    {
        if (GoalWidth == 0)
        {
            throw new InvalidOperationException("this assembler has no goals (GoalWidth 0): call Before(observations)");
        }

        long goals = (long)Environments * GoalWidth;
        CheckLength(achievedGoals.Length, goals, nameof(achievedGoals));
        CheckLength(desiredGoals.Length, goals, nameof(desiredGoals));
        CopyBefore(observations);
        ArrayView<float> achieved = _achieved!.View;
        ArrayView<float> desired = _desired!.View;
        achievedGoals.CopyTo(achieved);
        desiredGoals.CopyTo(desired);
    }

    /// <summary>The replay step of the step just taken; its views stay valid until the next <see cref="Before(ArrayView{float})"/>.</summary>
    /// <param name="observations">Observations after the step (reset ones for finished envs), N × width.</param>
    /// <param name="finalObservations">Last observations of finished episodes, N × width.</param>
    /// <param name="rewards">N rewards.</param>
    /// <param name="terminated">N flags (0 / 1).</param>
    /// <param name="truncated">N flags (0 / 1).</param>
    /// <param name="actions">The N discrete actions taken.</param>
    /// <param name="taskIds">N task ids.</param>
    public DeviceReplayStep After(
        ArrayView<float> observations, ArrayView<float> finalObservations, ArrayView<float> rewards, ArrayView<float> terminated,
        ArrayView<float> truncated, ArrayView<int> actions, ArrayView<int> taskIds)
    {
        if (GoalWidth > 0)
        {
            throw new InvalidOperationException("this assembler keeps goals: call After with the achieved and final achieved goals");
        }

        return Assemble(observations, finalObservations, rewards, terminated, truncated, actions, taskIds);
    }

    /// <summary>The replay step of a goal environment's step just taken, with its goals; its views stay valid until the next <see cref="Before(ArrayView{float}, ArrayView{float}, ArrayView{float})"/>.</summary>
    /// <param name="observations">Observations after the step (reset ones for finished envs), N × width.</param>
    /// <param name="finalObservations">Last observations of finished episodes, N × width.</param>
    /// <param name="rewards">N rewards.</param>
    /// <param name="terminated">N flags (0 / 1).</param>
    /// <param name="truncated">N flags (0 / 1).</param>
    /// <param name="actions">The N discrete actions taken.</param>
    /// <param name="taskIds">N task ids.</param>
    /// <param name="achievedGoals">Achieved goals after the step (reset ones for finished envs), N × goal width.</param>
    /// <param name="finalAchievedGoals">Last achieved goals of finished episodes, N × goal width.</param>
    public DeviceReplayStep After(
        ArrayView<float> observations, ArrayView<float> finalObservations, ArrayView<float> rewards, ArrayView<float> terminated,
        ArrayView<float> truncated, ArrayView<int> actions, ArrayView<int> taskIds, ArrayView<float> achievedGoals, ArrayView<float> finalAchievedGoals)
    {
        if (GoalWidth == 0)
        {
            throw new InvalidOperationException("this assembler has no goals (GoalWidth 0): call After without goals");
        }

        DeviceReplayStep step = Assemble(observations, finalObservations, rewards, terminated, truncated, actions, taskIds);
        return WithGoals(step, achievedGoals, finalAchievedGoals, terminated, truncated);
    }

    /// <summary>The replay step of a continuous-action step just taken; the step's actions are <paramref name="actions"/> itself, so keep it unchanged until the step is added.</summary>
    /// <param name="observations">Observations after the step (reset ones for finished envs), N × width.</param>
    /// <param name="finalObservations">Last observations of finished episodes, N × width.</param>
    /// <param name="rewards">N rewards.</param>
    /// <param name="terminated">N flags (0 / 1).</param>
    /// <param name="truncated">N flags (0 / 1).</param>
    /// <param name="actions">The N × d actions as the replay stores them (a SAC trainer's in [−1, 1]).</param>
    /// <param name="taskIds">N task ids.</param>
    public DeviceReplayStep After(
        ArrayView<float> observations, ArrayView<float> finalObservations, ArrayView<float> rewards, ArrayView<float> terminated,
        ArrayView<float> truncated, ArrayView<float> actions, ArrayView<int> taskIds)
    {
        if (GoalWidth > 0)
        {
            throw new InvalidOperationException("this assembler keeps goals: call After with the achieved and final achieved goals");
        }

        return AssembleContinuous(observations, finalObservations, rewards, terminated, truncated, actions, taskIds);
    }

    /// <summary>The replay step of a continuous-action goal environment's step just taken, with its goals (see the overload without goals).</summary>
    /// <param name="observations">Observations after the step (reset ones for finished envs), N × width.</param>
    /// <param name="finalObservations">Last observations of finished episodes, N × width.</param>
    /// <param name="rewards">N rewards.</param>
    /// <param name="terminated">N flags (0 / 1).</param>
    /// <param name="truncated">N flags (0 / 1).</param>
    /// <param name="actions">The N × d actions as the replay stores them.</param>
    /// <param name="taskIds">N task ids.</param>
    /// <param name="achievedGoals">Achieved goals after the step (reset ones for finished envs), N × goal width.</param>
    /// <param name="finalAchievedGoals">Last achieved goals of finished episodes, N × goal width.</param>
    public DeviceReplayStep After(
        ArrayView<float> observations, ArrayView<float> finalObservations, ArrayView<float> rewards, ArrayView<float> terminated,
        ArrayView<float> truncated, ArrayView<float> actions, ArrayView<int> taskIds, ArrayView<float> achievedGoals, ArrayView<float> finalAchievedGoals)
    {
        if (GoalWidth == 0)
        {
            throw new InvalidOperationException("this assembler has no goals (GoalWidth 0): call After without goals");
        }

        DeviceReplayStep step = AssembleContinuous(observations, finalObservations, rewards, terminated, truncated, actions, taskIds);
        return WithGoals(step, achievedGoals, finalAchievedGoals, terminated, truncated);
    }

    private DeviceReplayStep AssembleContinuous(
        ArrayView<float> observations, ArrayView<float> finalObservations, ArrayView<float> rewards, ArrayView<float> terminated,
        ArrayView<float> truncated, ArrayView<float> actions, ArrayView<int> taskIds)
    {
        CheckLength(observations.Length, (long)Environments * ObservationWidth, nameof(observations));
        CheckLength(finalObservations.Length, (long)Environments * ObservationWidth, nameof(finalObservations));
        CheckLength(terminated.Length, Environments, nameof(terminated));
        CheckLength(truncated.Length, Environments, nameof(truncated));
        if (actions.Length < Environments || actions.Length % Environments != 0)
        {
            throw new ArgumentException($"actions has {actions.Length} elements; it needs d per environment ({Environments} environments)", nameof(actions));
        }

        _assembleNext(Environments, observations, finalObservations, terminated, truncated, _next.View, ObservationWidth);
        return new DeviceReplayStep
        {
            Observations = _previous.View,
            Actions = actions,
            Rewards = rewards,
            NextObservations = _next.View,
            Terminated = terminated,
            Truncated = truncated,
            TaskIds = taskIds,
        };
    }

    private DeviceReplayStep WithGoals(DeviceReplayStep step, ArrayView<float> achievedGoals, ArrayView<float> finalAchievedGoals, ArrayView<float> terminated, ArrayView<float> truncated)
    {
        long goals = (long)Environments * GoalWidth;
        CheckLength(achievedGoals.Length, goals, nameof(achievedGoals));
        CheckLength(finalAchievedGoals.Length, goals, nameof(finalAchievedGoals));
        _assembleGoals!(Environments, achievedGoals, finalAchievedGoals, terminated, truncated, _nextAchieved!.View, GoalWidth);
        step.AchievedGoals = _achieved!.View;
        step.NextAchievedGoals = _nextAchieved.View;
        step.DesiredGoals = _desired!.View;
        return step;
    }

    private DeviceReplayStep Assemble(
        ArrayView<float> observations, ArrayView<float> finalObservations, ArrayView<float> rewards, ArrayView<float> terminated,
        ArrayView<float> truncated, ArrayView<int> actions, ArrayView<int> taskIds)
    {
        long rows = (long)Environments * ObservationWidth;
        CheckLength(observations.Length, rows, nameof(observations));
        CheckLength(finalObservations.Length, rows, nameof(finalObservations));
        CheckLength(terminated.Length, Environments, nameof(terminated));
        CheckLength(truncated.Length, Environments, nameof(truncated));
        CheckLength(actions.Length, Environments, nameof(actions));
        _assemble(Environments, observations, finalObservations, terminated, truncated, actions, _next.View, _actions.View, ObservationWidth);
        return new DeviceReplayStep
        {
            Observations = _previous.View,
            Actions = _actions.View,
            Rewards = rewards,
            NextObservations = _next.View,
            Terminated = terminated,
            Truncated = truncated,
            TaskIds = taskIds,
        };
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _previous.Dispose();
        _next.Dispose();
        _actions.Dispose();
        _achieved?.Dispose();
        _desired?.Dispose();
        _nextAchieved?.Dispose();
    }

    /// <summary>One thread per env: the next achieved goal (the final one where the episode ended).</summary>
    internal static void AssembleGoals(
        Index1D env, ArrayView<float> achievedGoals, ArrayView<float> finalAchievedGoals, ArrayView<float> terminated, ArrayView<float> truncated,
        ArrayView<float> nextAchieved, int width)
    {
        bool finished = terminated[env] != 0f || truncated[env] != 0f;
        ArrayView<float> source = finished ? finalAchievedGoals : achievedGoals;
        for (int k = 0; k < width; k++)
        {
            nextAchieved[(env * width) + k] = source[(env * width) + k];
        }
    }

    private void CopyBefore(ArrayView<float> observations)
    {
        CheckLength(observations.Length, (long)Environments * ObservationWidth, nameof(observations));
        ArrayView<float> target = _previous.View;
        observations.CopyTo(target);
    }

    /// <summary>One thread per env: next observation (final where the episode ended) and the action as a float.</summary>
    internal static void Assemble(
        Index1D env, ArrayView<float> observations, ArrayView<float> finalObservations, ArrayView<float> terminated, ArrayView<float> truncated,
        ArrayView<int> actions, ArrayView<float> next, ArrayView<float> actionFloats, int width)
    {
        bool finished = terminated[env] != 0f || truncated[env] != 0f;
        ArrayView<float> source = finished ? finalObservations : observations;
        for (int k = 0; k < width; k++)
        {
            next[(env * width) + k] = source[(env * width) + k];
        }

        actionFloats[env] = actions[env];
    }

    /// <summary>One thread per env: the next observation (the final one where the episode ended).</summary>
    internal static void AssembleNext(
        Index1D env, ArrayView<float> observations, ArrayView<float> finalObservations, ArrayView<float> terminated, ArrayView<float> truncated,
        ArrayView<float> next, int width)
    {
        bool finished = terminated[env] != 0f || truncated[env] != 0f;
        ArrayView<float> source = finished ? finalObservations : observations;
        for (int k = 0; k < width; k++)
        {
            next[(env * width) + k] = source[(env * width) + k];
        }
    }

    private static void CheckLength(long actual, long expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"{name} has {actual} elements; it needs {expected}", name);
        }
    }
}
