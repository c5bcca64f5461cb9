using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace Mtrl.Cli.Tests;

/// <summary><c>mtrl bench</c>: a whole run timed phase by phase, as a table or as JSON, and its bad input.</summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class BenchCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("mtrl-bench-").FullName;

    public BenchCommandTests() => Environment.SetEnvironmentVariable("MTRL_CACHE_DIR", Path.Combine(Path.GetTempPath(), "mtrl-bench-tests-cache"));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private string Spec()
    {
        var spec = Path.Combine(_directory, "flip.mtrl");
        File.WriteAllText(spec, """
            agent Flip {
              input bits: 6
              goal target: 6
              action: discrete(6)
              network q {
                h = mlp(concat(bits, target), widths: [32])
                out q = q_values(h)
              }
              train dqn { batch: 32  warmup: 100  train_every: 4  target_update_every: 200  seed: 5 }
              replay { capacity: 5_000  her: future(k: 4) }
            }
            """);
        return spec;
    }

    [Fact]
    public void JsonReportsTheMeasuredTransitionsUpdatesAndEveryPhaseThatRan()
    {
        var (code, output, error) = Run("bench", Spec(), "--env", "bitflip", "--envs", "4", "--steps", "800", "--warmup", "200", "--json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(800, root.GetProperty("transitions").GetInt64());
        Assert.Equal(200, root.GetProperty("updates").GetInt64());
        Assert.True(root.GetProperty("transitions_per_second").GetDouble() > 0);
        Assert.True(root.GetProperty("update_milliseconds").GetDouble() > 0);
        var phases = root.GetProperty("phases").EnumerateArray().ToDictionary(p => p.GetProperty("phase").GetString()!, p => p);
        foreach (var phase in new[] { "act", "env step", "store", "sample", "forward online(s′)", "forward target(s′)", "forward online(s)", "targets and loss", "backward", "optimizer", "target update", "other" })
        {
            Assert.True(phases.ContainsKey(phase), phase);
        }
        Assert.Equal(200, phases["act"].GetProperty("calls").GetInt64());
        Assert.Equal(200, phases["backward"].GetProperty("calls").GetInt64());
        Assert.Equal(4, phases["target update"].GetProperty("calls").GetInt64());
        var shares = phases.Values.Sum(p => p.GetProperty("share").GetDouble());
        Assert.InRange(shares, 0.99, 1.01);
    }

    [Fact]
    public void TheTableNamesTheThroughputTheCpuAndEachPhase()
    {
        var (code, output, error) = Run("bench", Spec(), "--env", "bitflip", "--envs", "4", "--steps", "400", "--warmup", "200");
        Assert.True(code == 0, error);
        Assert.Contains("transitions/s", output);
        Assert.Contains("ms in each update", output);
        Assert.Contains("cpu ", output);
        Assert.Contains("forward target(s′)", output);
    }

    [Fact]
    public void Bf16PrecisionIsMeasuredAndReported()
    {
        var (code, output, error) = Run("bench", Spec(), "--env", "bitflip", "--envs", "4", "--steps", "400", "--warmup", "200", "--precision", "bf16", "--json");
        if (Mtrl.Kernels.Gemm.Bfloat16Unavailable is { } reason)
        {
            Assert.Equal(2, code);
            Assert.Contains(reason, error);
            return;
        }

        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("bf16", json.RootElement.GetProperty("precision").GetString());
        Assert.Equal(100, json.RootElement.GetProperty("updates").GetInt64());
    }

    [Theory]
    [InlineData("--precision", "int8", "--precision must be fp32 or bf16; found 'int8'")]
    [InlineData("--steps", "0", "--steps must be an integer in [1,")]
    [InlineData("--warmup", "-1", "--warmup must be an integer in [0,")]
    [InlineData("--envs", "0", "--envs must be in [1, 65536]")]
    public void BadNumbersNameTheOptionAndItsRange(string option, string value, string message)
    {
        var (code, _, error) = Run("bench", Spec(), "--env", "bitflip", option, value);
        Assert.NotEqual(0, code);
        Assert.Contains(message, error);
    }
}
