using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Mtrl.Dsl;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// Issue #16, item 7: names that would not make valid, unique C# are MTRL0111 at the name, and
/// names that look dangerous but are fine generate code that compiles. Item 9: no text from a
/// spec or a file name can end a comment and become code.
/// </summary>
public sealed class GeneratedNamesTests
{
    /// <summary>A small DQN agent; the placeholders are replaced by each case.</summary>
    private static string Spec(string agent = "A", string inputs = "input obs: 4", string network = "q", string body = "h = mlp(obs, widths: [8])\n    out v = q_values(h)", string extra = "") => $$"""
        agent {{agent}} {
          {{inputs}}
          action: discrete(2)
          {{extra}}
          network {{network}} {
            {{body}}
          }
          train dqn { batch: 4 }
        }
        """;

    /// <summary>(spec, line, column, words the message must hold).</summary>
    public static TheoryData<string, int, int, string> Refused()
    {
        var longName = "n" + new string('x', 300);
        return new TheoryData<string, int, int, string>
        {
            { Spec(agent: "Linear"), 1, 7, "hides the type 'Linear'" },
            { Spec(agent: "Tasks"), 1, 7, "member of its own name" },
            { Spec(agent: "Training"), 1, 7, "member of its own name" },
            { Spec(agent: "CreateTrainer"), 1, 7, "member of its own name" },
            { Spec(agent: "CreateSequentialTrainer"), 1, 7, "member of its own name" },
            { Spec(agent: "CreateDistralOptions"), 1, 7, "member of its own name" },
            { Spec(agent: "SequentialTrainer"), 1, 7, "hides the type 'SequentialTrainer'" },
            { Spec(agent: "DistillationTrainer"), 1, 7, "hides the type 'DistillationTrainer'" },
            { Spec(agent: "IPathNetNetwork"), 1, 7, "hides the type 'IPathNetNetwork'" },
            { Spec(agent: "ObsWidth"), 1, 7, "width constant of input 'obs'" },
            { Spec(agent: "QNetwork"), 1, 7, "class of network 'q'" },
            { Spec(agent: "class"), 1, 7, "keyword" },
            { Spec(agent: "var"), 1, 7, "keyword" },
            { Spec(agent: "record"), 1, 7, "keyword" },
            { Spec(agent: "Array"), 1, 7, "hides the type 'Array'" },
            { Spec(agent: "System"), 1, 7, "hides the type 'System'" },
            { Spec(inputs: "input foo_bar: 2\n  input fooBar: 2", body: "h = mlp(concat(foo_bar, fooBar), widths: [8])\n    out v = q_values(h)"), 3, 9, "both become 'FooBarWidth'" },
            { Spec(inputs: "input obs: 4\n  goal Obs: 4", body: "h = mlp(concat(obs, Obs), widths: [8])\n    out v = q_values(h)"), 3, 8, "both become 'ObsWidth'" },
            { Spec(inputs: "input tasks: 4", body: "h = mlp(tasks, widths: [8])\n    out v = q_values(h)"), 2, 9, "uses itself" },
            { Spec(inputs: "input nameof: 4", body: "h = mlp(nameof, widths: [8])\n    out v = q_values(h)"), 2, 9, "uses itself" },
            { Spec(network: "i_q"), 5, 11, "'IQNetwork'" },
            { Spec(body: "batch = mlp(obs, widths: [8])\n    out v = q_values(batch)"), 6, 5, "'_batch'" },
            { Spec(body: "task_ids = mlp(obs, widths: [8])\n    out v = q_values(task_ids)"), 6, 5, "'_taskIds'" },
            { Spec(body: "h_x = mlp(obs, widths: [8])\n    hX = mlp(h_x, widths: [8])\n    out v = q_values(hX)"), 7, 5, "both become '_hX'" },
            { Spec(inputs: "input foo_bar: 4", body: "fooBar = mlp(foo_bar, widths: [8])\n    out v = q_values(fooBar)"), 6, 5, "input 'foo_bar'" },
            { Spec(body: $"{longName} = mlp(obs, widths: [8])\n    out v = q_values({longName})"), 6, 5, "at most 256" },
            { Spec(agent: "A" + longName), 1, 7, "at most 256" },
            { Spec(body: "__ = mlp(obs, widths: [8])\n    out v = q_values(__)"), 6, 5, "letter or digit" },
            { Spec(extra: "block q = mlp(widths: [8])", body: "fc0 = linear(q(obs), width: 8)\n    out v = q_values(fc0)"), 6, 11, "'q.fc0.weight'" },
            { Spec(network: "actor_mimic", body: "h = mlp(obs, widths: [8])\n    out v = q_values(h)\n    out f = features(h)"), 5, 11, "'ActorMimicFeatures'" },
            { Spec(agent: "QFeatures", body: "h = mlp(obs, widths: [8])\n    out v = q_values(h)\n    out f = features(h)"), 1, 7, "features class of network 'q'" },
            { Spec(agent: "IFeatureNetwork"), 1, 7, "hides the type 'IFeatureNetwork'" },
            { Spec(network: "i_feature", body: "h = mlp(obs, widths: [8])\n    out v = q_values(h)\n    out f = features(h)"), 5, 11, "'IFeatureNetwork'" },
            { Spec(body: "h = mlp(obs, widths: [8])\n    out v = q_values(h)\n    out batch = features(h)"), 8, 9, "'_batch'" },
            { Spec(body: "h_x = mlp(obs, widths: [8])\n    out v = q_values(h_x)\n    out hX = features(h_x)"), 8, 9, "both become '_hX'" },
        };
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void NamesThatWouldNotCompileAreRefusedAtTheName(string spec, int line, int column, string words)
    {
        var result = SpecCompiler.Compile("names.mtrl", spec);
        var errors = result.Diagnostics.Where(d => d.IsError).ToList();
        var error = Assert.Single(errors);
        Assert.Equal("MTRL0111", error.Code);
        Assert.Contains(words, error.Message);
        Assert.Equal((line, column), (error.Span.Line, error.Span.Column));
        // The generator agrees: no source, the same diagnostic in the .mtrl file.
        var output = SpecGenerator.Analyze(new SpecInput("/specs/names.mtrl", spec, "Consumer.Agents"));
        Assert.Null(output.Source);
        Assert.Contains(output.Diagnostics, d => d.Code == "MTRL0111" && d.StartLine == line - 1 && d.StartColumn == column - 1);
    }

    [Theory]
    [InlineData("desired_goal", "DesiredGoal", "desiredGoal")]
    [InlineData("fooBar", "FooBar", "fooBar")]
    [InlineData("foo__bar_", "FooBar", "fooBar")]
    [InlineData("_x", "X", "x")]
    [InlineData("h_fc0", "HFc0", "hFc0")]
    [InlineData("_1x", "_1x", "_1x")]
    [InlineData("Q", "Q", "q")]
    public void OneManglingForTheGeneratorAndTheCheck(string name, string pascal, string camel)
    {
        Assert.Equal(pascal, Dsl.Semantics.GeneratedNames.Pascal(name));
        Assert.Equal(camel, Dsl.Semantics.GeneratedNames.Camel(name));
        // A camel name has no '_' after its first character: the generator's "_{camel}_{role}" fields rely on it.
        Assert.DoesNotContain('_', Dsl.Semantics.GeneratedNames.Camel(name).Substring(1));
    }

    [Fact]
    public void NetworksWhoseClassNamesMeetAreRefused()
    {
        var spec = """
            agent A {
              input obs: 4
              action: continuous(2)
              network pi {
                out a = gaussian(mlp(obs, widths: [8]))
              }
              network q {
                out v = q_values(mlp(concat(obs, action), widths: [8]))
              }
              network Q {
                out v = q_values(mlp(concat(obs, action), widths: [8]))
              }
              train sac { }
            }
            """;
        var error = Assert.Single(SpecCompiler.Compile("names.mtrl", spec).Diagnostics, d => d.Code == "MTRL0111");
        Assert.Contains("both become the class 'QNetwork'", error.Message);
        Assert.Equal((10, 11), (error.Span.Line, error.Span.Column));
    }

    /// <summary>Names close to the generator's own that the naming scheme keeps apart: they compile.</summary>
    [Theory]
    [InlineData("input float: 4", "h = mlp(float, widths: [8])\n    out v = q_values(h)")]
    [InlineData("input obs: 4", "h = mlp(obs, widths: [8, 8])\n    h_fc0 = mlp(h, widths: [8])\n    h_hidden0 = linear(h_fc0, width: 8)\n    h_grad = mlp(h_hidden0, widths: [8])\n    d_h = mlp(h_grad, widths: [8])\n    out v = q_values(d_h)")]
    [InlineData("input obs: 4", "h = film(mlp(obs, widths: [8]), by: onehot(task))\n    h_layer = film(h, by: onehot(task))\n    h_gamma_beta = mlp(h_layer, widths: [8])\n    out v = q_values(h_gamma_beta, per_task: true)")]
    [InlineData("input layer: 4\n  input module: 4\n  input column: 4\n  input count: 4\n  input start: 4", "h = progressive(concat(layer, module, column, count, start), widths: [8, 8], reduction: 4)\n    out v = q_values(h, per_task: true)")]
    [InlineData("input store_x: 4\n  input value: 4", "h = mlp(concat(store_x, value), widths: [8])\n    out v = q_values(h)")]
    [InlineData("input earlier: 4\n  input module: 4\n  input layer: 4",
        "s = soft_modular(linear(concat(earlier, module, layer), width: 4), by: linear(onehot(task), width: 4), layers: 3, modules: 2, width: 4)\n" +
        "    s_condition2 = soft_modular(s, by: s, layers: 2, modules: 2, width: 4, style: soft_module)\n" +
        "    s_earlier2 = linear(s_condition2, width: 4)\n    s_routing_features = soft_modular(s_earlier2, by: s_earlier2, layers: 3, modules: 2, width: 4, style: mtrl)\n" +
        "    out v = q_values(s_routing_features)")]
    [InlineData("input obs: 4", "h = mlp(obs, widths: [8])\n    f_fc0 = mlp(h, widths: [8])\n    f_grad = mlp(f_fc0, widths: [8])\n    out v = q_values(f_grad, per_task: true)\n    out f = features(h, width: 4, per_task: true)")]
    [InlineData("input features: 4", "h = mlp(features, widths: [8])\n    out v = q_values(h)\n    out q_features = features(h)")]
    // A chain's gradient buffers are named after the value they belong to (_h_affine0Grad, _h_normalized0Grad, _h_gammaBeta1Grad).
    [InlineData("input obs: 4",
        "h = mlp(obs, widths: [8, 8], layer_norm: true, film: onehot(task))\n    h_affine0 = mlp(h, widths: [8, 8])\n    h_affine0_grad = mlp(h_affine0, widths: [8], layer_norm: true)\n" +
        "    h_normalized0_grad = mlp(h_affine0_grad, widths: [8], film: h_affine0)\n    h_gamma_beta1_grad = linear(h_normalized0_grad, width: 8)\n    h_modulated1_grad = mlp(h_gamma_beta1_grad, widths: [8, 8])\n" +
        "    h_hidden0_grad = mlp(h_modulated1_grad, widths: [8], activation: tanh)\n    out v = q_values(h_hidden0_grad, per_task: true)")]
    // Width constants ({Node}Width) beside the network's OutputWidth and its interface's ObservationWidth/GoalWidth, and the agent's input constants.
    [InlineData("input obs: 4\n  input output: 3", "goal = mlp(concat(obs, output), widths: [8])\n    observation = mlp(goal, widths: [5])\n    obs_width = linear(observation, width: 6)\n    output_width = mlp(obs_width, widths: [7])\n    out v = q_values(output_width, per_task: true)")]
    public void NamesNearTheGeneratorsOwnCompile(string inputs, string body)
    {
        var spec = Spec(inputs: inputs, body: body).Replace("discrete(2)", "discrete(2)\n  tasks: 3");
        var compiled = SpecCompiler.Compile("near.mtrl", spec);
        Assert.False(compiled.HasErrors, string.Join("\n", compiled.Diagnostics));
        AssertCompiles(new MtrlText("/specs/near.mtrl", spec));
    }

    [Fact]
    public void TwoSpecsDeclaringOneAgentInOneNamespaceAreReportedAtTheSecond()
    {
        var specs = new[] { new MtrlText("/specs/a.mtrl", Spec()), new MtrlText("/specs/b.mtrl", "\n" + Spec()) };
        var (_, _, diagnostics) = GeneratorHarness.Run(specs);
        var error = Assert.Single(diagnostics, d => d.Id == "MTRL0111");
        Assert.Equal("/specs/b.mtrl", error.Location.GetLineSpan().Path);
        Assert.Equal(1, error.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Contains("also generated from a.mtrl", error.GetMessage());

        // In namespaces of their own they are two classes and compile.
        var options = new TestOptions("Consumer.Agents", new() { ["/specs/b.mtrl"] = "Consumer.Other" });
        var (_, output, separate) = GeneratorHarness.Run(specs, options);
        Assert.DoesNotContain(separate, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    private static void AssertCompiles(MtrlText spec, string ns = "Consumer.Agents")
    {
        var (_, output, diagnostics) = GeneratorHarness.Run(new[] { spec }, new TestOptions(ns));
        Assert.DoesNotContain(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(5)));
    }

    /// <summary>Every character that ends a C# line, and text that ends comments, strings or XML elements.</summary>
    public static TheoryData<string> HostileText() => new()
    {
        "\n", "\r", "\r\n", "\u0085", "\u2028", "\u2029", "*/", "\"", "\\", "</summary>", "<c>", "&", "\u0000", "\ud800", "\t",
    };

    /// <summary>Each hostile text in a file name, after a line break, followed by C#: the generated code compiles and holds no injected member.</summary>
    [Theory]
    [MemberData(nameof(HostileText))]
    public void FileNamesCannotInjectCode(string hostile)
    {
        // No '/' (the generator keeps the file name only): after an unescaped line break the rest would not parse either.
        var name = $"agent{hostile}public static class Injected {{ }}{hostile}x.mtrl";
        var spec = new MtrlText("/specs/" + name, Spec());
        var (_, output, diagnostics) = GeneratorHarness.Run(new[] { spec });
        Assert.DoesNotContain(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        var errors = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(5)));
        Assert.Null(output.GetTypeByMetadataName("Consumer.Agents.Injected"));
        Assert.Null(output.GetTypeByMetadataName("Injected"));
        Assert.NotNull(output.GetTypeByMetadataName("Consumer.Agents.A"));
    }

    /// <summary>The description is the spec's only free text: it lands in an XML doc comment.</summary>
    [Theory]
    [MemberData(nameof(HostileText))]
    public void DescriptionsCannotInjectCode(string hostile)
    {
        if (hostile.Contains('\n')) return; // a spec string ends at a line break (MTRL0001); \n as an escape is covered below
        var escaped = hostile.Replace("\\", "\\\\").Replace("\"", "\\\"");
        // Unescaped, a line break here would end the doc comment: a class, then "///" commenting out the rest.
        var spec = Spec(extra: $"description: \"x{escaped}public static class Injected {{ }}{escaped}///\"");
        Assert.False(SpecCompiler.Compile("d.mtrl", spec).HasErrors);
        var (_, output, _) = GeneratorHarness.Run(new[] { new MtrlText("/specs/d.mtrl", spec) });
        var errors = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(5)));
        Assert.Null(output.GetTypeByMetadataName("Consumer.Agents.Injected"));
        Assert.Null(output.GetTypeByMetadataName("Consumer.Agents.A+Injected"));
    }

