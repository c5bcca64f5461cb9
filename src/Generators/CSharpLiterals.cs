using System.Globalization;

namespace Mtrl.Generators;

/// <summary>Numbers written as C# literals, culture-invariant and round-tripping, for every emitter.</summary>
internal static class CSharpLiterals
{
    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Long(long value) => Int(value) + "L";

    public static string Float(double value) => ((float)value).ToString("R", CultureInfo.InvariantCulture) + "f";

    public static string Double(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains(".") || text.Contains("E") ? text : text + ".0";
    }

    /// <summary>A regular string literal; callers pass identifiers and dotted names only (no quotes or escapes to write).</summary>
    public static string Str(string value) => "\"" + value + "\"";
}
