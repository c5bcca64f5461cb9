namespace Mtrl.Contracts;

/// <summary>What a PathNet tournament compares between pathways.</summary>
public enum PathwayFitness
{
    /// <summary>Mean episode return while the pathway was evaluated.</summary>
    Return,

    /// <summary>Mean success rate while the pathway was evaluated.</summary>
    Success,
}
