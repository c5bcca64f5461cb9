using System;
using System.IO;
using System.Linq;
using Xunit;

namespace Mtrl.Cli.Tests;

public sealed class CliTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mtrl-cli-" + Guid.NewGuid().ToString("N"));

    public CliTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Specs => Path.Combine(AppContext.BaseDirectory, "specs");

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "specs"), "*.mtrl")) data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void CheckPassesEveryExample(string name)
    {
        var (code, output, error) = Run("check", Path.Combine(Specs, name));
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.EndsWith("1 file checked: 0 errors, 0 warnings" + Environment.NewLine, output);
    }

    [Fact]
    public void CheckPointsAtTheExactLineAndColumnOfABrokenCopy()
    {
        var original = File.ReadAllLines(Path.Combine(Specs, "her_bitflip.mtrl"));
        var line = Array.FindIndex(original, l => l.Contains("h = mlp(x, widths: [256, 256]", StringComparison.Ordinal));
        Assert.True(line >= 0);
        var broken = (string[])original.Clone();
        broken[line] = broken[line].Replace("mlp(x,", "mlp(y,", StringComparison.Ordinal);
        var path = Path.Combine(_directory, "broken.mtrl");
        File.WriteAllLines(path, broken);

        var (code, output, _) = Run("check", path);
        var column = broken[line].IndexOf("y,", StringComparison.Ordinal) + 1;
        Assert.Equal(1, code);
        Assert.Contains($"{path}({line + 1},{column}): error MTRL0101: unknown name 'y' in network 'q'", output);
    }

    [Fact]
    public void CheckReportsEveryFileAndFailsIfAnyHasErrors()
    {
        var bad = Path.Combine(_directory, "bad.mtrl");
        File.WriteAllText(bad, "agent A {\n  tasks: 0\n}\n");
        var (code, output, _) = Run("check", Path.Combine(Specs, "moe_sac.mtrl"), bad);
        Assert.Equal(1, code);
        Assert.Contains($"{bad}(2,10): error MTRL0300:", output);
        Assert.Contains("2 files checked:", output);
    }

    [Fact]
    public void WarningsAloneDoNotFailCheck()
    {
        var path = Path.Combine(_directory, "warn.mtrl");
        File.WriteAllText(path, "agent A {\n  input obs: 4\n  input unused: 2\n  action: discrete(2)\n  network q {\n    out q = q_values(obs)\n  }\n  train dqn { }\n}\n");
        var (code, output, _) = Run("check", path);
        Assert.Equal(0, code);
        Assert.Contains($"{path}(3,9): warning MTRL0110:", output);
    }

    [Fact]
    public void MissingFileIsAClearErrorNotAStackTrace()
    {
        var (code, output, error) = Run("check", Path.Combine(_directory, "nope.mtrl"));
        Assert.Equal(1, code);
        Assert.Contains("not found", error);
        Assert.DoesNotContain("   at ", error + output);
    }

    [Fact]
    public void DirectoryIsAClearError()
    {
        var (code, _, error) = Run("describe", _directory);
        Assert.Equal(1, code);
        Assert.Contains("is a directory", error);
    }

    [Fact]
    public void CheckWithoutFilesIsAUsageError()
    {
        var (code, _, error) = Run("check");
        Assert.NotEqual(0, code);
        Assert.NotEqual("", error);
    }

    [Fact]
    public void DescribeShowsWidthsParameterSplitAndDefaults()
    {
        var (code, output, error) = Run("describe", Path.Combine(Specs, "mt_mh_sac.mtrl"));
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("agent MultiHeadSac", output);
        Assert.Contains("network actor (policy)", output);
        Assert.Contains("network critic (critic)", output);
        // encoder 6 -> 256 -> 256 with layer norm, shared by both networks: 6·256 + 256 + 512 + 256·256 + 256 + 512.
        Assert.Matches(@"encoder\s+mlp \[256, 256\] relu, layer_norm\s+6\s+256\s+68,608\s+actor, critic", output);
        // actor: encoder + 256·256 + 256, and per task 256·4 + 4 (mean and log-std of 2 actions).
        Assert.Contains("parameters: 144,680 (134,400 shared, 10,280 task-specific, 1,028 per task head)", output);
        Assert.Contains("agent parameters: 279,346 (266,496 shared, 12,850 task-specific)", output);
        // Defaults the spec left out are written back in spec syntax.
        Assert.Contains("    warmup: 1000", output);
        Assert.Contains("    target_entropy: auto", output);
        Assert.Contains("    her: none", output);
    }

    [Fact]
    public void DescribeShowsEachSoftModularStyleWithItsParameterCount()
    {
        // Example: style mtrl, 4 layers of 4 modules of 128, routing 256 on 256-wide inputs.
        var (code, output, _) = Run("describe", Path.Combine(Specs, "soft_modular_sac.mtrl"));
        Assert.Equal(0, code);
        const long r = 256, n2 = 16;
        long Affine(long i, long o) => i * o + o;
        var mtrl = Affine(256, r) + 3 * Affine(r, n2) + 2 * Affine(n2, r) + Affine(n2, r) + Affine(r, 4) + 4 * Affine(256, 128) + 12 * Affine(128, 128);
        Assert.Matches($@"routed\s+soft_modular 4x4 modules of 128, routing 256, gated, style mtrl\s+base:256, emb:256\s+128\s+{mtrl.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)}", output);

        // The same node in Soft-Module's style: up1, up2 and up_gate read 1, 2 and 3 routing matrices.
        var path = Path.Combine(_directory, "soft_module.mtrl");
        File.WriteAllText(path, File.ReadAllText(Path.Combine(Specs, "soft_modular_sac.mtrl")).Replace("style: mtrl", "style: soft_module"));
        (code, output, _) = Run("describe", path);
        Assert.Equal(0, code);
        var softModule = mtrl - 2 * Affine(n2, r) - Affine(n2, r) + Affine(n2, r) + Affine(2 * n2, r) + Affine(3 * n2, r);
        Assert.Matches($@"routed\s+soft_modular 4x4 modules of 128, routing 256, gated, style soft_module\s+base:256, emb:256\s+128\s+{softModule.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)}", output);
        (code, output, _) = Run("describe", "--slices", path);
        Assert.Equal(0, code);
        Assert.Matches(@"actor\.routed\.route\.up2\.weight\s+32x256\s", output);
        Assert.Matches(@"actor\.routed\.route\.up_gate\.weight\s+48x256\s", output);
    }

    [Fact]
    public void DescribeOutputsTrainingConfigurationThatParsesBack()
    {
        var (_, output, _) = Run("describe", Path.Combine(Specs, "pathnet_dqn.mtrl"));
        var start = output.IndexOf("  train dqn {", StringComparison.Ordinal);
        Assert.True(start > 0);
        var config = output.Substring(start);
        var agent = "agent Copy {\n  tasks: 2\n  input state: 4\n  action: discrete(2)\n  network q {\n    out q = q_values(pathnet(state, layers: 3, modules: 10, active: 4, width: 20), per_task: true)\n  }\n" + config + "}\n";
        var result = Mtrl.Dsl.SpecCompiler.Compile("copy.mtrl", agent);
        Assert.True(result.Diagnostics.Count == 0, string.Join("\n", result.Diagnostics));
        var original = Mtrl.Dsl.SpecCompiler.Compile("o.mtrl", File.ReadAllText(Path.Combine(Specs, "pathnet_dqn.mtrl"))).Model.Agents[0];
        Assert.Equal(original.Training with { Span = default }, result.Model.Agents[0].Training with { Span = default });
        Assert.Equal(original.Evolution! with { Span = default }, result.Model.Agents[0].Evolution! with { Span = default });
    }

    [Fact]
    public void DescribeRefusesSpecsWithErrors()
    {
        var path = Path.Combine(_directory, "bad.mtrl");
        File.WriteAllText(path, "agent A {\n  tasks 2\n}\n");
        var (code, _, error) = Run("describe", path);
        Assert.Equal(1, code);
        Assert.Contains("error MTRL0001", error);
    }

    [Fact]
    public void EveryExampleDescribes()
    {
        foreach (var file in Directory.GetFiles(Specs, "*.mtrl"))
        {
            var (code, output, _) = Run("describe", file);
            Assert.Equal(0, code);
            Assert.Contains("training configuration (defaults filled in)", output);
            Assert.DoesNotContain(output.Split('\n'), l => l.Length > 0 && l.TrimEnd() != l.TrimEnd('\r'));
        }
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void DescribeEmitPrintsExactlyWhatTheBuildGenerates(string name)
    {
        var (code, output, error) = Run("describe", "--emit", "--namespace", "Consumer.Agents", Path.Combine(Specs, name));
        var snapshot = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "snapshots", Path.ChangeExtension(name, ".g.cs")));
        Assert.Equal(0, code);
        Assert.DoesNotContain("error", error, StringComparison.Ordinal);
        Assert.Equal(snapshot.Replace("\r\n", "\n"), output.Replace("\r\n", "\n"));
    }

    [Fact]
    public void DescribeEmitWritesFilesIntoADirectory()
    {
        var target = Path.Combine(_directory, "generated");
        var (code, output, _) = Run("describe", "--emit", "-o", target, Path.Combine(Specs, "moe_sac.mtrl"));
        var file = Assert.Single(Directory.GetFiles(target));
        Assert.Equal(0, code);
        Assert.Contains($"wrote {file}", output);
        Assert.Contains("namespace Mtrl.Agents", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("--output", "out", "--output only applies with --emit")]
    [InlineData("--namespace", "1Bad.Name", "--namespace must be a dotted C# identifier")]
    [InlineData("--namespace", "My.class", "--namespace must be a dotted C# identifier")]
    public void DescribeRejectsBadOptionsByName(string option, string value, string message)
    {
        var args = option == "--output" ? new[] { "describe", option, value, Path.Combine(Specs, "moe_sac.mtrl") } : new[] { "describe", "--emit", option, value, Path.Combine(Specs, "moe_sac.mtrl") };
        var (code, output, error) = Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains(message, error);
    }

    [Fact]
    public void DescribeEmitOfABrokenSpecPrintsNoCode()
    {
        var bad = Path.Combine(_directory, "bad.mtrl");
        File.WriteAllText(bad, "agent A {\n  tasks: 0\n}\n");
        var (code, output, error) = Run("describe", "--emit", bad);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains($"{bad}(2,10): error MTRL0300:", error);
    }

    [Fact]
    public void DescribeEmitSendsWarningsToStandardErrorOnce()
    {
        var path = Path.Combine(_directory, "warn.mtrl");
        File.WriteAllText(path, "agent A {\n  input obs: 4\n  input unused: 2\n  action: discrete(2)\n  network q {\n    out q = q_values(obs)\n  }\n  train dqn { }\n}\n");
        var (code, output, error) = Run("describe", "--emit", path);
        Assert.Equal(0, code);
        Assert.StartsWith("// <auto-generated/>", output);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => line.Contains("warning MTRL0110", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("", "mtrl: error: --output must name a directory; found an empty path")]
    [InlineData("{dir}/spec.mtrl", "mtrl: error: --output must name a directory, but '{dir}/spec.mtrl' is a file")]
    [InlineData("{dir}/spec.mtrl/out", "mtrl: error: --output '{dir}/spec.mtrl/out': '{dir}/spec.mtrl' is a file, not a directory")]
    public void DescribeEmitRefusesABadOutputDirectoryNamingTheOption(string directory, string message)
    {
        var spec = Path.Combine(_directory, "spec.mtrl");
        File.Copy(Path.Combine(Specs, "her_bitflip.mtrl"), spec);
        var (code, output, error) = Run("describe", "--emit", spec, "--output", directory.Replace("{dir}", _directory, StringComparison.Ordinal));
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal(message.Replace("{dir}", _directory, StringComparison.Ordinal) + Environment.NewLine, error);
    }

    [Fact]
    public void DescribeEmitCreatesAMissingOutputDirectory()
    {
        var target = Path.Combine(_directory, "a", "b");
        var (code, output, error) = Run("describe", "--emit", Path.Combine(Specs, "her_bitflip.mtrl"), "--output", target);
        Assert.True(code == 0, error);
        Assert.Contains("wrote ", output);
        Assert.NotEmpty(Directory.GetFiles(target, "*.cs"));
    }

    [Fact]
    public void CheckReadsASpecOfExactlyTheLimitAndRefusesOneByteMore()
    {
        var path = Path.Combine(_directory, "limit.mtrl");
        var agent = File.ReadAllText(Path.Combine(Specs, "her_bitflip.mtrl"));
        var padding = SpecFiles.MaxBytes - System.Text.Encoding.UTF8.GetByteCount(agent) - 3;
        File.WriteAllText(path, agent + "\n# " + new string('x', padding - 1) + "\n");
        Assert.Equal(SpecFiles.MaxBytes, new FileInfo(path).Length);
        var (code, output, error) = Run("check", path);
        Assert.True(code == 0, error + output);

        File.AppendAllText(path, "#");
        (code, output, error) = Run("check", path);
        Assert.Equal(1, code);
        Assert.Equal($"mtrl: error: '{path}' is larger than the spec size limit of 1,048,576 bytes (1 MiB)" + Environment.NewLine, error);
        Assert.EndsWith("1 file checked: 1 error, 0 warnings" + Environment.NewLine, output);
    }

    [Fact]
    public void CheckRefusesDevicesWithoutReadingThem()
    {
        if (!OperatingSystem.IsLinux()) return;
        var (code, _, error) = Run("check", "/dev/zero", "/dev/urandom");
        Assert.Equal(1, code);
        Assert.Contains("mtrl: error: '/dev/zero' is a character device, not a regular file; pass .mtrl files", error);
        Assert.Contains("mtrl: error: '/dev/urandom' is a character device, not a regular file; pass .mtrl files", error);
    }

    /// <summary>Standard output whose reader went away (<c>mtrl check … | head -1</c>).</summary>
    private sealed class BrokenPipe : StringWriter
    {
        public override void Write(char value) => throw new IOException("Broken pipe");
        public override void Write(string? value) => throw new IOException("Broken pipe");
        public override void WriteLine(string? value) => throw new IOException("Broken pipe");
    }

    [Fact]
    public void AnOutputThatFailsIsOneLineWithoutAStackTrace()
    {
        var error = new StringWriter();
        var code = CliApp.Run(["check", Path.Combine(Specs, "moe_sac.mtrl")], new BrokenPipe(), error);
        Assert.Equal(1, code);
        Assert.Equal("mtrl: error: input/output failed: Broken pipe" + Environment.NewLine, error.ToString());
    }

    [Fact]
    public void AnExceptionNoCommandExpectedIsOneLineWithoutAStackTrace()
    {
        var closed = new StringWriter();
        closed.Dispose();
        var error = new StringWriter();
        var code = CliApp.Run(["check", Path.Combine(Specs, "moe_sac.mtrl")], closed, error);
        Assert.Equal(CliApp.InternalErrorCode, code);
        var text = error.ToString();
        Assert.StartsWith("mtrl: internal error: ObjectDisposedException: ", text, StringComparison.Ordinal);
        Assert.EndsWith(" (please report this with the command and the spec)" + Environment.NewLine, text, StringComparison.Ordinal);
        Assert.Single(text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void AnUnexpectedExceptionBecomesOneLine()
    {
        var line = CliApp.Unexpected(new System.Reflection.TargetInvocationException(new ArgumentOutOfRangeException("bits", 65, "must be in [1, 64]")));
        Assert.Equal("mtrl: internal error: ArgumentOutOfRangeException: must be in [1, 64] (Parameter 'bits') Actual value was 65. (please report this with the command and the spec)", line);
        Assert.StartsWith("mtrl: error: out of memory", CliApp.Unexpected(new OutOfMemoryException()), StringComparison.Ordinal);
    }

    [Theory]
    // The critic's weights decide for SAC: the actor borrows the critic's GradNorm weights.
    [InlineData("q_values(mlp(concat(obs, onehot(task), action), widths: [16]))", "gaussian(mlp(obs, widths: [16]), per_task: true)", true)]
    [InlineData("q_values(concat(obs, action), per_task: true)", "gaussian(mlp(obs, widths: [16]))", false)]
    public void GradNormNeedsASharedWeightInTheSacCritic(string critic, string actor, bool passes)
    {
        var path = Path.Combine(_directory, "sac.mtrl");
        File.WriteAllText(path, $"agent S {{\n  tasks: 2\n  input obs: 6\n  action: continuous(2)\n  network actor {{\n    out pi = {actor}\n  }}\n  network critic {{\n    out q = {critic}\n  }}\n  train sac {{\n    gradients: gradnorm(alpha: 1)\n  }}\n}}\n");
        var (code, output, _) = Run("check", path);
        Assert.Equal(passes ? 0 : 1, code);
        if (!passes) Assert.Contains($"{path}(12,16): error MTRL0411: gradnorm balances the tasks' gradient norms on a shared weight matrix, but the critic 'critic' has none", output);
    }
}
