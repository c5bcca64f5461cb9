using System;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// Starts episode 0 of every BitFlip environment under a new seed (the vector's full reset):
/// draws states and goals, clears counters and writes observations and goals; rewards and flags
/// are cleared so the buffers describe a fresh start.
/// </summary>
public readonly ref struct BitFlipResetKernel : IRangeKernel
{
    private readonly BitFlipState _state;
    private readonly StepOutputs _outputs;
    private readonly GoalOutputs _goals;
    private readonly int _bits;
    private readonly ulong _seed;

    /// <summary>Captures the spans and settings of the reset.</summary>
    /// <param name="state">State of the N environments.</param>
    /// <param name="outputs">Step outputs; observations are N × n.</param>
    /// <param name="goals">Goal outputs; goals are N × n.</param>
    /// <param name="bits">n.</param>
    /// <param name="seed">The new seed.</param>
    public BitFlipResetKernel(BitFlipState state, StepOutputs outputs, GoalOutputs goals, int bits, ulong seed)
    {
        _state = state;
        _outputs = outputs;
        _goals = goals;
        _bits = bits;
        _seed = seed;
    }

    /// <inheritdoc />
    public void Execute(int start, int end)
    {
        int n = _bits;
        for (int i = start; i < end; i++)
        {
            BitFlipRules.StartEpisode(_seed, i, 0, n, out ulong state, out ulong goal);
            _state.States[i] = state;
            _state.Goals[i] = goal;
            _state.Steps[i] = 0;
            _state.Episodes[i] = 0;
            BitFlipRules.WriteBits(state, _outputs.Observations.Slice(i * n, n));
            BitFlipRules.WriteBits(state, _goals.AchievedGoals.Slice(i * n, n));
            BitFlipRules.WriteBits(goal, _goals.DesiredGoals.Slice(i * n, n));
            _outputs.Rewards[i] = 0f;
            _outputs.Terminated[i] = false;
            _outputs.Truncated[i] = false;
            _outputs.Finished[i] = false;
        }
    }
}
