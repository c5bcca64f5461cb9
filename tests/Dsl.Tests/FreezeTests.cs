using System.Linq;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Semantics;
using Xunit;

namespace Mtrl.Dsl.Tests;

/// <summary><c>freeze: […]</c>: names resolve to slice-name prefixes; every other name is an error at the name, listing the names there are.</summary>
public class FreezeTests
{
    // Slices: encoder.fc0.*, q.h.fc0.*, q.q.*, and q.h_encoder applies the block.
    private const string Dqn = """
        agent T {
          tasks: 2
          input obs: 8
          action: discrete(3)
          block encoder = mlp(widths: [16])
          network q {
            h = mlp(encoder(obs), widths: [16])
            out q = q_values(concat(h, onehot(task)))
          }
          train dqn { FREEZE }
        }
        """;

    // Actor and critic both have a node 'h'; the critic alone has 'z'.
    private const string Sac = """
        agent S {
          input obs: 6
          action: continuous(2)
          network actor {
            h = mlp(obs, widths: [16])
            out pi = gaussian(h)
          }
          network critic {
            h = mlp(concat(obs, action), widths: [16])
            z = linear(h, width: 8)
            out q = q_values(z)
          }
          train sac { FREEZE }
        }
        """;

    private static SpecResult Compile(string spec, string freeze) => SpecAssert.Compile(spec.Replace("FREEZE", freeze));

    private static string[] Resolved(string spec, string freeze)
    {
        var result = Compile(spec, freeze);
        Assert.True(result.Diagnostics.Count == 0, string.Join("\n", result.Diagnostics.Select(d => d.ToMsBuildString())));
        return Assert.Single(result.Model.Agents).Training.Freeze.ToArray();
    }

    [Theory]
    [InlineData("freeze: [encoder]", new[] { "encoder" })]
    [InlineData("freeze: encoder", new[] { "encoder" })]
    [InlineData("freeze: [q.h]", new[] { "q.h" })]
    [InlineData("freeze: [h]", new[] { "q.h" })]
    [InlineData("freeze: [encoder, q.h]", new[] { "encoder", "q.h" })]
    [InlineData("freeze: [q.h.fc0.weight, encoder.fc0]", new[] { "q.h.fc0.weight", "encoder.fc0" })]
    [InlineData("freeze: [q]", new[] { "q" })]
    [InlineData("freeze: []", new string[0])]
    [InlineData("", new string[0])]
    public void NamesResolveToSlicePrefixes(string freeze, string[] expected)
    {
        Assert.Equal(expected, Resolved(Dqn, freeze));
    }

    [Fact]
    public void AnUnqualifiedNodeResolvesInTheOneNetworkThatHasIt()
    {
        Assert.Equal(new[] { "critic.z" }, Resolved(Sac, "freeze: [z]"));
        Assert.Equal(new[] { "actor.h", "critic" }, Resolved(Sac, "freeze: [actor.h, critic]"));
    }

    [Fact]
    public void ANetworkCoversItsOwnNodesNotTheBlocksItApplies()
    {
        var agent = Assert.Single(Compile(Dqn, "freeze: [q]").Model.Agents);
        var frozen = FreezeNames.SliceNames(agent).Where(s => agent.Training.Freeze.Any(p => FreezeNames.Covers(p, s))).ToArray();
        Assert.Equal(new[] { "q.h.fc0.weight", "q.h.fc0.bias", "q.q.weight", "q.q.bias" }, frozen);
        Assert.True(FreezeNames.Covers("q", "q"));
        Assert.False(FreezeNames.Covers("q", "qq.weight"));
        Assert.False(FreezeNames.Covers("q.h", "q.h_encoder.weight"));
    }

    [Theory]
    [InlineData("freeze: [encodr]", 10, 24, "'encodr' matches no parameter slice; did you mean 'encoder'?")]
    [InlineData("freeze: [q.hh]", 10, 24, "did you mean 'q.h'?")]
    [InlineData("freeze: [q.h.fc1]", 10, 24, "the slices of node 'h' of network 'q' are 'q.h.fc0.weight', 'q.h.fc0.bias'")]
    [InlineData("freeze: [h_encoder]", 10, 24, "node 'h_encoder' of network 'q' applies block 'encoder', whose parameters are named after the block; freeze 'encoder'")]
    [InlineData("freeze: [q.q_concat]", 10, 24, "node 'q_concat' of network 'q' (concat) has no parameters")]
    [InlineData("freeze: [encoder, nothing]", 10, 33, "names that can be frozen: 'q', 'encoder', 'q.h', 'q.q'")]
    public void ANameMatchingNoSliceIsAnErrorAtTheName(string freeze, int line, int column, string message)
    {
        var result = Compile(Dqn, freeze);
        var diagnostic = SpecAssert.Has(result, "MTRL0112", line, column);
        Assert.Contains(message, diagnostic.Message);
        Assert.True(result.HasErrors);
    }

