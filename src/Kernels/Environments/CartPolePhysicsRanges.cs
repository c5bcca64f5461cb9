namespace Mtrl.Kernels.Environments;

/// <summary>
/// The ranges CartPole's physical parameters are drawn from at the start of each episode
/// (domain randomization). <see cref="CartPoleV1"/> fixes every parameter at Gymnasium's value.
/// </summary>
/// <param name="MassCart">Cart mass (kg).</param>
/// <param name="MassPole">Pole mass (kg).</param>
/// <param name="HalfPoleLength">Half the pole's length (m).</param>
/// <param name="ForceMagnitude">Push magnitude (N).</param>
public readonly record struct CartPolePhysicsRanges(
    UniformRange MassCart, UniformRange MassPole, UniformRange HalfPoleLength, UniformRange ForceMagnitude)
{
    /// <summary>No randomization: exactly the constants of CartPole-v1.</summary>
    public static CartPolePhysicsRanges CartPoleV1 => new(
        UniformRange.Fixed(CartPoleConstants.MassCart),
        UniformRange.Fixed(CartPoleConstants.MassPole),
        UniformRange.Fixed(CartPoleConstants.HalfPoleLength),
        UniformRange.Fixed(CartPoleConstants.ForceMagnitude));
}
