using System;

namespace Mtrl.Runtime.Evaluation;

/// <summary>How a <see cref="PolicyEvaluator"/> measures an agent.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Episodes counted per task (1–100,000). Each task gets exactly this many, however many environments run it.</summary>
    public int EpisodesPerTask { get; init; } = 10;

    /// <summary>
    /// Seed of the evaluation environments' reset. Every evaluation starts from it, so successive
    /// evaluations of one run face the same start states and goals and differ only by the agent.
    /// </summary>
    public ulong Seed { get; init; } = 0x5EED_E7A1;

    /// <summary>Vector steps after which an evaluation gives up (a guard against environments that never end an episode).</summary>
    public long MaxVectorSteps { get; init; } = 1_000_000;

    /// <summary>Throws unless every setting is in range.</summary>
    public void Validate()
    {
        if (EpisodesPerTask is < 1 or > 100_000)
        {
            throw new ArgumentOutOfRangeException(nameof(EpisodesPerTask), EpisodesPerTask, "episodes per task must be in [1, 100000]");
        }
        if (MaxVectorSteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxVectorSteps), MaxVectorSteps, "must be at least 1");
        }
    }
}
