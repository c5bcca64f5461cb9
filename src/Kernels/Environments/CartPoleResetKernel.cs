using System;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// Starts episode 0 of every CartPole environment under a new seed (the vector's full reset):
/// draws states and physics, clears counters, writes observations and clears rewards and flags.
/// With a task table, each environment takes its task's fixed physics instead of the shared
/// ranges.
/// </summary>
public readonly ref struct CartPoleResetKernel : IRangeKernel
{
    private readonly CartPoleState _state;
    private readonly StepOutputs _outputs;
    private readonly CartPolePhysicsRanges _ranges;
    private readonly ReadOnlySpan<CartPoleTask> _tasks;
    private readonly ReadOnlySpan<int> _taskIds;
    private readonly ulong _seed;

    /// <summary>Captures the spans and settings of the reset.</summary>
    /// <param name="state">State of the N environments.</param>
    /// <param name="outputs">Step outputs; observations are N × 4.</param>
    /// <param name="ranges">Physics ranges.</param>
    /// <param name="seed">The new seed.</param>
    public CartPoleResetKernel(CartPoleState state, StepOutputs outputs, CartPolePhysicsRanges ranges, ulong seed)
    {
        _state = state;
        _outputs = outputs;
        _ranges = ranges;
        _seed = seed;
    }

    /// <summary>Captures the spans of a multi-task reset: environment i gets the physics of task <paramref name="taskIds"/>[i].</summary>
    /// <param name="state">State of the N environments.</param>
    /// <param name="outputs">Step outputs; observations are N × 4.</param>
    /// <param name="tasks">Task table, at least one task.</param>
    /// <param name="taskIds">N task ids, each an index into <paramref name="tasks"/> (validated by the caller).</param>
    /// <param name="seed">The new seed.</param>
    public CartPoleResetKernel(CartPoleState state, StepOutputs outputs, ReadOnlySpan<CartPoleTask> tasks, ReadOnlySpan<int> taskIds, ulong seed)
    {
        _state = state;
        _outputs = outputs;
        _ranges = tasks[0].Ranges;
        _tasks = tasks;
        _taskIds = taskIds;
        _seed = seed;
    }

    /// <inheritdoc />
    public void Execute(int start, int end)
    {
        for (int i = start; i < end; i++)
        {
            CartPolePhysicsRanges ranges = _tasks.IsEmpty ? _ranges : _tasks[_taskIds[i]].Ranges;
            CartPoleRules.StartEpisode(_state, in ranges, _seed, i, 0);
            CartPoleRules.WriteObservation(_state, i, _outputs.Observations);
            _outputs.Rewards[i] = 0f;
            _outputs.Terminated[i] = false;
            _outputs.Truncated[i] = false;
            _outputs.Finished[i] = false;
        }
    }
}
