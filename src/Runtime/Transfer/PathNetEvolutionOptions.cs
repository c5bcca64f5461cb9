using System;
using Mtrl.Contracts;

namespace Mtrl.Runtime.Transfer;

/// <summary>
/// PathNet's tournament evolution settings (Fernando et al. 2017), mirroring the spec's
/// <c>evolution { … }</c> section. <see cref="PathwayEvolution"/> applies them.
/// </summary>
public sealed record PathNetEvolutionOptions
{
    /// <summary>Pathways (genotypes) in the population; at least 2. The paper uses 64.</summary>
    public int Population { get; init; } = TrainingDefaults.PathNetPopulation;

    /// <summary>Pathways compared per tournament, in [2, <see cref="Population"/>]. The paper's tournaments are binary.</summary>
    public int Tournament { get; init; } = TrainingDefaults.PathNetTournament;

    /// <summary>
    /// Probability that each gene of a copied loser mutates, in [0, 1]; null takes the paper's
    /// 1/(layers·active), so about one gene per genotype mutates.
    /// </summary>
    public double? MutationProbability { get; init; }

    /// <summary>
    /// A mutated gene moves by an integer drawn uniformly from [−shift, shift], modulo the module
    /// count; at least 0 (0 makes mutation a no-op). The paper uses 2.
    /// </summary>
    public int MutationShift { get; init; } = TrainingDefaults.PathNetMutationShift;

    /// <summary>Transitions each contestant trains (and is measured) for before its fitness is reported; at least 1.</summary>
    public long StepsPerEvaluation { get; init; } = TrainingDefaults.PathNetStepsPerEvaluation;

    /// <summary>What a contestant's fitness measures.</summary>
    public PathwayFitness Fitness { get; init; } = PathwayFitness.Return;

    /// <summary>Whether a losing contestant's parameter updates stay (the paper) or are undone.</summary>
    public LoserUpdates LoserUpdates { get; init; } = LoserUpdates.Keep;

    /// <summary>Checks every setting against its range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the exception names it and the allowed range.</exception>
    public void Validate()
    {
        if (Population < 2) throw new ArgumentOutOfRangeException(nameof(Population), Population, "must be at least 2");
        if (Tournament < 2 || Tournament > Population)
        {
            throw new ArgumentOutOfRangeException(nameof(Tournament), Tournament, $"must be in [2, Population] = [2, {Population}]");
        }
        if (MutationProbability is { } p && !(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(MutationProbability), p, "must be in [0, 1], or null for 1/(layers·active)");
        }
        if (MutationShift < 0) throw new ArgumentOutOfRangeException(nameof(MutationShift), MutationShift, "must be at least 0");
        if (StepsPerEvaluation < 1) throw new ArgumentOutOfRangeException(nameof(StepsPerEvaluation), StepsPerEvaluation, "must be at least 1");
        if (!Enum.IsDefined(Fitness)) throw new ArgumentOutOfRangeException(nameof(Fitness), Fitness, "must be Return or Success");
        if (!Enum.IsDefined(LoserUpdates)) throw new ArgumentOutOfRangeException(nameof(LoserUpdates), LoserUpdates, "must be Keep or Discard");
    }
}
