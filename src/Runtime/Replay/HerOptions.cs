using System;
using Mtrl.Contracts;
using Mtrl.Kernels.Replay;

namespace Mtrl.Runtime.Replay;

/// <summary>
/// How hindsight experience replay relabels a batch: where substitute goals come from, and how
/// many relabeled goals accompany each real one (k; SB3's <c>n_sampled_goal</c>, default 4), which
/// makes the relabeled share of a batch 1 − 1/(1 + k).
/// </summary>
/// <param name="Strategy">Where new goals come from.</param>
/// <param name="GoalsPerTransition">k, at least 0.</param>
public readonly record struct HerOptions(HerGoalStrategy Strategy, int GoalsPerTransition)
{
    /// <summary>SB3's defaults: future goals, k = 4 (80 % of a batch relabeled).</summary>
    public static HerOptions Default => new(HerGoalStrategy.Future, 4);

    /// <summary>Checks the fields; the exception names the field and its allowed range.</summary>
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
