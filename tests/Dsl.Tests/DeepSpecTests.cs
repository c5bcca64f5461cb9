using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Mtrl.Dsl.Model;
using Xunit;

namespace Mtrl.Dsl.Tests;

/// <summary>
/// Deep specs compile on a small thread stack: a stack overflow cannot be caught and would kill
/// the CLI or the compiler host, so depth must never turn into recursion depth.
/// </summary>
public class DeepSpecTests
{
    /// <summary>A quarter of a Windows main thread; the front end must work on much less than it gets.</summary>
    private const int SmallStack = 256 * 1024;

    /// <summary>Runs <paramref name="work"/> on a thread with a 256 KB stack and returns its result (or rethrows).</summary>
    private static T OnSmallStack<T>(Func<T> work)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception exception)
            {
                failure = exception;
            }
        }, SmallStack);
        thread.Start();
        thread.Join();
        if (failure is not null) throw new Xunit.Sdk.XunitException($"the work failed: {failure}");
        return result;
    }

    /// <summary>h0 reads obs, h(i) reads h(i−1), the output reads the last; written output first, so every binding reads one further down.</summary>
    private static string OutputFirstChain(int bindings, bool closeCycle = false)
    {
        var lines = new List<string> { $"    out q = q_values(h{bindings - 1})" };
        for (var i = bindings - 1; i >= 1; i--) lines.Add($"    h{i} = linear(h{i - 1}, width: 4)");
        lines.Add(closeCycle ? $"    h0 = linear(h{bindings - 1}, width: 4)" : "    h0 = linear(obs, width: 4)");
        return "agent Deep {\n  input obs: 3\n  action: discrete(2)\n  network q {\n" + string.Join("\n", lines) + "\n  }\n  train dqn { }\n}\n";
    }

    [Fact]
    public void AnOutputFirstChainOf6000BindingsBindsOnA256KbStack()
    {
        const int bindings = 6000;
        var result = OnSmallStack(() => SpecCompiler.Compile("deep.mtrl", OutputFirstChain(bindings)));

        Assert.Empty(result.Diagnostics);
        var network = Assert.Single(Assert.Single(result.Model.Agents).Networks);
        Assert.Equal(bindings + 1, network.Nodes.Count);
        // Schedule order: every node's input comes before it, the head last.
        Assert.Equal("h0", network.Nodes[0].Name);
        Assert.Equal("obs", network.Nodes[0].Inputs.Single().Source);
        for (var i = 1; i < bindings; i++)
        {
            Assert.Equal($"h{i}", network.Nodes[i].Name);
            Assert.Equal($"h{i - 1}", network.Nodes[i].Inputs.Single().Source);
        }
        Assert.IsType<QValuesOp>(network.Output.Op);
        Assert.Equal($"h{bindings - 1}", network.Output.Inputs.Single().Source);
        Assert.Equal((3 * 4 + 4) + (bindings - 1) * (4 * 4 + 4) + (4 * 2 + 2), network.Parameters.Sum(p => p.Count));
    }

    [Fact]
    public void AHundredThousandBindingChainChecks()
    {
        // Binding, naming, cycle search and reachability are linear, so this completes within
        // the test run (super-linear steps made a 100,000-binding chain take minutes).
        const int bindings = 100_000;
        var result = OnSmallStack(() => SpecCompiler.Compile("long.mtrl", OutputFirstChain(bindings)));
        Assert.Empty(result.Diagnostics);
        var network = Assert.Single(Assert.Single(result.Model.Agents).Networks);
        Assert.Equal(bindings + 1, network.Nodes.Count);
        Assert.Equal(2 * bindings + 2, network.Parameters.Count);
    }

    [Fact]
    public void ManyNestedCallsInOneBindingGetDistinctNames()
    {
        // FreshName keeps a counter per stem instead of probing h_linear2, h_linear3, … each time.
        const int calls = 3000;
        var inner = string.Join(", ", Enumerable.Range(0, calls).Select(_ => "linear(obs, width: 1)"));
        var agent = SpecAssert.Clean(SpecAssert.Agent($"  network q {{\n    h = concat({inner})\n    out q = q_values(h)\n  }}"));
        var names = agent.Networks[0].Nodes.Select(n => n.Name).ToList();
        Assert.Equal(calls + 2, names.Distinct().Count());
        Assert.Equal("h_linear", names[0]);
        Assert.Equal($"h_linear{calls}", names[calls - 1]);
        Assert.Equal(calls, agent.Networks[0].Nodes.Single(n => n.Name == "h").Width);
    }

    [Fact]
    public void ACycleThroughThousandsOfBindingsIsReportedOnA256KbStack()
    {
        var result = OnSmallStack(() => SpecCompiler.Compile("deep.mtrl", OutputFirstChain(5000, closeCycle: true)));

        var cycles = result.Diagnostics.Where(d => d.Code == "MTRL0106").ToList();
        Assert.NotEmpty(cycles);
        Assert.Contains(cycles, d => d.Message.StartsWith("'h4999' depends on itself: h4999 → h4998 → h4997", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Diagnostics, d => d.Code == "MTRL9000");
    }

    [Fact]
    public void ABindingThatNamesASettingValueIsNotACycle()
    {
        // 'relu' here is a setting's value, not a read of the binding called relu.
        var agent = SpecAssert.Clean(SpecAssert.Agent("""
              network q {
                relu = mlp(obs, widths: [8], activation: relu)
                out q = q_values(relu)
              }
            """, header: "tasks: 2\n  input obs: 8\n  action: discrete(3)"));
        Assert.Equal(new[] { "relu", "q" }, agent.Networks[0].Nodes.Select(n => n.Name));
    }

    [Fact]
    public void BindingsInAnyOrderGiveTheSameModel()
    {
        const int bindings = 200;
        var forward = SpecCompiler.Compile("a.mtrl", OutputFirstChain(bindings).Replace("\r", ""));
        var lines = OutputFirstChain(bindings).Split('\n').ToList();
        var body = lines.Skip(4).Take(bindings + 1).ToList();
        body.Reverse();
        var reordered = string.Join("\n", lines.Take(4).Concat(body).Concat(lines.Skip(4 + bindings + 1)));
        var backward = SpecCompiler.Compile("a.mtrl", reordered);
        Assert.Empty(backward.Diagnostics);
        Assert.Equal(
            forward.Model.Agents[0].Networks[0].Nodes.Select(n => (n.Name, n.Width, n.Inputs.Single().Source)),
            backward.Model.Agents[0].Networks[0].Nodes.Select(n => (n.Name, n.Width, n.Inputs.Single().Source)));
    }

    private static string Nested(int levels)
    {
        // One level is the item's value itself; each detach( … ) adds one.
        var value = "obs";
        for (var i = 1; i < levels; i++) value = $"detach({value})";
        return value;
    }

    [Fact]
    public void ExpressionsNestedToTheLimitParseOnA256KbStackInsideDeepSections()
    {
        var limit = Syntax.Grammar.MaxExpressionDepth;
        var sections = Syntax.SpecParser.MaxSectionDepth - 1;
        var text = new StringBuilder();
        for (var i = 0; i < sections; i++) text.Append($"s{i} {{\n");
        text.Append($"x = {Nested(limit)}\n");
        text.Append($"y: {new string('[', limit)}{new string(']', limit)}\n");
        for (var i = 0; i < sections; i++) text.Append("}\n");

        var result = OnSmallStack(() => SpecCompiler.Compile("nest.mtrl", text.ToString()));

        Assert.DoesNotContain(result.Diagnostics, d => d.Code is "MTRL0001" or "MTRL0005" or "MTRL9000");
    }

    [Fact]
    public void OneLevelMoreIsReportedWithTheLimit()
    {
        var limit = Syntax.Grammar.MaxExpressionDepth;
        // The head's call is one level, so its argument may nest one less than the limit.
        var text = SpecAssert.Agent($"  network q {{\n    out q = q_values({Nested(limit - 1)})\n  }}");
        Assert.Empty(OnSmallStack(() => SpecCompiler.Compile("nest.mtrl", text)).Diagnostics);

        var deeper = SpecAssert.Agent($"  network q {{\n    out q = q_values({Nested(limit)})\n  }}");
        var result = OnSmallStack(() => SpecCompiler.Compile("nest.mtrl", deeper));
        var error = Assert.Single(result.Diagnostics, d => d.Code == "MTRL0005");
        Assert.Contains($"deeper than {limit} levels", error.Message);

        var list = OnSmallStack(() => SpecCompiler.Compile("nest.mtrl", $"agent A {{ tasks: {new string('[', 10_000)} }}"));
        Assert.Contains(list.Diagnostics, d => d.Code == "MTRL0005");
    }
}
