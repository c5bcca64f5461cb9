using System;
using System.Runtime.CompilerServices;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// The per-environment episode start of CartPole, shared by the reset and step kernels.
/// Block 0 of the episode's random stream gives the state (x, ẋ, θ, θ̇ from words 0..3, each
/// uniform in [−0.05, 0.05) as in Gymnasium); block 1 gives the physics (cart mass, pole mass,
/// half length, force magnitude from words 0..3, each uniform in its range).
/// </summary>
public static class CartPoleRules
{
    /// <summary>Observation width: x, ẋ, θ, θ̇.</summary>
    public const int ObservationSize = 4;

    /// <summary>Draws state and physics of episode <paramref name="episode"/> of environment <paramref name="env"/> and clears its step count.</summary>
    /// <param name="state">State of all environments; only element <paramref name="env"/> is written.</param>
    /// <param name="ranges">Physics ranges.</param>
    /// <param name="seed">Seed of the last full reset.</param>
    /// <param name="env">Environment index (the RNG stream).</param>
    /// <param name="episode">Episode index of the environment.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StartEpisode(CartPoleState state, in CartPolePhysicsRanges ranges, ulong seed, int env, uint episode)
    {
        const float low = -CartPoleConstants.ResetBound, high = CartPoleConstants.ResetBound;
        PhiloxBlock start = EnvironmentRandom.Block(seed, env, episode, 0);
        state.X[env] = EnvironmentRandom.Uniform(start.X0, low, high);
        state.XDot[env] = EnvironmentRandom.Uniform(start.X1, low, high);
        state.Theta[env] = EnvironmentRandom.Uniform(start.X2, low, high);
        state.ThetaDot[env] = EnvironmentRandom.Uniform(start.X3, low, high);

        PhiloxBlock physics = EnvironmentRandom.Block(seed, env, episode, 1);
        float massCart = ranges.MassCart.Sample(physics.X0);
        float massPole = ranges.MassPole.Sample(physics.X1);
        float halfLength = ranges.HalfPoleLength.Sample(physics.X2);
        state.MassPole[env] = massPole;
        state.TotalMass[env] = massPole + massCart;
        state.HalfPoleLength[env] = halfLength;
        state.PoleMassLength[env] = massPole * halfLength;
        state.ForceMagnitude[env] = ranges.ForceMagnitude.Sample(physics.X3);
        state.Steps[env] = 0;
        state.Episodes[env] = episode;
    }

    /// <summary>Writes environment <paramref name="env"/>'s state as its observation row (x, ẋ, θ, θ̇).</summary>
    /// <param name="state">State of all environments.</param>
    /// <param name="env">Environment index.</param>
    /// <param name="observations">N × 4 observations.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteObservation(CartPoleState state, int env, Span<float> observations)
    {
        Span<float> row = observations.Slice(env * ObservationSize, ObservationSize);
        row[0] = state.X[env];
        row[1] = state.XDot[env];
        row[2] = state.Theta[env];
        row[3] = state.ThetaDot[env];
    }
}
