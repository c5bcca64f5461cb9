using System;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// BitFlip's goal reward over a batch of (achieved, desired) goal rows, for hindsight relabeling:
/// reward 0 where the rows are equal element for element, −1 elsewhere — the same function the
/// step kernel applies, so relabeled rewards match what the environment would have paid.
/// Optionally also writes the success flags (BitFlip terminates on success).
/// </summary>
public readonly ref struct BitFlipGoalRewardKernel : IRangeKernel
{
    private readonly ReadOnlySpan<float> _achieved;
    private readonly ReadOnlySpan<float> _desired;
    private readonly Span<float> _rewards;
    private readonly Span<bool> _success;
    private readonly int _bits;

    /// <summary>Captures a batch of goal rows.</summary>
    /// <param name="achieved">Rows × n achieved goals.</param>
    /// <param name="desired">Rows × n desired goals.</param>
    /// <param name="bits">n, the goal width.</param>
    /// <param name="rewards">One reward per row, or empty to skip rewards.</param>
    /// <param name="success">One flag per row, or empty to skip flags.</param>
    public BitFlipGoalRewardKernel(ReadOnlySpan<float> achieved, ReadOnlySpan<float> desired, int bits, Span<float> rewards, Span<bool> success)
    {
        _achieved = achieved;
        _desired = desired;
        _bits = bits;
        _rewards = rewards;
        _success = success;
    }

    /// <inheritdoc />
    public void Execute(int start, int end)
    {
        int n = _bits;
        for (int r = start; r < end; r++)
        {
            bool success = _achieved.Slice(r * n, n).SequenceEqual(_desired.Slice(r * n, n));
            if (!_rewards.IsEmpty)
            {
                _rewards[r] = BitFlipRules.Reward(success);
            }

            if (!_success.IsEmpty)
            {
                _success[r] = success;
            }
        }
    }
}
