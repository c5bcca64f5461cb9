using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;
using Xunit;

namespace Mtrl.Dsl.Tests;

/// <summary><c>out name = features(…)</c> and <c>actor_mimic(features: β)</c>: Actor-Mimic's feature regression in the language.</summary>
public class FeatureOutputTests
{
    private static string Network(string bindings) => $"  network q {{\n{bindings}\n  }}";

    private const string Distill = "train distill { method: actor_mimic(tau: 0.5, features: 0.01) }";

    [Fact]
    public void IdentityFeaturesAreTheHiddenBindingWithoutParameters()
    {
        var agent = SpecAssert.Clean(SpecAssert.Agent(Network("    h = mlp(obs, widths: [16])\n    out q = q_values(h)\n    out features = features(h)")));
        var network = agent.Networks.Single();
        Assert.Equal("q", network.Output.Name);
        var features = Assert.IsType<NodeModel>(network.Features);
        Assert.Equal(("features", 16, "h"), (features.Name, features.Width, features.Inputs.Single().Source));
        Assert.Equal(new FeaturesOp(16, Affine: false, PerTask: false), features.Op);
        Assert.DoesNotContain(network.Nodes, n => n.Op is FeaturesOp);
        Assert.DoesNotContain(network.Parameters, p => p.Node == "features");
    }

    [Fact]
    public void APredictorOwnsAnAffineMapPerTaskAfterTheNetworksOtherParameters()
    {
        var agent = SpecAssert.Clean(SpecAssert.Agent(
            Network("    h = mlp(obs, widths: [16])\n    out q = q_values(h, per_task: true)\n    out f = features(h, width: 12, per_task: true)"), train: Distill));
        var network = agent.Networks.Single();
        Assert.Equal(new FeaturesOp(12, Affine: true, PerTask: true), network.Features!.Op);
        var predictor = network.Parameters.SkipWhile(p => p.Node != "f").ToList();
        Assert.Equal(new[] { "q.f.task0.weight", "q.f.task0.bias", "q.f.task1.weight", "q.f.task1.bias" }, predictor.Select(p => p.Name));
        Assert.Equal((16, 12, ParameterOwner.Task(1)), (predictor[2].Rows, predictor[2].Columns, predictor[2].Owner));
        Assert.Equal(0.01, agent.Training.Distill!.FeatureWeight);
        Assert.Equal(0.5, agent.Training.Distill.Temperature);

        var shared = SpecAssert.Clean(SpecAssert.Agent(Network("    h = mlp(obs, widths: [16])\n    out q = q_values(h)\n    out f = features(h, width: 4)"), train: Distill));
        Assert.Equal(new[] { "q.f.weight", "q.f.bias" }, shared.Networks.Single().Parameters.Where(p => p.Node == "f").Select(p => p.Name));
    }

    [Fact]
    public void FeatureRegressionIsOffUnlessItsWeightIsGiven()
    {
        var network = Network("    h = mlp(obs, widths: [16])\n    out q = q_values(h)\n    out features = features(h)");
        Assert.Equal(0.0, SpecAssert.Clean(SpecAssert.Agent(network, train: "train distill { method: actor_mimic }")).Training.Distill!.FeatureWeight);
        var kl = SpecAssert.Compile(SpecAssert.Agent(network, train: "train distill { method: kl(features: 0.1) }"));
        Assert.Contains(kl.Diagnostics, d => d.Code == "MTRL0103" && d.Message.Contains("features"));
        var negative = SpecAssert.Compile(SpecAssert.Agent(network, train: "train distill { method: actor_mimic(features: -1) }"));
        Assert.Contains(negative.Diagnostics, d => d.Code == "MTRL0300");
    }

    [Fact]
    public void FeatureRegressionWithoutAFeaturesOutputIsAnErrorAtTheMethod()
    {
        var result = SpecAssert.Compile(SpecAssert.Agent(Network("    h = mlp(obs, widths: [16])\n    out q = q_values(h)"), train: "train distill {\n method: actor_mimic(features: 0.01) }"));
        var error = SpecAssert.Has(result, "MTRL0413", 10, 10);
        Assert.Contains("student 'q'", error.Message);
        Assert.Contains("features(h, width", error.Message);
    }

