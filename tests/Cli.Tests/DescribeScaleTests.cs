using System;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary>
/// <c>mtrl describe</c> scales linearly: it looks each node's parameters up once per network
/// instead of scanning all of them per node (which made a 20,000-binding chain take minutes).
/// </summary>
public sealed class DescribeScaleTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-describe-" + Guid.NewGuid().ToString("N"));

    public DescribeScaleTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void ALongChainIsDescribedWithExactCounts()
    {
        const int bindings = 20_000;
        var text = new StringBuilder("agent Long {\n  tasks: 2\n  input obs: 3\n  action: discrete(2)\n  block shared = linear(width: 4)\n  network q {\n");
        text.Append("    h0 = shared(obs)\n");
        for (var i = 1; i < bindings; i++) text.Append($"    h{i} = linear(h{i - 1}, width: 4)\n");
        text.Append($"    out q = q_values(h{bindings - 1}, per_task: true)\n  }}\n  train dqn {{ }}\n}}\n");
        var path = Path.Combine(_directory, "long.mtrl");
        File.WriteAllText(path, text.ToString());

        var output = new StringWriter();
        var error = new StringWriter();
        var code = CliApp.Run(new[] { "describe", path }, output, error);

        Assert.Equal(0, code);
        Assert.Equal("", error.ToString());
        var lines = output.ToString().Split('\n');
        const long block = 3 * 4 + 4;
        const long chain = (bindings - 1) * (4L * 4 + 4);
        const long heads = 2 * (4 * 2 + 2);
        Assert.Contains(lines, l => l.TrimStart().StartsWith("shared ", StringComparison.Ordinal) && l.Contains(" 16 ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.TrimStart().StartsWith($"h{bindings - 1} ", StringComparison.Ordinal) && l.TrimEnd().EndsWith(" 20", StringComparison.Ordinal));
        var total = (block + chain + heads).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains($"  parameters: {total} ({(block + chain).ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} shared, 20 task-specific, 10 per task head)", lines.Select(l => l.TrimEnd('\r')));
        Assert.Contains(lines, l => l.StartsWith($"agent parameters: {total} ", StringComparison.Ordinal));
    }
}
