using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;
using Xunit;

namespace Mtrl.Dsl.Tests;

/// <summary><c>train distill</c> and <c>train distral</c>: settings with their defaults, and the networks each needs.</summary>
public class DistillationSpecTests
{
    private const string Q = "  network q {\n    out q = q_values(mlp(obs, widths: [8]), per_task: true)\n  }";
    private const string Pi = "  network pi0 {\n    out logits = categorical(mlp(obs, widths: [8]))\n  }";

    [Fact]
    public void DistillReadsItsMethodCollectorAndEpsilonWithDqnsDefaults()
    {
        var training = SpecAssert.Clean(SpecAssert.Agent(Q, train: "train distill { method: nll  collector: teacher  steps: 5000 }")).Training;
        Assert.Equal(Algorithm.Distill, training.Algorithm);
        Assert.Equal(new DistillSettings(DistillationMethod.Nll, 0.01, DistillationCollector.Teacher, 1.0, 0.05, 500), training.Distill);
        Assert.Null(training.Distral);
        Assert.Equal((1e-4, 4, 10.0, 1.0), (training.LearningRate, training.TrainEvery, training.GradientClip, training.Tau));

        Assert.Equal(new DistillSettings(DistillationMethod.Kl, 0.5, DistillationCollector.Student, 1.0, 0.05, 100_000),
            SpecAssert.Clean(SpecAssert.Agent(Q, train: "train distill { method: kl(tau: 0.5) }")).Training.Distill);
        Assert.Equal(DistillationMethod.ActorMimic, SpecAssert.Clean(SpecAssert.Agent(Q, train: "train distill { method: actor_mimic }")).Training.Distill!.Method);
        Assert.Equal(1.0, SpecAssert.Clean(SpecAssert.Agent(Q, train: "train distill { method: actor_mimic }")).Training.Distill!.Temperature);
    }

    [Fact]
    public void DistralReadsItsCoefficientsAndNeedsAQNetworkAndACategoricalPolicy()
    {
        var training = SpecAssert.Clean(SpecAssert.Agent(Q + "\n" + Pi, train: "train distral { kl: 0.1  entropy: 0.02  target_update_every: 200  loss: mse }")).Training;
        Assert.Equal(Algorithm.Distral, training.Algorithm);
        Assert.Equal(new DistralSettings(0.1, 0.02, 200, TdLossKind.SquaredError), training.Distral);

        var missing = SpecAssert.Compile(SpecAssert.Agent(Q, train: "train @@distral { }".Replace("@@", "")));
        Assert.Contains(missing.Diagnostics, d => d.Code == "MTRL0404" && d.Message.Contains("categorical"));
        var zero = SpecAssert.Compile(SpecAssert.Agent(Q + "\n" + Pi, train: "train distral { kl: 0  entropy: 0 }"));
        Assert.Contains(zero.Diagnostics, d => d.Code == "MTRL0300" && d.Message.Contains("kl + entropy > 0"));
    }

    [Fact]
    public void SettingsOfOtherAlgorithmsWarnAndDistillationNeedsDiscreteActions()
    {
        var result = SpecAssert.Compile(SpecAssert.Agent(Q, train: "train distill { kl: 0.1  double: false }"));
        Assert.Equal(2, result.Diagnostics.Count(d => d.Code == "MTRL0406"));
        var unknown = SpecAssert.Compile(SpecAssert.Agent(Q, train: "train distill { method: softmax }"));
        Assert.Contains(unknown.Diagnostics, d => d.Message.Contains("kl") && d.Message.Contains("actor_mimic"));
        var continuous = SpecAssert.Compile(SpecAssert.Agent(
            "  network pi {\n    out a = gaussian(mlp(obs, widths: [8]))\n  }\n  network q {\n    out q = q_values(concat(obs, action))\n  }",
            header: "tasks: 2\n  input obs: 8\n  action: continuous(2, low: -1, high: 1)", train: "train distill { }"));
        Assert.Contains(continuous.Diagnostics, d => d.Message.Contains("distill needs discrete actions"));
    }
}
