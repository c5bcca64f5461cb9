namespace Mtrl.Kernels.Environments;

/// <summary>
/// Starts episode 0 of every GridWorld environment under a new seed (the vector's full reset):
/// draws start cells, writes observations and clears rewards and flags.
/// </summary>
public readonly ref struct GridWorldResetKernel : IRangeKernel
{
    private readonly GridWorldState _state;
    private readonly GridWorldMaze _maze;
    private readonly StepOutputs _outputs;
    private readonly GridObservationKind _observation;
    private readonly ulong _seed;

    /// <summary>Captures the spans and settings of the reset.</summary>
    /// <param name="state">State of the N environments.</param>
    /// <param name="maze">Static tables.</param>
    /// <param name="outputs">Step outputs.</param>
    /// <param name="observation">Observation encoding.</param>
    /// <param name="seed">The new seed.</param>
    public GridWorldResetKernel(GridWorldState state, GridWorldMaze maze, StepOutputs outputs, GridObservationKind observation, ulong seed)
    {
        _state = state;
        _maze = maze;
        _outputs = outputs;
        _observation = observation;
        _seed = seed;
    }

    /// <inheritdoc />
    public void Execute(int start, int end)
    {
        int width = GridWorldRules.ObservationSize(_observation, _maze.Width, _maze.Height);
        for (int i = start; i < end; i++)
        {
            int cell = GridWorldRules.StartCell(_maze, _state.TaskIds[i], _seed, i, 0);
            _state.Cells[i] = cell;
            _state.Steps[i] = 0;
            _state.Episodes[i] = 0;
            GridWorldRules.WriteObservation(_observation, cell, _maze.Width, _maze.Height, _outputs.Observations.Slice(i * width, width));
            _outputs.Rewards[i] = 0f;
            _outputs.Terminated[i] = false;
            _outputs.Truncated[i] = false;
            _outputs.Finished[i] = false;
        }
    }
}
