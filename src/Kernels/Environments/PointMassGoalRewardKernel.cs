using System;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// PointMass's goal reward over a batch of (achieved, desired) goal rows for hindsight
/// relabeling — the same function the step kernel pays — and optionally the termination flags
/// (success, when the environment terminates on success).
/// </summary>
public readonly ref struct PointMassGoalRewardKernel : IRangeKernel
{
    private readonly ReadOnlySpan<float> _achieved;
    private readonly ReadOnlySpan<float> _desired;
    private readonly Span<float> _rewards;
    private readonly Span<bool> _terminated;
    private readonly PointMassStepParameters _parameters;

    /// <summary>Captures a batch of goal rows.</summary>
    /// <param name="achieved">Rows × 2 achieved goals.</param>
    /// <param name="desired">Rows × 2 desired goals.</param>
    /// <param name="parameters">Settings holding the reward form, success radius and termination rule.</param>
    /// <param name="rewards">One reward per row, or empty to skip rewards.</param>
    /// <param name="terminated">One flag per row, or empty to skip flags.</param>
    public PointMassGoalRewardKernel(
        ReadOnlySpan<float> achieved, ReadOnlySpan<float> desired, PointMassStepParameters parameters, Span<float> rewards, Span<bool> terminated)
    {
        _achieved = achieved;
        _desired = desired;
        _parameters = parameters;
        _rewards = rewards;
        _terminated = terminated;
    }

    /// <inheritdoc />
    public void Execute(int start, int end)
    {
        for (int r = start; r < end; r++)
        {
            float distance = PointMassRules.Distance(_achieved[2 * r], _achieved[2 * r + 1], _desired[2 * r], _desired[2 * r + 1]);
            if (!_rewards.IsEmpty)
            {
                _rewards[r] = PointMassRules.Reward(distance, _parameters);
            }

            if (!_terminated.IsEmpty)
            {
                _terminated[r] = _parameters.TerminateOnSuccess && PointMassRules.IsSuccess(distance, _parameters);
            }
        }
    }
}
