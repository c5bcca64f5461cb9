using System;
using System.Buffers;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using Mtrl.Dsl;

namespace Mtrl.Cli;

/// <summary>Reads spec files from disk, turning I/O problems into one clear line instead of a stack trace.</summary>
internal static class SpecFiles
{
    /// <summary>
    /// The largest spec read, in bytes (1 MiB). Real specs are a few kilobytes; the limit keeps a
    /// wrong argument (a device, a data file) from exhausting memory before anything is said.
    /// </summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>Reads and compiles <paramref name="path"/>; null (with a message on <paramref name="error"/>) if it cannot be read.</summary>
    public static SpecResult? Load(string path, TextWriter error) => LoadWithText(path, error).Result;

    /// <summary>As <see cref="Load"/>, and the text that was compiled (empty when it could not be read).</summary>
    public static (SpecResult? Result, string Text) LoadWithText(string path, TextWriter error)
    {
        var text = Read(path, out var problem);
        if (text is null)
        {
            error.WriteLine($"mtrl: error: {problem}");
            return (null, "");
        }
        return (SpecCompiler.Compile(path, text), text);
    }

    /// <summary>
    /// The text of the spec at <paramref name="path"/>, or null and a one-line problem naming the
    /// file: missing, a directory, not a regular file (a device or a pipe, which could block or
    /// never end), larger than <see cref="MaxBytes"/>, or unreadable. The size is found by
    /// reading at most one byte past the limit, never by trusting a reported length.
    /// </summary>
    public static string? Read(string path, out string problem)
    {
        problem = "";
        try
        {
            if (path.Length == 0 || path.IndexOf('\0') >= 0)
            {
                problem = $"'{path}' is not a file name; pass .mtrl files";
                return null;
            }
            if (Directory.Exists(path))
            {
                problem = $"'{path}' is a directory; pass .mtrl files";
                return null;
            }
            if (!File.Exists(path))
            {
                problem = $"file '{path}' not found";
                return null;
            }
            if (FileType.Of(path) is { } type && type != FileType.Regular)
            {
                problem = $"'{path}' is {FileType.Describe(type)}, not a regular file; pass .mtrl files";
                return null;
            }
            var bytes = ReadBounded(path, out var tooLarge);
            if (tooLarge)
            {
                problem = $"'{path}' is larger than the spec size limit of {MaxBytes:N0} bytes (1 MiB)";
                return null;
            }
            // UTF-8 with or without a byte-order mark; invalid bytes become U+FFFD and are reported by the parser.
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetString(bytes);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            problem = $"cannot read '{path}': {exception.Message}";
            return null;
        }
    }

    /// <summary>Up to <see cref="MaxBytes"/> bytes of the file; <paramref name="tooLarge"/> when there are more.</summary>
    private static byte[] ReadBounded(string path, out bool tooLarge)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        var buffer = ArrayPool<byte>.Shared.Rent(MaxBytes + 1);
        try
        {
            var length = 0;
            while (length <= MaxBytes)
            {
                var read = stream.Read(buffer, length, MaxBytes + 1 - length);
                if (read == 0) break;
                length += read;
            }
            tooLarge = length > MaxBytes;
            return tooLarge ? Array.Empty<byte>() : buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>
/// The type of a file system entry without opening it (opening a FIFO blocks until a writer
/// comes). .NET exposes no file type, so on Linux this asks <c>statx(2)</c>, whose layout is the
/// same on every architecture; elsewhere the type is unknown and the bounded read still holds.
/// </summary>
internal static class FileType
{
    public const int Regular = 0x8000;
    private const int Mask = 0xF000;
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int StatxSize = 256;
    private const int ModeOffset = 28;

    /// <summary>The <c>S_IFMT</c> bits of <paramref name="path"/> (following links), or null when they cannot be learned here.</summary>
    public static int? Of(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        var buffer = new byte[StatxSize];
        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return null;
        }
        catch (Exception exception) when (exception is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
        return BitConverter.ToUInt16(buffer, ModeOffset) & Mask;
    }

    /// <summary>The kind of a non-regular file, in words.</summary>
    public static string Describe(int type) => type switch
    {
        0x1000 => "a named pipe",
        0x2000 => "a character device",
        0x6000 => "a block device",
        0xC000 => "a socket",
        0x4000 => "a directory",
        _ => "a special file",
    };

    [DllImport("libc", EntryPoint = "statx", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, [Out] byte[] buffer);
}
