using System.Collections.Generic;
using System;
using System.Globalization;
using Mtrl.Kernels.Environments;
using Mtrl.Runtime.Environments;

namespace Mtrl.Cli;

/// <summary>
/// CartPole's domain randomization as given on the command line: each setting is the text of its
/// option (<c>LO:HI</c>, or one number for a fixed value), null when the option is absent (the
/// CartPole-v1 value).
/// </summary>
/// <param name="MassCart">The text of <c>--cartpole-mass-cart</c>.</param>
/// <param name="MassPole">The text of <c>--cartpole-mass-pole</c>.</param>
/// <param name="PoleLength">The text of <c>--cartpole-pole-length</c> (half the pole's length).</param>
/// <param name="Force">The text of <c>--cartpole-force</c>.</param>
internal sealed record CartPoleSettings(string? MassCart = null, string? MassPole = null, string? PoleLength = null, string? Force = null)
{
    public const string MassCartOption = "--cartpole-mass-cart";
    public const string MassPoleOption = "--cartpole-mass-pole";
    public const string PoleLengthOption = "--cartpole-pole-length";
    public const string ForceOption = "--cartpole-force";

    /// <summary>No option given: CartPole-v1.</summary>
    public static CartPoleSettings None { get; } = new();

    /// <summary>The options given, as (option, value) — what a run's manifest records.</summary>
    public IEnumerable<(string Option, string Value)> Given
    {
        get
        {
            if (MassCart is not null) yield return (MassCartOption, MassCart);
            if (MassPole is not null) yield return (MassPoleOption, MassPole);
            if (PoleLength is not null) yield return (PoleLengthOption, PoleLength);
            if (Force is not null) yield return (ForceOption, Force);
        }
    }

    /// <summary>The settings a run's manifest recorded with <see cref="Given"/>.</summary>
    public static CartPoleSettings FromGiven(IReadOnlyDictionary<string, string> given) => new(
        given.GetValueOrDefault(MassCartOption), given.GetValueOrDefault(MassPoleOption),
        given.GetValueOrDefault(PoleLengthOption), given.GetValueOrDefault(ForceOption));

    /// <summary>The first option given, or null when none is.</summary>
    public string? FirstGiven =>
        MassCart is not null ? MassCartOption
        : MassPole is not null ? MassPoleOption
        : PoleLength is not null ? PoleLengthOption
        : Force is not null ? ForceOption
        : null;

    /// <summary>
    /// The environment options these settings describe, or null and a one-line message naming the
    /// first bad option, the allowed form and range, and what was given.
    /// </summary>
    public CartPoleOptions? ToOptions(out string problem)
    {
        problem = "";
        var defaults = new CartPoleOptions();
        if (!Parse(MassCart, MassCartOption, "cart mass in kg", defaults.MassCart, out var massCart, out problem)
            || !Parse(MassPole, MassPoleOption, "pole mass in kg", defaults.MassPole, out var massPole, out problem)
            || !Parse(PoleLength, PoleLengthOption, "half pole length in m", defaults.HalfPoleLength, out var halfLength, out problem)
            || !Parse(Force, ForceOption, "push magnitude in N", defaults.ForceMagnitude, out var force, out problem))
        {
            return null;
        }

        return defaults with { MassCart = massCart, MassPole = massPole, HalfPoleLength = halfLength, ForceMagnitude = force };
    }

    private static bool Parse(string? text, string option, string what, UniformRange fallback, out UniformRange range, out string problem)
    {
        range = fallback;
        problem = "";
        if (text is null) return true;
        var parts = text.Split(':');
        if (parts.Length is 1 or 2
            && Number(parts[0], out var low)
            && Number(parts[^1], out var high)
            && low > 0f && low <= high)
        {
            range = new UniformRange(low, high);
            return true;
        }

        problem = $"{option} ({what}) must be a number V or a range LO:HI with 0 < LO <= HI, e.g. {option} {Format(fallback.Low / 2)}:{Format(fallback.Low * 2)} (CartPole-v1: {Format(fallback.Low)}); found '{text}'";
        return false;
    }

    private static bool Number(string text, out float value)
    {
        value = 0f;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)) return false;
        value = (float)parsed;
        return float.IsFinite(value);
    }

    private static string Format(float value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