    [Fact]
    public void ANodeOfSeveralNetworksIsAmbiguous()
    {
        var diagnostic = SpecAssert.Has(Compile(Sac, "freeze: [h]"), "MTRL0112", 13, 24);
        Assert.Contains("'h' is ambiguous: several networks have a node 'h'; write one of 'actor.h', 'critic.h'", diagnostic.Message);
    }

    [Fact]
    public void FreezingEverythingTheAlgorithmTrainsIsAnError()
    {
        var diagnostic = SpecAssert.Has(Compile(Dqn, "freeze: [q, encoder]"), "MTRL0412", 10, 23);
        Assert.Contains("nothing would train", diagnostic.Message);
        SpecAssert.Has(Compile(Sac, "freeze: [actor, critic]"), "MTRL0412", 13, 23);
        // The actor alone leaves the critics to train.
        Assert.Equal(new[] { "actor" }, Resolved(Sac, "freeze: [actor]"));
    }

    [Fact]
    public void ANameAddingNothingIsAWarning()
    {
        var result = Compile(Dqn, "freeze: [q, q.h, encoder.fc0, encoder.fc0.bias]");
        var covered = SpecAssert.Has(result, "MTRL0406", 10, 27);
        Assert.Contains("'q.h' has no effect: 'q' already freezes all of it", covered.Message);
        SpecAssert.Has(result, "MTRL0406", 10, 45);
        Assert.Equal(new[] { "q", "encoder.fc0" }, Assert.Single(result.Model.Agents).Training.Freeze.ToArray());
    }

    [Theory]
    [InlineData("freeze: [\"q.h\"]", "MTRL0108", "write the name without quotes: q.h")]
    [InlineData("freeze: 3", "MTRL0108", "must be a list of networks, blocks or nodes")]
    [InlineData("freeze: [q.h(1)]", "MTRL0108", "found a call to 'q.h'")]
    public void ValuesThatAreNotNamesAreTheWrongKind(string freeze, string code, string message)
    {
        var result = Compile(Dqn, freeze);
        Assert.Contains(result.Diagnostics, d => d.Code == code && d.Message.Contains(message));
    }

    [Fact]
    public void DottedNamesElsewhereAreUnknownNamesNotSyntaxErrors()
    {
        var result = SpecAssert.Compile(SpecAssert.Agent("  network q {\n    out q = q_values(mlp(obs.x, widths: [4]))\n  }"));
        var diagnostic = SpecAssert.Has(result, "MTRL0101", 6, 26);
        Assert.Contains("'obs.x'", diagnostic.Message);
        // A dot not followed by a name is still a syntax error.
        Assert.Contains(SpecAssert.Compile(SpecAssert.Agent("  network q {\n    out q = q_values(mlp(obs., widths: [4]))\n  }")).Diagnostics, d => d.Code == "MTRL0001");
    }

    [Fact]
    public void TheModelComparesByTheResolvedNames()
    {
        // Equal lengths, so the train section's span is the same too.
        var a = Assert.Single(Compile(Dqn, "freeze: [h]     ").Model.Agents);
        var b = Assert.Single(Compile(Dqn, "freeze: [q.h]   ").Model.Agents);
        var c = Assert.Single(Compile(Dqn, "freeze: [encoder]").Model.Agents);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void TheCommandLineResolvesTheSameWay()
    {
        var agent = Assert.Single(Compile(Sac, "").Model.Agents);
        Assert.Equal("critic.z", FreezeNames.Resolve(agent, "z", out _));
        Assert.Equal("actor", FreezeNames.Resolve(agent, "actor", out _));
        Assert.Null(FreezeNames.Resolve(agent, "h", out var ambiguous));
        Assert.Contains("ambiguous", ambiguous);
        Assert.Null(FreezeNames.Resolve(agent, "", out var empty));
        Assert.Contains("matches no parameter slice", empty);
        Assert.NotNull(FreezeNames.NothingLeftToTrain(agent, new[] { "actor", "critic" }));
        Assert.Null(FreezeNames.NothingLeftToTrain(agent, new[] { "actor", "critic.z" }));
        Assert.Equal(new[] { "actor", "critic", "actor.h", "actor.pi", "critic.h", "critic.z", "critic.q" }, FreezeNames.Candidates(agent.Networks));
    }
}
