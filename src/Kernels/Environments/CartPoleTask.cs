namespace Mtrl.Kernels.Environments;

/// <summary>
/// The fixed physics of one task of a multi-task CartPole: every environment running the task
/// has these values in every episode. Plain numbers, so a kernel can read a task table.
/// </summary>
/// <param name="MassCart">Cart mass (kg).</param>
/// <param name="MassPole">Pole mass (kg).</param>
/// <param name="HalfPoleLength">Half the pole's length (m).</param>
/// <param name="ForceMagnitude">Push magnitude (N).</param>
public readonly record struct CartPoleTask(float MassCart, float MassPole, float HalfPoleLength, float ForceMagnitude)
{
    /// <summary>CartPole-v1's physics.</summary>
    public static CartPoleTask CartPoleV1 => new(
        CartPoleConstants.MassCart, CartPoleConstants.MassPole, CartPoleConstants.HalfPoleLength, CartPoleConstants.ForceMagnitude);

    /// <summary>The task's physics as ranges that each hold one value.</summary>
    public CartPolePhysicsRanges Ranges => new(
        UniformRange.Fixed(MassCart), UniformRange.Fixed(MassPole), UniformRange.Fixed(HalfPoleLength), UniformRange.Fixed(ForceMagnitude));
}
