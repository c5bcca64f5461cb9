using System;
using System.IO;
using System.Text;
using Mtrl.Dsl;

namespace Mtrl.Cli;

/// <summary>Reads spec files from disk, turning I/O problems into one clear line instead of a stack trace.</summary>
internal static class SpecFiles
{
    /// <summary>Reads and compiles <paramref name="path"/>; null (with a message on <paramref name="error"/>) if it cannot be read.</summary>
    public static SpecResult? Load(string path, TextWriter error) => LoadWithText(path, error).Result;

    /// <summary>As <see cref="Load"/>, and the text that was compiled (empty when it could not be read).</summary>
    public static (SpecResult? Result, string Text) LoadWithText(string path, TextWriter error)
    {
        string text;
        try
        {
            if (Directory.Exists(path))
            {
                error.WriteLine($"mtrl: error: '{path}' is a directory; pass .mtrl files");
                return (null, "");
            }
            if (!File.Exists(path))
            {
                error.WriteLine($"mtrl: error: file '{path}' not found");
                return (null, "");
            }
            // UTF-8 with or without a byte-order mark; invalid bytes become U+FFFD and are reported by the parser.
            text = File.ReadAllText(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"mtrl: error: cannot read '{path}': {exception.Message}");
            return (null, "");
        }
        return (SpecCompiler.Compile(path, text), text);
    }
}
