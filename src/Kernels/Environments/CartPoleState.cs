using System;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// Struct-of-arrays state of N CartPole environments: the four state variables, the episode
/// counters and each environment's physical parameters of the current episode (with the
/// derived total mass and pole mass × half length kept so the step does not recompute them).
/// </summary>
public readonly ref struct CartPoleState
{
    /// <summary>Bundles the state spans; all have one element per environment.</summary>
    /// <param name="x">Cart positions.</param>
    /// <param name="xDot">Cart velocities.</param>
    /// <param name="theta">Pole angles.</param>
    /// <param name="thetaDot">Pole angular velocities.</param>
    /// <param name="steps">Steps taken in the current episodes.</param>
    /// <param name="episodes">Episodes started since the last full reset.</param>
    /// <param name="forceMagnitude">Push magnitude per environment.</param>
    /// <param name="massPole">Pole mass per environment.</param>
    /// <param name="totalMass">Cart plus pole mass per environment.</param>
    /// <param name="halfPoleLength">Half pole length per environment.</param>
    /// <param name="poleMassLength">Pole mass × half length per environment.</param>
    public CartPoleState(
        Span<float> x, Span<float> xDot, Span<float> theta, Span<float> thetaDot, Span<int> steps, Span<uint> episodes,
        Span<float> forceMagnitude, Span<float> massPole, Span<float> totalMass, Span<float> halfPoleLength, Span<float> poleMassLength)
    {
        X = x;
        XDot = xDot;
        Theta = theta;
        ThetaDot = thetaDot;
        Steps = steps;
        Episodes = episodes;
        ForceMagnitude = forceMagnitude;
        MassPole = massPole;
        TotalMass = totalMass;
        HalfPoleLength = halfPoleLength;
        PoleMassLength = poleMassLength;
    }

    /// <summary>Cart position (m).</summary>
    public Span<float> X { get; }

    /// <summary>Cart velocity (m/s).</summary>
    public Span<float> XDot { get; }

    /// <summary>Pole angle (rad, 0 = upright).</summary>
    public Span<float> Theta { get; }

    /// <summary>Pole angular velocity (rad/s).</summary>
    public Span<float> ThetaDot { get; }

    /// <summary>Steps taken in the current episode.</summary>
    public Span<int> Steps { get; }

    /// <summary>Index of the current episode since the last full reset.</summary>
    public Span<uint> Episodes { get; }

    /// <summary>Push magnitude of the current episode.</summary>
    public Span<float> ForceMagnitude { get; }

    /// <summary>Pole mass of the current episode.</summary>
    public Span<float> MassPole { get; }

    /// <summary>Cart plus pole mass of the current episode.</summary>
    public Span<float> TotalMass { get; }

    /// <summary>Half pole length of the current episode.</summary>
    public Span<float> HalfPoleLength { get; }

    /// <summary>Pole mass × half pole length of the current episode.</summary>
    public Span<float> PoleMassLength { get; }
}
