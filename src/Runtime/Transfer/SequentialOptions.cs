using System;
using Mtrl.Runtime.Evaluation;

namespace Mtrl.Runtime.Transfer;

/// <summary>How a <see cref="SequentialTrainer"/> trains its tasks one after another.</summary>
public sealed record SequentialOptions
{
    /// <summary>Transitions each task trains for (rounded up to whole vector steps).</summary>
    public long StepsPerTask { get; init; } = 100_000;

    /// <summary>PathNet's tournament settings; used when the networks have a PathNet grid (null: the defaults).</summary>
    public PathNetEvolutionOptions? Evolution { get; init; }

    /// <summary>
    /// Transitions between evaluations of the current task within its stage (its learning curve,
    /// from which steps-to-threshold and the area under the curve are read); 0 evaluates only when
    /// a stage ends. Every task is evaluated at every stage end either way.
    /// </summary>
    public long EvaluateEvery { get; init; }

    /// <summary>How each evaluation runs (episodes per task, seed).</summary>
    public EvaluationOptions Evaluation { get; init; } = new();

    /// <summary>Seed of the transfer steps' own draws: PathNet's tournaments and the re-initialisation of modules off the frozen pathways.</summary>
    public ulong Seed { get; init; }

    /// <summary>Throws, naming the setting and its range, unless every setting is valid.</summary>
    public void Validate()
    {
        if (StepsPerTask < 1) throw new ArgumentOutOfRangeException(nameof(StepsPerTask), StepsPerTask, "steps per task must be at least 1");
        if (EvaluateEvery < 0) throw new ArgumentOutOfRangeException(nameof(EvaluateEvery), EvaluateEvery, "evaluate-every must be 0 (stage ends only) or at least 1");
        ArgumentNullException.ThrowIfNull(Evaluation, nameof(Evaluation));
        Evaluation.Validate();
        Evolution?.Validate();
    }
}
