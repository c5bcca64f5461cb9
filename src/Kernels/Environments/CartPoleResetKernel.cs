namespace Mtrl.Kernels.Environments;

/// <summary>
/// Starts episode 0 of every CartPole environment under a new seed (the vector's full reset):
/// draws states and physics, clears counters, writes observations and clears rewards and flags.
/// </summary>
public readonly ref struct CartPoleResetKernel : IRangeKernel
{
    private readonly CartPoleState _state;
    private readonly StepOutputs _outputs;
    private readonly CartPolePhysicsRanges _ranges;
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

    /// <inheritdoc />
    public void Execute(int start, int end)
    {
        for (int i = start; i < end; i++)
        {
            CartPoleRules.StartEpisode(_state, in _ranges, _seed, i, 0);
            CartPoleRules.WriteObservation(_state, i, _outputs.Observations);
            _outputs.Rewards[i] = 0f;
            _outputs.Terminated[i] = false;
            _outputs.Truncated[i] = false;
            _outputs.Finished[i] = false;
        }
    }
}
