using System;
using System.IO;

namespace Mtrl.Runtime.Checkpoints;

/// <summary>
/// Atomic replacement of a file (checkpoints, replay buffers): the content goes to a temporary
/// file beside the target, named <c>&lt;target name&gt;.tmp-&lt;32 hex digits&gt;</c>, which is flushed to
/// disk and renamed over the target; a crash therefore leaves the old file or the new one, never
/// half of one. The temporary file is deleted when writing fails for any reason. A save killed
/// outright (power loss, SIGKILL) cannot clean up, so every save first removes the temporaries
/// that earlier saves of the same target left behind.
/// </summary>
public static class AtomicFile
{
    private const string Marker = ".tmp-";
    private const int SuffixDigits = 32;

    /// <summary>
    /// A temporary file younger than this may belong to a save that has just closed it and is about
    /// to rename it, so it is left alone (a killed save's file is removed by a later save).
    /// </summary>
    internal static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(1);

    /// <summary>Writes <paramref name="path"/> atomically through <paramref name="write"/>.</summary>
    /// <param name="path">Target file; its directory must exist.</param>
    /// <param name="write">Writes the whole content; the stream is flushed to disk afterwards.</param>
    public static void Write(string path, Action<FileStream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        RemoveStaleTemporaries(full);
        string temporary = full + Marker + Guid.NewGuid().ToString("N");
        try
        {
            // FileShare.None also takes an exclusive advisory lock on Unix, which is how another
            // save recognises a temporary that is still being written.
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>True when <paramref name="fileName"/> is one of our temporaries for the target named <paramref name="targetName"/>.</summary>
    internal static bool IsTemporaryOf(string fileName, string targetName)
    {
        if (fileName.Length != targetName.Length + Marker.Length + SuffixDigits
            || !fileName.StartsWith(targetName, StringComparison.Ordinal)
            || string.CompareOrdinal(fileName, targetName.Length, Marker, 0, Marker.Length) != 0)
        {
            return false;
        }

        for (int i = fileName.Length - SuffixDigits; i < fileName.Length; i++)
        {
            if (!char.IsAsciiHexDigitLower(fileName[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Deletes temporaries of earlier saves of <paramref name="full"/> that no live save holds: only
    /// names matching our pattern for this target, not modified within <see cref="StaleAfter"/>, and
    /// not locked by a writer. Best effort: a temporary that cannot be inspected or deleted is left.
    /// </summary>
    private static void RemoveStaleTemporaries(string full)
    {
        string? directory = Path.GetDirectoryName(full);
        string targetName = Path.GetFileName(full);
        if (directory is null || targetName.Length == 0 || !Directory.Exists(directory))
        {
            return;
        }

        string[] candidates;
        try
        {
            // The pattern only narrows the listing; IsTemporaryOf decides.
            candidates = Directory.GetFiles(directory, targetName + Marker + "*");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return;
        }

        DateTime cutoff = DateTime.UtcNow - StaleAfter;
        foreach (string candidate in candidates)
        {
            if (!IsTemporaryOf(Path.GetFileName(candidate), targetName))
            {
                continue;
            }

            try
            {
                if (File.GetLastWriteTimeUtc(candidate) > cutoff)
                {
                    continue;
                }

                // Fails while a writer holds the file open with FileShare.None.
                using (new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                {
                }

                File.Delete(candidate);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The original failure matters more than a leftover, which the next save removes.
        }
    }
}
