using System;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// One step of N BitFlip(n) environments: action i flips bit i; reward 0 when the new state
/// equals the goal, else −1; terminated on success; truncated once the episode has taken
/// <c>maxSteps</c> steps; finished environments are autoreset in the same step (Gymnasium's
/// same-step mode) with their last observation and goals kept in the final buffers.
/// </summary>
public readonly ref struct BitFlipStepKernel : IRangeKernel
{
    private readonly BitFlipState _state;
    private readonly ReadOnlySpan<int> _actions;
    private readonly StepOutputs _outputs;
    private readonly GoalOutputs _goals;
    private readonly int _bits;
    private readonly int _maxSteps;
    private readonly ulong _seed;

    /// <summary>Captures the spans and settings of one step.</summary>
    /// <param name="state">State of the N environments.</param>
    /// <param name="actions">N bit indices in [0, n) (validated by the caller).</param>
    /// <param name="outputs">Step outputs; observations are N × n.</param>
    /// <param name="goals">Goal outputs; goals are N × n.</param>
    /// <param name="bits">n.</param>
    /// <param name="maxSteps">Episode length at which an episode is truncated.</param>
    /// <param name="seed">Seed of the last full reset.</param>
    public BitFlipStepKernel(BitFlipState state, ReadOnlySpan<int> actions, StepOutputs outputs, GoalOutputs goals, int bits, int maxSteps, ulong seed)
    {
        _state = state;
        _actions = actions;
        _outputs = outputs;
        _goals = goals;
        _bits = bits;
        _maxSteps = maxSteps;
        _seed = seed;
    }

    /// <inheritdoc />
    public void Execute(int start, int end)
    {
        int n = _bits;
        for (int i = start; i < end; i++)
        {
            ulong state = _state.States[i] ^ (1UL << _actions[i]);
            ulong goal = _state.Goals[i];
            int steps = _state.Steps[i] + 1;
            bool success = state == goal;
            bool truncated = steps >= _maxSteps;
            _outputs.Rewards[i] = BitFlipRules.Reward(success);
            _outputs.Terminated[i] = success;
            _outputs.Truncated[i] = truncated;
            _outputs.Finished[i] = success | truncated;
            if (success | truncated)
            {
                BitFlipRules.WriteBits(state, _outputs.FinalObservations.Slice(i * n, n));
                BitFlipRules.WriteBits(state, _goals.FinalAchievedGoals.Slice(i * n, n));
                BitFlipRules.WriteBits(goal, _goals.FinalDesiredGoals.Slice(i * n, n));
                uint episode = _state.Episodes[i] + 1;
                _state.Episodes[i] = episode;
                BitFlipRules.StartEpisode(_seed, i, episode, n, out state, out goal);
                _state.Goals[i] = goal;
                steps = 0;
            }

            _state.States[i] = state;
            _state.Steps[i] = steps;
            BitFlipRules.WriteBits(state, _outputs.Observations.Slice(i * n, n));
            BitFlipRules.WriteBits(state, _goals.AchievedGoals.Slice(i * n, n));
            BitFlipRules.WriteBits(goal, _goals.DesiredGoals.Slice(i * n, n));
        }
    }
}
