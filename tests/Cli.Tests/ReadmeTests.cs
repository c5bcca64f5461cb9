using System;
using System.IO;
using System.Text.RegularExpressions;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary>The README's quick start must stay true: its spec checks clean and its typo prints what it shows.</summary>
public sealed class ReadmeTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-readme-" + Guid.NewGuid().ToString("N"));

    public ReadmeTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void QuickStartSpecChecksCleanAndItsTypoPrintsTheDocumentedLine()
    {
        var readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md"));
        var spec = Regex.Match(readme, "Write `bitflip.mtrl`:\\s*```\\s*\\n(?<spec>.*?)```", RegexOptions.Singleline).Groups["spec"].Value;
        Assert.Contains("agent BitFlipHer", spec);
        var expected = Regex.Match(readme, @"(bitflip\.mtrl\(\d+,\d+\): error MTRL\d{4}: [^\n]*)").Groups[1].Value.TrimEnd('\r');
        Assert.NotEqual("", expected);

        var previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(_directory);
        try
        {
            File.WriteAllText("bitflip.mtrl", spec);
            var output = new StringWriter();
            Assert.Equal(0, CliApp.Run(new[] { "check", "bitflip.mtrl" }, output, new StringWriter()));

            File.WriteAllText("bitflip.mtrl", spec.Replace("concat(bits, target)", "concat(bits, targt)", StringComparison.Ordinal));
            output = new StringWriter();
            Assert.Equal(1, CliApp.Run(new[] { "check", "bitflip.mtrl" }, output, new StringWriter()));
            Assert.StartsWith(expected + Environment.NewLine, output.ToString());
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }
}
