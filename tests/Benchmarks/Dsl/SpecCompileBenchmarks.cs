using System;
using System.IO;
using System.Linq;
using System.Text;
using BenchmarkDotNet.Attributes;
using Mtrl.Dsl;

namespace Mtrl.Benchmarks.Dsl;

/// <summary>
/// Parse + semantic analysis of each example spec, and of a 2,000+ line file made of the
/// examples' agents repeated under fresh names (targets: &lt; 5 ms per example, &lt; 100 ms for
/// the large file).
/// </summary>
[MemoryDiagnoser]
public class SpecCompileBenchmarks
{
    private string _text = "";

    [Params("her_bitflip", "mt_mh_sac", "task_embedding_sac", "moe_sac", "soft_modular_sac", "progressive_dqn", "pathnet_dqn", "goal_td3_pcgrad", "large_2000_lines")]
    public string Spec { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "specs");
        _text = Spec == "large_2000_lines" ? LargeSpec(directory) : File.ReadAllText(Path.Combine(directory, Spec + ".mtrl"));
        if (SpecCompiler.Compile("bench.mtrl", _text).HasErrors) throw new InvalidOperationException($"{Spec} has errors");
    }

    /// <summary>All example agents, renamed and repeated until the file has at least 2,000 lines.</summary>
    public static string LargeSpec(string directory)
    {
        var examples = Directory.GetFiles(directory, "*.mtrl").OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllText).ToArray();
        var builder = new StringBuilder();
        var copy = 0;
        while (builder.ToString().Count(c => c == '\n') < 2000)
        {
            foreach (var example in examples)
            {
                copy++;
                builder.AppendLine(System.Text.RegularExpressions.Regex.Replace(example, @"agent (\w+)", m => $"agent {m.Groups[1].Value}{copy}"));
            }
        }
        return builder.ToString();
    }

    [Benchmark]
    public SpecResult Compile() => SpecCompiler.Compile("bench.mtrl", _text);
}
