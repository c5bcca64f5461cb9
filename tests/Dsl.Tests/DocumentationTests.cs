using System;
using System.IO;
using Mtrl.Dsl.Semantics;
using Xunit;

namespace Mtrl.Dsl.Tests;

/// <summary>The language reference must mention every block and head the binder knows.</summary>
public class DocumentationTests
{
    private static string Language => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "language.md"));

    [Fact]
    public void EveryOpIsDocumented()
    {
        var docs = Language;
        foreach (var name in OpCatalog.Names)
        {
            Assert.Contains($"`{name}(", docs);
        }
    }

    [Fact]
    public void EveryActivationIsDocumented()
    {
        var docs = Language;
        foreach (var name in OpCatalog.Activations.Keys)
        {
            Assert.Contains($"`{name}`", docs);
        }
    }
}