    [Fact]
    public void APredictorNothingTrainsIsAWarningButATeachersIdentityIsNot()
    {
        var predictor = SpecAssert.Compile(SpecAssert.Agent(Network("    h = mlp(obs, widths: [16])\n    out q = q_values(h)\n    out f = features(h, width: 8)")));
        var warning = Assert.Single(predictor.Diagnostics);
        Assert.Equal("MTRL0406", warning.Code);
        Assert.Contains("'f' of network 'q'", warning.Message);
        var zero = SpecAssert.Compile(SpecAssert.Agent(Network("    h = mlp(obs, widths: [16])\n    out q = q_values(h)\n    out f = features(h, width: 8)"), train: "train distill { method: actor_mimic(features: 0) }"));
        Assert.Contains(zero.Diagnostics, d => d.Code == "MTRL0406");
        SpecAssert.Clean(SpecAssert.Agent(Network("    h = mlp(obs, widths: [16])\n    out q = q_values(h)\n    out f = features(h)")));
    }

    [Theory]
    [InlineData("    h = mlp(obs, widths: [16])\n    out q = q_values(h)\n    out f = features(h, width: 0)", "MTRL0300")]
    [InlineData("    h = mlp(obs, widths: [16])\n    out q = q_values(h)\n    out f = features(h, width: 2_000_000)", "MTRL0300")]
    [InlineData("    h = mlp(obs, widths: [16])\n    out q = q_values(h)\n    out f = features(h, per_task: true)", "MTRL0107")]
    [InlineData("    h = mlp(obs, widths: [16])\n    out q = q_values(h)\n    f = features(h)", "MTRL0201")]
    [InlineData("    h = mlp(obs, widths: [16])\n    out q = q_values(mlp(features(h), widths: [4]))", "MTRL0201")]
    [InlineData("    h = mlp(obs, widths: [16])\n    g = mlp(obs, widths: [4])\n    out q = q_values(h)\n    out f = features(g)", "MTRL0201")]
    [InlineData("    h = mlp(obs, widths: [16])\n    out q = q_values(h)\n    out f = features(h)\n    out g = features(h)", "MTRL0405")]
    [InlineData("    h = mlp(obs, widths: [16])\n    out f = features(h)", "MTRL0405")]
    [InlineData("    h = mlp(obs, widths: [16])\n    out q = q_values(h)\n    out f = features(q)", "MTRL0201")]
    public void BadFeatureOutputsAreReported(string bindings, string code)
    {
        var result = SpecAssert.Compile(SpecAssert.Agent(Network(bindings)));
        Assert.Contains(result.Diagnostics, d => d.Code == code);
    }

    [Fact]
    public void FeatureNamesAreCheckedAgainstTheGeneratedCode()
    {
        // The features node becomes the field _batch of the features class, which that class uses itself.
        var field = SpecAssert.Compile(SpecAssert.Agent(Network("    h = mlp(obs, widths: [16])\n    out q = q_values(h)\n    out batch = features(h)")));
        Assert.Contains(field.Diagnostics, d => d.Code == "MTRL0111" && d.Message.Contains("'batch'"));
        // Network actor_mimic's features class would be ActorMimicFeatures, hiding the runtime type of that name.
        var type = SpecAssert.Compile(SpecAssert.Agent("  network actor_mimic {\n    h = mlp(obs, widths: [16])\n    out q = q_values(h)\n    out f = features(h)\n  }"));
        Assert.Contains(type.Diagnostics, d => d.Code == "MTRL0111" && d.Message.Contains("ActorMimicFeatures"));
        // An agent named like a network's features class would hold a member of its own name.
        var agent = SpecAssert.Compile(SpecAssert.Agent(Network("    h = mlp(obs, widths: [16])\n    out q = q_values(h)\n    out f = features(h)")).Replace("agent T", "agent QFeatures"));
        Assert.Contains(agent.Diagnostics, d => d.Code == "MTRL0111" && d.Message.Contains("features class"));
    }
}
