using System;
using System.Collections.Generic;
using System.Linq;

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

    /// <summary>
    /// The tasks to evaluate (distinct ids, ascending in the result), or null for every task of the
    /// environment. A sequential schedule evaluates one task at a time on environments that all run
    /// it; episodes of other tasks are not counted.
    /// </summary>
    public IReadOnlyList<int>? Tasks { get; init; }

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
        if (Tasks is { } tasks)
        {
            if (tasks.Count == 0) throw new ArgumentException("Tasks must list at least one task (or be null for all)", nameof(Tasks));
            if (tasks.Any(t => t < 0)) throw new ArgumentOutOfRangeException(nameof(Tasks), tasks.First(t => t < 0), "task ids must be at least 0");
            if (tasks.Distinct().Count() != tasks.Count) throw new ArgumentException("Tasks lists a task twice", nameof(Tasks));
        }
    }
}
