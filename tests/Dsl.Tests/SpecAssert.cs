using System;
using System.IO;
using System.Linq;
using Mtrl.Dsl;
using Mtrl.Dsl.Diagnostics;
using Mtrl.Dsl.Model;
using Xunit;

namespace Mtrl.Dsl.Tests;

/// <summary>Helpers shared by the front-end tests.</summary>
internal static class SpecAssert
{
    public static string SpecsDirectory => Path.Combine(AppContext.BaseDirectory, "specs");

    public static string[] ExampleFiles => Directory.GetFiles(SpecsDirectory, "*.mtrl").OrderBy(f => f, StringComparer.Ordinal).ToArray();

    public static SpecResult Compile(string text, string path = "test.mtrl") => SpecCompiler.Compile(path, text);

    /// <summary>Compiles and requires no diagnostics at all; returns the only agent.</summary>
    public static AgentModel Clean(string text)
    {
        var result = Compile(text);
        Assert.True(result.Diagnostics.Count == 0, "unexpected diagnostics:\n" + string.Join("\n", result.Diagnostics));
        return Assert.Single(result.Model.Agents);
    }

    /// <summary>Requires a diagnostic with <paramref name="code"/> at (line, column); returns it.</summary>
    public static Diagnostic Has(SpecResult result, string code, int line, int column)
    {
        var match = result.Diagnostics.FirstOrDefault(d => d.Code == code && d.Span.Line == line && d.Span.Column == column);
        Assert.True(match is not null,
            $"expected {code} at ({line},{column}); got:\n" + string.Join("\n", result.Diagnostics.Select(d => d.ToMsBuildString())));
        return match!;
    }

    /// <summary>A minimal valid agent around <paramref name="networks"/> for tests of single constructs.</summary>
    public static string Agent(string body, string header = "tasks: 2\n  input obs: 8\n  action: discrete(3)", string train = "train dqn { }") =>
        $"agent T {{\n  {header}\n{body}\n  {train}\n}}\n";
}
