using System;
using System.IO;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Diagnostics;
using Mtrl.Dsl.Model;
using Xunit;

namespace Mtrl.Dsl.Tests;

/// <summary>
/// One spec per diagnostic code. "@@" marks where the diagnostic must start; it is removed before
/// compiling and its line/column computed, so the cases read like the specs users write.
/// </summary>
public class DiagnosticTests
{
    private const string Q = "  network q {\n    out q = q_values(mlp(obs, widths: [16]))\n  }";

    private static string Network(string bindings) => $"  network q {{\n{bindings}\n  }}";

    public static readonly (string Code, string Spec)[] Cases =
    {
        ("MTRL0001", SpecAssert.Agent(Network("    out q = q_values(mlp(obs, widths: [16 @@16]))"))),
        ("MTRL0002", SpecAssert.Agent(Network("    out q = q_values(mlp(obs, widths: [@@1__6]))"))),
        ("MTRL0004", "@@"),
        ("MTRL0100", SpecAssert.Agent(Q + "\n  @@netwrk p { }")),
        ("MTRL0101", SpecAssert.Agent(Network("    out q = q_values(mlp(@@obsv, widths: [16]))"))),
        ("MTRL0102", SpecAssert.Agent(Network("    out q = q_values(@@mpl(obs, widths: [16]))"))),
        ("MTRL0103", SpecAssert.Agent(Network("    out q = q_values(mlp(obs, @@widht: [16]))"))),
        ("MTRL0104", SpecAssert.Agent("  input @@obs: 4\n" + Q)),
        ("MTRL0105", SpecAssert.Agent(Q, train: "train dqn { lr: 1e-3 @@lr: 1e-4 }")),
        ("MTRL0106", SpecAssert.Agent(Network("    @@a = mlp(b, widths: [4])\n    b = mlp(a, widths: [4])\n    out q = q_values(a)"))),
        ("MTRL0107", SpecAssert.Agent(Network("    out q = q_values(@@mlp(obs))"))),
        ("MTRL0108", SpecAssert.Agent(Q, train: "train dqn { batch: @@12.5 }")),
        ("MTRL0109", SpecAssert.Agent("  block enc = mlp(@@obs, widths: [4])\n" + Q)),
        ("MTRL0110", SpecAssert.Agent(Network("    @@h = mlp(obs, widths: [4])\n    out q = q_values(obs)"))),
        ("MTRL0111", SpecAssert.Agent(Network("    h_x = mlp(obs, widths: [4])\n    @@hX = mlp(h_x, widths: [4])\n    out q = q_values(hX)"))),
        ("MTRL0112", SpecAssert.Agent(Q, train: "train dqn { freeze: [@@enc] }")),
        ("MTRL0200", SpecAssert.Agent("  block enc = mlp(widths: [4])\n" +
            Network("    a = enc(obs)\n    b = enc(@@concat(obs, obs))\n    out q = q_values(concat(a, b))"))),
        ("MTRL0201", SpecAssert.Agent(Network("    out q = q_values(mlp(@@task, widths: [4]))"))),
        ("MTRL0300", SpecAssert.Agent(Q, train: "train dqn { gamma: @@1.5 }")),
        ("MTRL0301", SpecAssert.Agent(Network("    out q = q_values(@@pathnet(obs, layers: 1000, modules: 1000, active: 2, width: 1000000), per_task: true)"))),
        ("MTRL0400", SpecAssert.Agent(Q + "\n" + "  network p {\n    out pi = @@gaussian(mlp(obs, widths: [4]))\n  }")),
        ("MTRL0401", SpecAssert.Agent(Q + "\n  replay { her: @@future(k: 4) }")),
        ("MTRL0402", SpecAssert.Agent(Q, header: "tasks: 1\n  input obs: 8\n  action: discrete(3)", train: "train dqn { gradients: @@pcgrad }")),
        ("MTRL0403", SpecAssert.Agent(Q, train: "train dqn { schedule: @@sequential }")),
        ("MTRL0404", SpecAssert.Agent(Network("    out v = value(obs)"), train: "train @@dqn { }")),
        ("MTRL0405", SpecAssert.Agent(Q + "\n  @@network p {\n    h = mlp(obs, widths: [4])\n  }")),
        ("MTRL0406", SpecAssert.Agent(Q, train: "train dqn { @@alpha: 0.2 }")),
        ("MTRL0407", SpecAssert.Agent(Network("    out q = @@q_values(pathnet(obs, layers: 2, modules: 3, active: 2, width: 4))"))),
        ("MTRL0408", SpecAssert.Agent(Q + "\n  @@network q2 {\n    out q = q_values(obs)\n  }")),
        ("MTRL0411", SpecAssert.Agent(Network("    out q = q_values(obs, per_task: true)"), train: "train dqn { gradients: @@gradnorm }")),
        ("MTRL0412", SpecAssert.Agent("  block enc = mlp(widths: [8])\n" + Network("    out q = q_values(enc(obs))"), train: "train dqn { freeze: @@[q, enc] }")),
        ("MTRL0413", SpecAssert.Agent(Q, train: "train distill { method: @@actor_mimic(features: 0.01) }")),
    };

