using System;

namespace Mtrl.Kernels.Environments;

/// <summary>
/// A closed-open interval [Low, High) that an environment parameter is drawn from uniformly at
/// the start of every episode (domain randomization). Low = High fixes the parameter.
/// </summary>
/// <param name="Low">Smallest value.</param>
/// <param name="High">Largest value (never drawn unless equal to <paramref name="Low"/>).</param>
public readonly record struct UniformRange(float Low, float High)
{
    /// <summary>A range holding one value: the parameter is not randomized.</summary>
    /// <param name="value">The fixed value.</param>
    public static UniformRange Fixed(float value) => new(value, value);

    /// <summary>True when the range holds a single value.</summary>
    public bool IsFixed => Low == High;

    /// <summary>Draws the value from a random word (see <see cref="EnvironmentRandom.Uniform"/>).</summary>
    /// <param name="bits">A random word.</param>
    public float Sample(uint bits) => EnvironmentRandom.Uniform(bits, Low, High);

    /// <summary>
    /// Throws unless both bounds are finite, positive and Low ≤ High; physical parameters such as
    /// masses and lengths must stay positive for the dynamics to be defined.
    /// </summary>
    /// <param name="name">Name of the parameter, used in the exception.</param>
    public void ValidatePositive(string name)
    {
        if (!(float.IsFinite(Low) && float.IsFinite(High) && Low > 0f && Low <= High))
        {
            throw new ArgumentOutOfRangeException(name, this, $"{name} must satisfy 0 < Low <= High with finite bounds");
        }
    }
}
