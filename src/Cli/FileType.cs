using System;
using System.Runtime.InteropServices;

namespace Mtrl.Cli;

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
