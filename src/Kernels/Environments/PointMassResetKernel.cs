using System;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// Starts episode 0 of every PointMass environment under a new seed (the vector's full reset):
/// draws starts and goals from each environment's task, writes observations and goals and
/// clears rewards and flags.
/// </summary>
public readonly ref struct PointMassResetKernel : IRangeKernel
{
    private readonly PointMassState _state;
    private readonly ReadOnlySpan<PointMassTask> _tasks;
    private readonly StepOutputs _outputs;
    private readonly GoalOutputs _goals;
    private readonly bool _goalInObservation;
    private readonly ulong _seed;

    /// <summary>Captures the spans and settings of the reset.</summary>
    /// <param name="state">State of the N environments.</param>
    /// <param name="tasks">Task table indexed by the state's task ids.</param>
    /// <param name="outputs">Step outputs; observations are N × 4, or N × 6 with the goal in the observation.</param>
    /// <param name="goals">Goal outputs; goals are N × 2.</param>
    /// <param name="parameters">Shared settings; only the observation layout is read.</param>
    /// <param name="seed">The new seed.</param>
    public PointMassResetKernel(
        PointMassState state, ReadOnlySpan<PointMassTask> tasks, StepOutputs outputs, GoalOutputs goals, PointMassStepParameters parameters, ulong seed)
    {
        _state = state;
        _tasks = tasks;
        _outputs = outputs;
        _goals = goals;
        _goalInObservation = parameters.GoalInObservation;
        _seed = seed;
    }

    /// <inheritdoc />
    public void Execute(int start, int end)
    {
        for (int i = start; i < end; i++)
        {
            PointMassRules.StartEpisode(_state, in _tasks[_state.TaskIds[i]], _seed, i, 0);
            PointMassRules.Write(_state, i, _goalInObservation, _outputs.Observations, _goals.AchievedGoals, _goals.DesiredGoals);
            _outputs.Rewards[i] = 0f;
            _outputs.Terminated[i] = false;
            _outputs.Truncated[i] = false;
            _outputs.Finished[i] = false;
        }
    }
}
