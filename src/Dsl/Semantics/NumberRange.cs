using System.Globalization;

namespace Mtrl.Dsl.Semantics;

/// <summary>An allowed interval for a number, able to describe itself in an error message.</summary>
internal readonly record struct NumberRange(double Min, double Max, bool MinExclusive = false, bool MaxExclusive = false)
{
    public static readonly NumberRange Positive = new(0, double.PositiveInfinity, MinExclusive: true);
    public static readonly NumberRange NonNegative = new(0, double.PositiveInfinity);
    public static readonly NumberRange Probability = new(0, 1);
    public static readonly NumberRange Any = new(double.NegativeInfinity, double.PositiveInfinity);

    /// <summary>Whole numbers in [<paramref name="min"/>, <paramref name="max"/>]; every integer setting has a finite range.</summary>
    public static NumberRange Integers(long min, long max) => new(min, max);

    /// <summary>A width: 1 … <see cref="SpecLimits.MaxWidth"/>.</summary>
    public static readonly NumberRange Width = Integers(1, SpecLimits.MaxWidth);

    /// <summary>A count of modules, experts, …: 1 … <see cref="SpecLimits.MaxModules"/>.</summary>
    public static readonly NumberRange Modules = Integers(1, SpecLimits.MaxModules);

    /// <summary>A number of layers: 1 … <see cref="SpecLimits.MaxLayers"/>.</summary>
    public static readonly NumberRange Layers = Integers(1, SpecLimits.MaxLayers);

    /// <summary>A step count: 1 … <see cref="SpecLimits.MaxSteps"/>.</summary>
    public static readonly NumberRange Steps = Integers(1, SpecLimits.MaxSteps);

    /// <summary>An interval between events: 1 … <see cref="SpecLimits.MaxInterval"/>.</summary>
    public static readonly NumberRange Interval = Integers(1, SpecLimits.MaxInterval);

    public bool Contains(double value) =>
        (MinExclusive ? value > Min : value >= Min) && (MaxExclusive ? value < Max : value <= Max);

    /// <summary>
    /// The range as a message states it, e.g. "an integer in 1..1,000,000" or "a number in (0, 1]".
    /// It always names both ends that exist, so a message never states a rule the value meets.
    /// </summary>
    public string Describe(bool integer)
    {
        var hasMin = !double.IsNegativeInfinity(Min);
        var hasMax = !double.IsPositiveInfinity(Max);
        if (integer && hasMin && hasMax)
        {
            var low = MinExclusive ? System.Math.Floor(Min) + 1 : System.Math.Ceiling(Min);
            var high = MaxExclusive ? System.Math.Ceiling(Max) - 1 : System.Math.Floor(Max);
            return $"an integer in {FormatInteger(low)}..{FormatInteger(high)}";
        }
        var kind = integer ? "an integer" : "a number";
        if (hasMin && hasMax)
        {
            if (!MinExclusive && !MaxExclusive) return $"{kind} in {Format(Min)}..{Format(Max)}";
            return $"{kind} in {(MinExclusive ? "(" : "[")}{Format(Min)}, {Format(Max)}{(MaxExclusive ? ")" : "]")}";
        }
        if (hasMin) return MinExclusive ? $"{kind} greater than {Format(Min)}" : $"{kind} of at least {Format(Min)}";
        if (hasMax) return MaxExclusive ? $"{kind} less than {Format(Max)}" : $"{kind} of at most {Format(Max)}";
        return integer ? "an integer" : "any number";
    }

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A whole number with thousands separators (1,000,000), as limits are written in the docs.</summary>
    /// Goes through long: a double's own formatting rounds to 15 digits (9,007,199,254,740,990).
    public static string FormatInteger(double value) =>
        value is >= -9.2e18 and <= 9.2e18
            ? ((long)value).ToString("#,0", CultureInfo.InvariantCulture)
            : value.ToString("R", CultureInfo.InvariantCulture);
}
