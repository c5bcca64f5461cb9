using System.IO;

namespace Mtrl.Runs.Tests;

/// <summary>A fresh directory under the system's temporary directory.</summary>
internal static class TempDirectory
{
    public static string Create()
    {
        var path = Path.Combine(Path.GetTempPath(), "mtrl-runs-tests", Path.GetRandomFileName());
        Directory.CreateDirectory(path);
        return path;
    }
}
