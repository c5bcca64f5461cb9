using System.Globalization;

namespace Mtrl.Dsl.Semantics;

/// <summary>An allowed interval for a number, able to describe itself in an error message.</summary>
internal readonly record struct NumberRange(double Min, double Max, bool MinExclusive = false, bool MaxExclusive = false)
{
    public static readonly NumberRange Positive = new(0, double.PositiveInfinity, MinExclusive: true);
    public static readonly NumberRange NonNegative = new(0, double.PositiveInfinity);
    public static readonly NumberRange AtLeastOne = new(1, double.PositiveInfinity);
    public static readonly NumberRange Probability = new(0, 1);
    public static readonly NumberRange Any = new(double.NegativeInfinity, double.PositiveInfinity);

    public bool Contains(double value) =>
        (MinExclusive ? value > Min : value >= Min) && (MaxExclusive ? value < Max : value <= Max);

    public string Describe()
    {
        var hasMin = !double.IsNegativeInfinity(Min);
        // int.MaxValue is an implementation limit, not a rule a user needs to read.
        var hasMax = !double.IsPositiveInfinity(Max) && Max < int.MaxValue;
        if (hasMin && hasMax)
        {
            if (!MinExclusive && !MaxExclusive) return $"between {Format(Min)} and {Format(Max)}";
            return $"in {(MinExclusive ? "(" : "[")}{Format(Min)}, {Format(Max)}{(MaxExclusive ? ")" : "]")}";
        }
        if (hasMin) return MinExclusive ? $"greater than {Format(Min)}" : $"at least {Format(Min)}";
        if (hasMax) return MaxExclusive ? $"less than {Format(Max)}" : $"at most {Format(Max)}";
        return "any number";
    }

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
