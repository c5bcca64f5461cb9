using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// The generated source of every example, compared with checked-in files. After an intended
/// change, run with MTRL_UPDATE_SNAPSHOTS=1 and review the diff of tests/Generators.Tests/Snapshots.
/// </summary>
public class SnapshotTests
{
    private static string SnapshotDirectory([CallerFilePath] string file = "") => Path.Combine(Path.GetDirectoryName(file)!, "Snapshots");

    /// <summary>Specs of the tests alone (tests/Generators.Tests/Specs): features no example uses, such as <c>freeze</c>.</summary>
    private static string TestSpecDirectory([CallerFilePath] string file = "") => Path.Combine(Path.GetDirectoryName(file)!, "Specs");

    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var file in GeneratorHarness.ExampleFiles) data.Add(Path.GetFileName(file));
        foreach (var file in Directory.GetFiles(TestSpecDirectory(), "*.mtrl").Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void GeneratedSourceMatchesTheSnapshot(string name)
    {
        var path = Path.Combine(GeneratorHarness.SpecsDirectory, name);
        if (!File.Exists(path)) path = Path.Combine(TestSpecDirectory(), name);
        // Paths in the output are file names only, so snapshots do not depend on the checkout.
        var output = SpecGenerator.Analyze(new SpecInput("/specs/" + name, File.ReadAllText(path), "Consumer.Agents"));
        Assert.NotNull(output.Source);
        var snapshot = Path.Combine(SnapshotDirectory(), Path.ChangeExtension(name, ".g.cs"));
        if (Environment.GetEnvironmentVariable("MTRL_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(snapshot, output.Source);
            return;
        }
        Assert.True(File.Exists(snapshot), $"no snapshot {snapshot}; run the tests with MTRL_UPDATE_SNAPSHOTS=1 and review it");
        var expected = File.ReadAllText(snapshot).Replace("\r\n", "\n").Split('\n');
        var actual = output.Source!.Split('\n');
        var first = Enumerable.Range(0, Math.Min(expected.Length, actual.Length)).FirstOrDefault(i => expected[i] != actual[i], -1);
        if (first < 0 && expected.Length == actual.Length) return;
        var line = first < 0 ? Math.Min(expected.Length, actual.Length) : first;
        Assert.Fail($"{name}: generated source differs from {Path.GetFileName(snapshot)} at line {line + 1}:\n" +
                    $"- {(line < expected.Length ? expected[line] : "<end>")}\n+ {(line < actual.Length ? actual[line] : "<end>")}\n" +
                    "If the change is intended, run with MTRL_UPDATE_SNAPSHOTS=1 and review the diff.");
    }
    /// <summary>
    /// A generated file lists only the aliases it names, read from the parsed snapshot (code and
    /// doc-comment crefs) rather than by the generator's own scan; that every name it uses is
    /// aliased is proved by compiling it (GeneratorTests, the fuzzer).
    /// </summary>
    [Theory]
    [MemberData(nameof(Examples))]
    public void EveryAliasInTheSnapshotIsUsed(string name)
    {
        var snapshot = Path.Combine(SnapshotDirectory(), Path.ChangeExtension(name, ".g.cs"));
        var root = CSharpSyntaxTree.ParseText(File.ReadAllText(snapshot)).GetRoot();
        var aliases = root.DescendantNodes().OfType<UsingDirectiveSyntax>().Where(u => u.Alias is not null).Select(u => u.Alias!.Name.Identifier.ValueText).ToList();
        Assert.NotEmpty(aliases);
        var named = root.DescendantNodes(descendIntoTrivia: true)
            .OfType<IdentifierNameSyntax>()
            .Where(n => n.FirstAncestorOrSelf<UsingDirectiveSyntax>() is null)
            .Select(n => n.Identifier.ValueText)
            .ToHashSet(StringComparer.Ordinal);
        var unused = aliases.Where(a => !named.Contains(a)).ToList();
        Assert.True(unused.Count == 0, $"{name}: unused aliases {string.Join(", ", unused)}");
    }
    /// <summary>
    /// An agent or network class may not take an alias's name (the front end refuses it with
    /// MTRL0111, from GeneratedNames.ReservedTypeNames): every alias a file may list is reserved there,
    /// and the table is in the order files list it.
    /// </summary>
    [Fact]
    public void EveryAliasIsAReservedTypeName()
    {
        var unreserved = RuntimeAliases.All.Select(a => a.Alias).Where(a => !Mtrl.Dsl.Semantics.GeneratedNames.ReservedTypeNames.Contains(a)).ToList();
        Assert.True(unreserved.Count == 0, $"aliases not in GeneratedNames.ReservedTypeNames: {string.Join(", ", unreserved)}");
        Assert.Equal(RuntimeAliases.All.Select(a => a.Alias).Order(StringComparer.Ordinal), RuntimeAliases.All.Select(a => a.Alias));
    }
}