    public static TheoryData<string> Codes()
    {
        var data = new TheoryData<string>();
        foreach (var (code, _) in Cases) data.Add(code);
        return data;
    }

    private static (string Text, int Line, int Column) Strip(string marked)
    {
        var at = marked.IndexOf("@@", StringComparison.Ordinal);
        Assert.True(at >= 0, "case has no @@ marker");
        var before = marked.Substring(0, at);
        var line = before.Count(c => c == '\n') + 1;
        var column = at - (before.LastIndexOf('\n') + 1) + 1;
        return (marked.Remove(at, 2), line, column);
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public void CodeIsReportedAtTheMarkedPosition(string code)
    {
        var spec = Cases.Single(c => c.Code == code).Spec;
        var (text, line, column) = Strip(spec);
        var result = SpecAssert.Compile(text);
        var diagnostic = SpecAssert.Has(result, code, line, column);
        var descriptor = DiagnosticCatalog.All.Single(d => d.Code == code);
        Assert.Equal(descriptor.Severity, diagnostic.Severity);
        Assert.Equal("test.mtrl", diagnostic.Span.File);
        Assert.False(string.IsNullOrWhiteSpace(diagnostic.Message));
    }

    [Fact]
    public void EveryCatalogCodeIsCoveredByATest()
    {
        var covered = Cases.Select(c => c.Code)
            .Concat(new[] { "MTRL0003", "MTRL0005", "MTRL9000" }) // dedicated tests below
            .Concat(new[] { "MTRL0410" }) // reported by the generator: tests/Generators.Tests/TrainerFactoryTests.cs
            .ToHashSet();
        var missing = DiagnosticCatalog.All.Select(d => d.Code).Where(c => !covered.Contains(c)).ToList();
        Assert.True(missing.Count == 0, "codes without a test: " + string.Join(", ", missing));
    }

    [Fact]
    public void EveryCatalogCodeIsDocumented()
    {
        var docs = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "diagnostics.md"));
        foreach (var descriptor in DiagnosticCatalog.All)
        {
            Assert.Contains($"## {descriptor.Code}", docs);
        }
    }

    [Fact]
    public void CodesAreUniqueAndWellFormed()
    {
        var codes = DiagnosticCatalog.All.Select(d => d.Code).ToList();
        Assert.Equal(codes.Count, codes.Distinct().Count());
        Assert.All(codes, c => Assert.Matches("^MTRL[0-9]{4}$", c));
        Assert.Empty(codes.Intersect(DiagnosticCatalog.Retired));
    }

    [Fact]
    public void RetiredCodesStayDocumentedAsRetired()
    {
        var docs = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "diagnostics.md"));
        foreach (var code in DiagnosticCatalog.Retired) Assert.Contains($"## {code} — retired", docs);
    }

    [Fact]
    public void TooManyErrorsStopsReportingWithOneMessage()
    {
        var text = string.Concat(Enumerable.Repeat("x y z\n", 150));
        var result = SpecAssert.Compile(text);
        Assert.Equal(DiagnosticBag.MaxErrors, result.Diagnostics.Count(d => d.Code == "MTRL0001"));
        var last = Assert.Single(result.Diagnostics, d => d.Code == "MTRL0003");
        Assert.Equal(DiagnosticSeverity.Error, last.Severity);
    }

    [Fact]
    public void DeepBracketsAreReportedNotOverflowed()
    {
        var text = SpecAssert.Agent(Network("    out q = q_values(mlp(obs, widths: " + new string('[', 5000) + new string(']', 5000) + "))"));
        var result = SpecAssert.Compile(text);
        var deep = Assert.Single(result.Diagnostics, d => d.Code == "MTRL0005");
        Assert.Equal(6, deep.Span.Line);
    }

    [Fact]
    public void DeepSectionsAreReportedNotOverflowed()
    {
        var text = string.Concat(Enumerable.Repeat("a {\n", 3000)) + string.Concat(Enumerable.Repeat("}\n", 3000));
        var result = SpecAssert.Compile(text);
        Assert.Contains(result.Diagnostics, d => d.Code == "MTRL0005");
    }

    [Fact]
    public void InternalFailureBecomesMtrl9000NamingTheFile()
    {
        SpecCompiler.AfterParse.Value = _ => throw new InvalidOperationException("boom");
        try
        {
            var result = SpecCompiler.Compile("agent.mtrl", SpecAssert.Agent(Q));
            var diagnostic = Assert.Single(result.Diagnostics);
            Assert.Equal("MTRL9000", diagnostic.Code);
            Assert.Contains("agent.mtrl", diagnostic.Message);
            Assert.Contains("boom", diagnostic.Message);
            Assert.Empty(result.Model.Agents);
        }
        finally
        {
            SpecCompiler.AfterParse.Value = null;
        }
    }

    [Fact]
    public void AllErrorsOfAFileAreReportedNotOnlyTheFirst()
    {
        var text = SpecAssert.Agent(
            Network("    h = mpl(obs, widths: [4])\n    g = mlp(obsv, widths: [4])\n    out q = q_values(concat(h, g))"),
            train: "train dqn {\n    gamma: 2\n    batch: 0\n    lr: -1\n  }");
        var codes = SpecAssert.Compile(text).Diagnostics.Where(d => d.IsError).Select(d => d.Code).ToList();
        Assert.Contains("MTRL0102", codes);
        Assert.Contains("MTRL0101", codes);
        Assert.Equal(3, codes.Count(c => c == "MTRL0300"));
    }

    [Fact]
    public void SyntaxErrorsInSeveralItemsAreAllReported()
    {
        var text = "agent A {\n  tasks 2\n  input obs 3\n  action: discrete(2)\n  network q {\n    out q = q_values(obs\n  }\n  train dqn { lr: 1e-3, }\n}\n";
        var errors = SpecAssert.Compile(text).Diagnostics.Where(d => d.Code == "MTRL0001").Select(d => d.Span.Line).ToList();
        Assert.Equal(new[] { 2, 3, 7, 8 }, errors);
    }

    [Theory]
    [InlineData("lerning_rate: 1", "did you mean 'lr'?")]
    [InlineData("learning_rate: 1", "did you mean 'lr'?")]
    [InlineData("batch_size: 1", "did you mean 'batch'?")]
    [InlineData("gama: 0.9", "did you mean 'gamma'?")]
    [InlineData("sed: 1", "did you mean 'seed'?")]
    public void UnknownSettingsSuggestTheClosestKnownOne(string setting, string hint)
    {
        var result = SpecAssert.Compile(SpecAssert.Agent(Q, train: $"train dqn {{ {setting} }}"));
        var diagnostic = Assert.Single(result.Diagnostics, d => d.Code == "MTRL0100");
        Assert.EndsWith(hint, diagnostic.Message);
    }

    [Theory]
    [InlineData("layers: 2, modules: 2, width: 4, style: softmodule", "MTRL0100", "expected 'soft_module' or 'mtrl'; did you mean 'soft_module'?")]
    [InlineData("layers: 2, modules: 2, width: 4, style: mtlr", "MTRL0100", "did you mean 'mtrl'?")]
    [InlineData("layers: 1, modules: 2, width: 4", "MTRL0300", "style: soft_module needs layers ≥ 2")]
    [InlineData("layers: 2, modules: 2, width: 4, mix: mean", "MTRL0201", "mix: mean needs style: mtrl")]
    [InlineData("layers: 2, modules: 2, width: 4, mix: mean, style: soft_module", "MTRL0201", "mix: mean needs style: mtrl")]
    public void SoftModularStylesAreCheckedAtTheSetting(string settings, string code, string words)
    {
        var text = SpecAssert.Agent(Network($"    r = soft_modular(obs, by: obs, {settings})\n    out q = q_values(r)"));
        var diagnostic = Assert.Single(SpecAssert.Compile(text).Diagnostics, d => d.Severity == Mtrl.Dsl.Diagnostics.DiagnosticSeverity.Error);
        Assert.Equal(code, diagnostic.Code);
        Assert.Contains(words, diagnostic.Message);
        // The diagnostic points at the offending value.
        var key = code switch { "MTRL0300" => "layers", "MTRL0201" => "mix", _ => "style" };
        var value = settings.Split(", ").Single(p => p.StartsWith(key + ":", System.StringComparison.Ordinal)).Substring(key.Length + 2);
        var line = text.Split('\n')[diagnostic.Span.Line - 1];
        Assert.Contains("soft_modular", line);
        Assert.StartsWith(value, line.Substring(diagnostic.Span.Column - 1));
    }

    [Theory]
    [InlineData("layers: 1, modules: 2, width: 4, mix: mean, style: mtrl")]
    [InlineData("layers: 2, modules: 2, width: 4, style: soft_module")]
    [InlineData("layers: 3, modules: 2, width: 4")]
    public void SoftModularStylesAcceptTheirShapes(string settings) =>
        SpecAssert.Clean(SpecAssert.Agent(Network($"    r = soft_modular(obs, by: obs, {settings})\n    out q = q_values(r)")));

    [Theory]
    [InlineData("", LoserUpdates.Keep)]
    [InlineData(" loser_updates: keep", LoserUpdates.Keep)]
    [InlineData(" loser_updates: discard", LoserUpdates.Discard)]
    public void LoserUpdatesDefaultToThePapersKeep(string setting, LoserUpdates expected)
    {
        var agent = SpecAssert.Clean(PathNetAgent($"evolution {{ population: 4{setting} }}"));
        Assert.Equal(expected, agent.Evolution!.LoserUpdates);
    }

    [Fact]
    public void UnknownLoserUpdatesSuggestTheClosestChoice()
    {
        var result = SpecAssert.Compile(PathNetAgent("evolution { loser_updates: discrad }"));
        var diagnostic = Assert.Single(result.Diagnostics, d => d.Code == "MTRL0100");
        Assert.Contains("expected 'keep' or 'discard'", diagnostic.Message);
        Assert.EndsWith("did you mean 'discard'?", diagnostic.Message);
    }

    private static string PathNetAgent(string evolution) => SpecAssert.Agent(
        Network("    out q = q_values(pathnet(obs, layers: 2, modules: 3, active: 2, width: 4), per_task: true)") + "\n  " + evolution,
        train: "train dqn { schedule: sequential(steps_per_task: 100) }");

    [Fact]
    public void WidthMismatchNamesBothWidthsAndWhereTheyCameFrom()
    {
        var text = SpecAssert.Agent(Network(
            "    base = mlp(obs, widths: [32])\n    emb = embedding(task, dim: 16)\n    r = soft_modular(base, by: emb, layers: 2, modules: 2, width: 8)\n    out q = q_values(r)"));
        var diagnostic = Assert.Single(SpecAssert.Compile(text).Diagnostics, d => d.Code == "MTRL0200");
        Assert.Contains("32 wide", diagnostic.Message);
        Assert.Contains("16 wide", diagnostic.Message);
        Assert.Contains("line 6", diagnostic.Message);
        Assert.Contains("line 7", diagnostic.Message);
    }
}
