using System.Globalization;
using System.Text;

namespace Mtrl.Generators;

/// <summary>
/// Numbers and text written into generated C#, for every emitter. Numbers are culture-invariant
/// and round-trip. Text from specs and file names is escaped for the place it lands in, so no
/// character of it can end a comment, a string or an XML element and become code: every C# line
/// terminator (\r, \n, U+0085, U+2028, U+2029) and every other control or unpaired surrogate
/// character is written as a visible escape.
/// </summary>
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

    /// <summary>A regular string literal of any text: quotes, backslashes and unsafe characters escaped.</summary>
    public static string Str(string value)
    {
        var builder = new StringBuilder(value.Length + 2).Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                default:
                    if (IsUnsafe(value, i)) AppendEscape(builder, c);
                    else builder.Append(c);
                    break;
            }
        }
        return builder.Append('"').ToString();
    }

    /// <summary>Text for a <c>//</c> comment: one line whatever the text holds.</summary>
    public static string CommentText(string value)
    {
        var builder = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (IsUnsafe(value, i)) AppendEscape(builder, value[i]);
            else builder.Append(value[i]);
        }
        return builder.ToString();
    }

    /// <summary>Text for the content of an XML doc comment element: one line (line breaks and tabs become spaces), with &amp;, &lt; and &gt; as entities.</summary>
    public static string XmlDocText(string value)
    {
        var builder = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '&': builder.Append("&amp;"); break;
                case '<': builder.Append("&lt;"); break;
                case '>': builder.Append("&gt;"); break;
                case '\t' or '\r' or '\n' or '\u0085' or '\u2028' or '\u2029': builder.Append(' '); break;
                default:
                    if (IsUnsafe(value, i)) AppendEscape(builder, c);
                    else builder.Append(c);
                    break;
            }
        }
        return builder.ToString();
    }

    /// <summary>Line terminators (C# counts U+0085, U+2028 and U+2029 too), other control and format-breaking characters, and unpaired surrogates.</summary>
    private static bool IsUnsafe(string text, int i)
    {
        var c = text[i];
        if (char.IsControl(c) || c is '\u2028' or '\u2029') return true;
        if (char.IsHighSurrogate(c)) return i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]);
        if (char.IsLowSurrogate(c)) return i == 0 || !char.IsHighSurrogate(text[i - 1]);
        return false;
    }

    /// <summary>Writes <c>\uXXXX</c>: a valid escape in a string literal, and plain visible text in a comment.</summary>
    private static void AppendEscape(StringBuilder builder, char c) =>
        builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
}
