using System;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// One step of N GridWorld environments: the agent moves to the table successor of its cell
/// (walls block, leaving it in place); entering its task's goal pays the goal reward and
/// terminates, any other step pays −StepCost; truncated at the time limit; finished
/// environments autoreset in the same step (Gymnasium's same-step mode).
/// </summary>
public readonly ref struct GridWorldStepKernel : IRangeKernel
{
    private readonly GridWorldState _state;
    private readonly GridWorldMaze _maze;
    private readonly ReadOnlySpan<int> _actions;
    private readonly StepOutputs _outputs;
    private readonly GridWorldStepParameters _parameters;
    private readonly ulong _seed;

    /// <summary>Captures the spans and settings of one step.</summary>
    /// <param name="state">State of the N environments.</param>
    /// <param name="maze">Static tables.</param>
    /// <param name="actions">N actions in [0, 4) (validated by the caller).</param>
    /// <param name="outputs">Step outputs.</param>
    /// <param name="parameters">Rewards, time limit and encoding.</param>
    /// <param name="seed">Seed of the last full reset.</param>
    public GridWorldStepKernel(GridWorldState state, GridWorldMaze maze, ReadOnlySpan<int> actions, StepOutputs outputs, GridWorldStepParameters parameters, ulong seed)
    {
        _state = state;
        _maze = maze;
        _actions = actions;
        _outputs = outputs;
        _parameters = parameters;
        _seed = seed;
    }

    /// <inheritdoc />
    public void Execute(int start, int end)
    {
        GridObservationKind kind = _parameters.Observation;
        int mazeWidth = _maze.Width, mazeHeight = _maze.Height;
        int width = GridWorldRules.ObservationSize(kind, mazeWidth, mazeHeight);
        for (int i = start; i < end; i++)
        {
            int task = _state.TaskIds[i];
            int cell = _maze.Transitions[_state.Cells[i] * GridWorldRules.ActionCount + _actions[i]];
            int steps = _state.Steps[i] + 1;
            bool terminated = cell == _maze.TaskGoals[task];
            bool truncated = steps >= _parameters.MaxEpisodeSteps;
            _outputs.Rewards[i] = terminated ? _parameters.GoalReward : -_parameters.StepCost;
            _outputs.Terminated[i] = terminated;
            _outputs.Truncated[i] = truncated;
            _outputs.Finished[i] = terminated | truncated;
            if (terminated | truncated)
            {
                GridWorldRules.WriteObservation(kind, cell, mazeWidth, mazeHeight, _outputs.FinalObservations.Slice(i * width, width));
                uint episode = _state.Episodes[i] + 1;
                _state.Episodes[i] = episode;
                cell = GridWorldRules.StartCell(_maze, task, _seed, i, episode);
                steps = 0;
            }

            _state.Cells[i] = cell;
            _state.Steps[i] = steps;
            GridWorldRules.WriteObservation(kind, cell, mazeWidth, mazeHeight, _outputs.Observations.Slice(i * width, width));
        }
    }
}
