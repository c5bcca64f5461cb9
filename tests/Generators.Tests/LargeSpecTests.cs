using System;
using System.Linq;
using System.Text;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// Issue #16, item 5: emission is linear in the size of the spec (it took over 30 s for an mlp
/// of 100,000 layers: every declared layer searched the list of earlier ones, every node the
/// network's parameter list, and an index-0 layout block that did not repeat was re-scanned
/// from each of its entries). No timing is asserted; these specs finish in seconds only when
/// each of those steps is linear, and the output is checked to be complete.
/// </summary>
public sealed class LargeSpecTests
{
    private static string Occurrences(string text, string part, out int count)
    {
        count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal)) count++;
        return text;
    }

    private static string Generate(string network, string header = "")
    {
        var spec = $"agent A {{\n  input obs: 4\n  action: discrete(2)\n  {header}\n  network q {{\n{network}  }}\n  train dqn {{ }}\n}}\n";
        var output = SpecGenerator.Analyze(new SpecInput("/specs/large.mtrl", spec, "Consumer.Agents"));
        Assert.DoesNotContain(output.Diagnostics, d => d.Severity == Dsl.Diagnostics.DiagnosticSeverity.Error);
        return output.Source!;
    }

    [Fact]
    public void AnMlpOfManyLayersIsEmittedWhole()
    {
        // The front end allows at most MaxLayers per mlp (a 100,000-layer mlp is MTRL0300 before emission).
        const int layers = Dsl.SpecLimits.MaxLayers;
        var source = Generate($"    h = mlp(obs, widths: [{string.Join(", ", Enumerable.Repeat("1", layers))}])\n    out v = q_values(h)\n");
        Occurrences(source, ".ForwardRelu(", out var fused);
        Assert.Equal(layers, fused);
        Occurrences(source, "layout.AddAffine(\"q.h.fc", out var affine);
        Assert.Equal(layers, affine);
        // UseGemm names every layer once.
        Occurrences(source, $"_h_fc{layers - 1}, ", out var listed);
        Occurrences(source, $"_h_fc{layers - 1}.ForwardRelu(", out var forward);
        Assert.Equal((1, 1), (listed, forward));
    }

    [Fact]
    public void PerTaskHeadsOfOneTaskAreWrittenOutWithoutALoop()
    {
        const int layers = Dsl.SpecLimits.MaxLayers;
        var source = Generate($"    h = heads(obs, widths: [{string.Join(", ", Enumerable.Repeat("1", layers))}])\n    out v = q_values(h)\n", "tasks: 1");
        Occurrences(source, "layout.AddAffine(\"q.h.task0.fc", out var affine);
        Assert.Equal(layers, affine);
        Assert.DoesNotContain("for (var task = 0;", source);
    }

    [Fact]
    public void ALongChainOfBindingsIsEmittedWhole()
    {
        const int bindings = 20_000;
        var network = new StringBuilder("    h0 = linear(obs, width: 2)\n");
        for (var i = 1; i < bindings; i++) network.Append($"    h{i} = linear(h{i - 1}, width: 2)\n");
        network.Append($"    out v = q_values(h{bindings - 1})\n");
        var source = Generate(network.ToString());
        Occurrences(source, "layout.AddAffine(\"q.h", out var affine);
        Assert.Equal(bindings, affine);
        Assert.Contains($"_h{bindings - 1}_fc0.Backward(_h{bindings - 2}, ", source);
    }
}