    [Fact]
    public void EscapedLineBreaksInDescriptionsStayInTheComment()
    {
        var spec = Spec(extra: "description: \"x\\npublic static class Injected { }\\n\"");
        var source = SpecGenerator.Analyze(new SpecInput("/specs/d.mtrl", spec, "Consumer.Agents")).Source!;
        Assert.Contains("/// <summary>x public static class Injected { } </summary>", source);
        AssertCompiles(new MtrlText("/specs/d.mtrl", spec));
    }

    [Theory]
    [InlineData("Consumer.Agents\n{ class Injected { } }\nnamespace X")]
    [InlineData("global::X")]
    [InlineData("A.class")]
    [InlineData("")]
    public void NamespacesThatAreNotDottedIdentifiersGenerateNothing(string ns)
    {
        var output = SpecGenerator.Analyze(new SpecInput("/specs/n.mtrl", Spec(), ns));
        Assert.Null(output.Source);
        Assert.Contains(output.Diagnostics, d => d.Code == "MTRL0111" && d.Message.Contains("namespace"));
    }

    [Fact]
    public void StringLiteralsEscapeEveryUnsafeCharacter()
    {
        var text = "a\"b\\c\n\r\u0085\u2028\u2029\u0000\ud800z";
        var literal = CSharpLiterals.Str(text);
        var parsed = Microsoft.CodeAnalysis.CSharp.SyntaxFactory.ParseExpression(literal);
        Assert.Empty(parsed.GetDiagnostics());
        Assert.Equal(text, ((Microsoft.CodeAnalysis.CSharp.Syntax.LiteralExpressionSyntax)parsed).Token.ValueText);
    }
}
