using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>The pipeline re-runs only what an edit touches (asserted on the named tracking steps).</summary>
public class IncrementalTests
{
    private const string SpecA = "agent A {\n  input obs: 4\n  action: discrete(2)\n  network q {\n    out q = q_values(obs)\n  }\n  train dqn { }\n}\n";
    private const string SpecB = "agent B {\n  input obs: 4\n  action: discrete(2)\n  network q {\n    out q = q_values(mlp(obs, widths: [8]))\n  }\n  train dqn { }\n}\n";

    private static IncrementalStepRunReason[] Reasons(GeneratorDriver driver, string step) =>
        driver.GetRunResult().Results.Single().TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();

    [Fact]
    public void EditingUnrelatedCSharpLeavesEveryStepCached()
    {
        var compilation = GeneratorHarness.Compilation("class Existing { }");
        var driver = GeneratorHarness.Driver(new[] { new MtrlText("/a.mtrl", SpecA), new MtrlText("/b.mtrl", SpecB) }).RunGenerators(compilation);
        driver = driver.RunGenerators(compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Unrelated { }")));
        foreach (var step in new[] { TrackingNames.Analyzed, TrackingNames.Sources, TrackingNames.Diagnostics })
        {
            Assert.All(Reasons(driver, step), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        }
    }

    [Fact]
    public void WhitespaceOrCommentEditLeavesTheOutputUnchanged()
    {
        var compilation = GeneratorHarness.Compilation();
        var original = new MtrlText("/a.mtrl", SpecA);
        var driver = GeneratorHarness.Driver(new[] { original }).RunGenerators(compilation);
        var edited = new MtrlText("/a.mtrl", SpecA.Replace("  tasks", "  tasks").Replace("input obs: 4", "input   obs: 4   # observation"));
        driver = driver.ReplaceAdditionalText(original, edited).RunGenerators(compilation);
        // The file changed, its analysis ran again and produced the same result, so nothing downstream re-ran.
        Assert.Equal(IncrementalStepRunReason.Modified, Assert.Single(Reasons(driver, TrackingNames.SpecFiles)));
        Assert.Equal(IncrementalStepRunReason.Unchanged, Assert.Single(Reasons(driver, TrackingNames.Analyzed)));
        Assert.Equal(IncrementalStepRunReason.Cached, Assert.Single(Reasons(driver, TrackingNames.Sources)));
    }

    [Fact]
    public void ARealEditRegeneratesOnlyThatSpec()
    {
        var compilation = GeneratorHarness.Compilation();
        var a = new MtrlText("/a.mtrl", SpecA);
        var b = new MtrlText("/b.mtrl", SpecB);
        var driver = GeneratorHarness.Driver(new[] { a, b }).RunGenerators(compilation);
        var editedB = new MtrlText("/b.mtrl", SpecB.Replace("widths: [8]", "widths: [16]"));
        driver = driver.ReplaceAdditionalText(b, editedB).RunGenerators(compilation);
        var sources = Reasons(driver, TrackingNames.Sources);
        Assert.Equal(1, sources.Count(r => r == IncrementalStepRunReason.Modified));
        Assert.Equal(1, sources.Count(r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
        var generated = driver.GetRunResult().GeneratedTrees.Single(t => t.FilePath.Contains("b."));
        Assert.Contains("16", generated.ToString());
    }
}
