using System;
using Mtrl.Kernels.Environments;

namespace Mtrl.Runtime.Environments;

/// <summary>
/// Settings of <see cref="CartPoleVectorEnvironment"/>: the domain-randomization ranges of the
/// physical parameters (drawn per environment at the start of every episode) and the time
/// limit. The defaults fix every parameter at CartPole-v1's value, so
/// <c>new CartPoleOptions()</c> is exactly CartPole-v1.
/// </summary>
public sealed record CartPoleOptions
{
    /// <summary>Cart mass range (kg); CartPole-v1: 1.0.</summary>
    public UniformRange MassCart { get; init; } = UniformRange.Fixed(CartPoleConstants.MassCart);

    /// <summary>Pole mass range (kg); CartPole-v1: 0.1.</summary>
    public UniformRange MassPole { get; init; } = UniformRange.Fixed(CartPoleConstants.MassPole);

    /// <summary>Half pole length range (m); CartPole-v1: 0.5.</summary>
    public UniformRange HalfPoleLength { get; init; } = UniformRange.Fixed(CartPoleConstants.HalfPoleLength);

    /// <summary>Push magnitude range (N); CartPole-v1: 10.</summary>
    public UniformRange ForceMagnitude { get; init; } = UniformRange.Fixed(CartPoleConstants.ForceMagnitude);

    /// <summary>Steps after which an episode is truncated; CartPole-v1: 500.</summary>
    public int MaxEpisodeSteps { get; init; } = CartPoleConstants.MaxEpisodeSteps;

    /// <summary>True when no parameter is randomized (the environment is CartPole-v1 up to its time limit).</summary>
    public bool IsRandomized => !(MassCart.IsFixed && MassPole.IsFixed && HalfPoleLength.IsFixed && ForceMagnitude.IsFixed);

    /// <summary>Throws if a range is not positive and ordered or the time limit is below 1, naming the setting and its allowed range.</summary>
    public void Validate()
    {
        MassCart.ValidatePositive(nameof(MassCart));
        MassPole.ValidatePositive(nameof(MassPole));
        HalfPoleLength.ValidatePositive(nameof(HalfPoleLength));
        ForceMagnitude.ValidatePositive(nameof(ForceMagnitude));
        if (MaxEpisodeSteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxEpisodeSteps), MaxEpisodeSteps, "must be at least 1");
        }
    }

    /// <summary>The ranges in the form the kernels take.</summary>
    internal CartPolePhysicsRanges PhysicsRanges() => new(MassCart, MassPole, HalfPoleLength, ForceMagnitude);
}
