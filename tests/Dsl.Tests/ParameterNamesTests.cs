using System.Linq;
using Mtrl.Contracts;
using Xunit;

namespace Mtrl.Dsl.Tests;

/// <summary>The slice naming scheme: what the checker lays out, the generator's loops recover.</summary>
public class ParameterNamesTests
{
    [Fact]
    public void NamesFollowTheDocumentedScheme()
    {
        Assert.Equal("q.h", ParameterNames.Node("q", "h"));
        Assert.Equal("q.h.task1.fc0.weight", ParameterNames.Weight(ParameterNames.Layer(ParameterNames.Task("q.h", 1), 0)));
        Assert.Equal("q.m.module2_3.bias", ParameterNames.Bias(ParameterNames.Module("q.m", 2, 3)));
        Assert.Equal("q.p.col1.lateral2.up", ParameterNames.LateralUp(ParameterNames.Column("q.p", 1), 2));
        Assert.Equal("q.e.expert{expert}.fc0", ParameterNames.Layer(ParameterNames.Expert("q.e", "{expert}"), 0));
    }

    [Theory]
    [InlineData("q.h.task3.fc0.weight", "q.h", false, 3, ".fc0.weight")]
    [InlineData("enc.expert12", "enc", true, 12, "")]
    public void IndexedNamesSplitAndRebuild(string name, string prefix, bool experts, int index, string rest)
    {
        Assert.True(ParameterNames.TryParseIndexed(name, out var p, out var e, out var i, out var r));
        Assert.Equal((prefix, experts, index, rest), (p, e, i, r));
        Assert.Equal(name, ParameterNames.Indexed(p, e, i.ToString(System.Globalization.CultureInfo.InvariantCulture)) + r);
    }

    [Fact]
    public void ModuleNamesSplitAndRebuild()
    {
        Assert.True(ParameterNames.TryParseModule("pi.grid.module1_4.weight", out var prefix, out var layer, out var module, out var rest));
        Assert.Equal(("pi.grid", 1, 4, ".weight"), (prefix, layer, module, rest));
        Assert.Equal("pi.grid.module1_4.weight", ParameterNames.Module(prefix, layer, module) + rest);
        Assert.False(ParameterNames.TryParseModule("pi.grid.fc0.weight", out _, out _, out _, out _));
        Assert.False(ParameterNames.TryParseIndexed("pi.grid.fc0.weight", out _, out _, out _, out _));
    }

    [Fact]
    public void EveryLaidOutSliceOfAModularNetworkParsesBackToItsOwner()
    {
        var agent = SpecAssert.Clean(SpecAssert.Agent("  network q {\n    h = heads(obs, widths: [4])\n    g = pathnet(h, layers: 2, modules: 3, active: 2, width: 4)\n    out q = q_values(g, per_task: true)\n  }"));
        var slices = agent.Networks.Single().Parameters;
        foreach (var slice in slices.Where(s => s.Owner.Kind == ParameterOwnerKind.Task))
        {
            Assert.True(ParameterNames.TryParseIndexed(slice.Name, out _, out var experts, out var index, out _), slice.Name);
            Assert.False(experts);
            Assert.Equal(slice.Owner.Index, index);
        }
        var modules = slices.Where(s => s.Owner.Kind == ParameterOwnerKind.Module).ToList();
        Assert.NotEmpty(modules);
        foreach (var slice in modules)
        {
            Assert.True(ParameterNames.TryParseModule(slice.Name, out _, out var layer, out var module, out _), slice.Name);
            Assert.Equal((slice.Owner.Index, slice.Owner.Index2), (layer, module));
        }
    }
}
