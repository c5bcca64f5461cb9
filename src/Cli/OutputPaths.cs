using System;
using System.IO;
using System.Security;

namespace Mtrl.Cli;

/// <summary>
/// Checks of the paths the CLI will write, made before any work starts: a bad <c>--save</c>
/// found after an hour of training costs the hour. Each problem is one line naming the option.
/// </summary>
internal static class OutputPaths
{
    /// <summary>
    /// Null when a file can be written at <paramref name="path"/> (given as <paramref name="option"/>):
    /// a non-empty, valid path that is not a directory, whose directory exists and takes new files
    /// (files are written to a temporary beside the target, then renamed over it). Else the problem.
    /// </summary>
    public static string? CheckFile(string option, string path)
    {
        if (Resolve(option, path, "a file", out var full) is { } invalid) return invalid;
        if (EndsInSeparator(path) || Directory.Exists(full)) return $"{option} must name a file, but '{path}' is a directory";
        var directory = Path.GetDirectoryName(full);
        if (directory is null) return $"{option} must name a file, but '{path}' is a root directory";
        if (File.Exists(directory)) return $"{option} '{path}': '{directory}' is a file, not a directory";
        if (!Directory.Exists(directory)) return $"{option} '{path}': the directory '{directory}' does not exist";
        return Writable(option, path, directory);
    }

    /// <summary>
    /// Null when files can be written into the directory <paramref name="path"/> (given as
    /// <paramref name="option"/>), creating it and missing parents: a non-empty, valid path that
    /// is not a file, whose nearest existing ancestor is a directory that takes new entries.
    /// </summary>
    public static string? CheckDirectory(string option, string path)
    {
        if (Resolve(option, path, "a directory", out var full) is { } invalid) return invalid;
        if (File.Exists(full)) return $"{option} must name a directory, but '{path}' is a file";
        var existing = full;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing)) return $"{option} '{path}': '{existing}' is a file, not a directory";
            var parent = Path.GetDirectoryName(existing);
            if (parent is null) return $"{option} '{path}': no part of the path exists";
            existing = parent;
        }
        return Writable(option, path, existing);
    }

    private static string? Resolve(string option, string path, string what, out string full)
    {
        full = "";
        if (string.IsNullOrWhiteSpace(path)) return $"{option} must name {what}; found an empty path";
        if (path.IndexOf('\0') >= 0) return $"{option} must name {what}; found a path containing a NUL character";
        try
        {
            full = Path.GetFullPath(path);
            return null;
        }
        catch (Exception exception) when (exception is ArgumentException or NotSupportedException or PathTooLongException or SecurityException)
        {
            return $"{option} '{path}' is not a valid path: {exception.Message}";
        }
    }

    private static bool EndsInSeparator(string path) =>
        path.EndsWith(Path.DirectorySeparatorChar) || path.EndsWith(Path.AltDirectorySeparatorChar);

    /// <summary>
    /// Creates and removes a uniquely named file in <paramref name="directory"/>: the one test of
    /// "can I write here" that permissions, ACLs, read-only mounts and full quotas all answer.
    /// </summary>
    private static string? Writable(string option, string path, string directory)
    {
        var probe = Path.Combine(directory, ".mtrl-write-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
            return null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or SecurityException)
        {
            return $"{option} '{path}': cannot write into '{directory}': {exception.Message}";
        }
    }
}
