using System;
using Mtrl.Contracts;
using Mtrl.Kernels.Replay;

namespace Mtrl.Kernels.Gpu.Training;

/// <summary>Hindsight relabeling in a device training loop: where substitute goals come from, how many per real one, and the sparse goal reward that rescores them.</summary>
/// <param name="Strategy">Future, Final or Episode.</param>
/// <param name="GoalsPerTransition">k, in [0, 1000] (stable-baselines3's n_sampled_goal).</param>
/// <param name="Reward">0 within its threshold of the goal, else −1; BitFlip's is threshold 0, terminating on success.</param>
public sealed record DeviceHerSettings(HerGoalStrategy Strategy, int GoalsPerTransition, ThresholdGoalReward Reward)
{
    /// <summary>Throws if a value is outside its range, naming it and the range.</summary>
    public void Validate()
    {
        if ((uint)Strategy > (uint)HerGoalStrategy.Episode)
        {
            throw new ArgumentOutOfRangeException(nameof(Strategy), Strategy, "Strategy must be Future, Final or Episode");
        }

        if (GoalsPerTransition < 0 || GoalsPerTransition > 1_000)
        {
            throw new ArgumentOutOfRangeException(nameof(GoalsPerTransition), GoalsPerTransition, "GoalsPerTransition must be in [0, 1000]");
        }
    }
}
