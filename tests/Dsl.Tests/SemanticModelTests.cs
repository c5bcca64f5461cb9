using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;
using Xunit;

namespace Mtrl.Dsl.Tests;

/// <summary>Widths, parameters, ownership and defaults for every construct of the language.</summary>
public class SemanticModelTests
{
    private static NetworkModel Net(string bindings, string header = "tasks: 3\n  input obs: 8\n  action: discrete(5)", string train = "train dqn { }")
    {
        var agent = SpecAssert.Clean(SpecAssert.Agent($"  network q {{\n{bindings}\n  }}", header, train));
        return Assert.Single(agent.Networks);
    }

    private static long Affine(int i, int o) => (long)i * o + o;

    [Fact]
    public void OneHotAndEmbeddingTurnTheTaskIdIntoFeatures()
    {
        var q = Net("    out q = q_values(concat(obs, onehot(task), embedding(task, dim: 6)))");
        var concat = q.Nodes.Single(n => n.Op is ConcatOp);
        Assert.Equal(8 + 3 + 6, concat.Width);
        Assert.Equal(3 * 6, q.Parameters.Where(p => p.Name.EndsWith(".table")).Sum(p => p.Count));
        Assert.Equal(Affine(17, 5), q.Parameters.Where(p => p.Node == "q").Sum(p => p.Count));
    }

    [Fact]
    public void LinearAndMlpWithLayerNormCountParameters()
    {
        var q = Net("    a = linear(obs, width: 7, activation: tanh)\n    b = mlp(a, widths: [4, 2], activation: gelu, layer_norm: true)\n    out q = q_values(b)");
        Assert.Equal(Affine(8, 7), q.Parameters.Where(p => p.Node == "a").Sum(p => p.Count));
        Assert.Equal(Affine(7, 4) + 8 + Affine(4, 2) + 4, q.Parameters.Where(p => p.Node == "b").Sum(p => p.Count));
        var mlp = (MlpOp)q.Nodes.Single(n => n.Name == "b").Op;
        Assert.Equal(ActivationKind.Gelu, mlp.Activation);
        Assert.True(mlp.LayerNorm);
        Assert.Equal(ActivationKind.Tanh, ((LinearOp)q.Nodes.Single(n => n.Name == "a").Op).Activation);
    }

    [Fact]
    public void FilmModulatesWithAnAffineMapFromTheConditioning()
    {
        var q = Net("    z = embedding(task, dim: 4)\n    h = film(mlp(obs, widths: [6]), by: z)\n    out q = q_values(h)");
        var film = q.Nodes.Single(n => n.Name == "h");
        Assert.Equal(6, film.Width);
        Assert.Equal(Affine(4, 12), q.Parameters.Where(p => p.Node == "h").Sum(p => p.Count));
        Assert.Equal(new[] { "x", "by" }, film.Inputs.Select(i => i.Parameter));
    }

    [Fact]
    public void HeadsArePerTaskMlps()
    {
        var q = Net("    h = heads(obs, widths: [4, 4])\n    out q = q_values(h)");
        var groups = q.Parameters.Where(p => p.Node == "h").ToList();
        Assert.Equal(3 * (Affine(8, 4) + Affine(4, 4)), groups.Sum(p => p.Count));
        Assert.All(groups, g => Assert.Equal(ParameterOwnerKind.Task, g.Owner.Kind));
        Assert.Equal(new[] { 0, 1, 2 }, groups.Select(g => g.Owner.Index).Distinct());
    }

    [Theory]
    [InlineData("per_task", GateKind.PerTask, 0)]
    [InlineData("ensemble", GateKind.Ensemble, 0)]
    [InlineData("topk(k: 2)", GateKind.TopK, 3 * 3 + 3)]
    [InlineData("attention(temperature: 0.5, widths: [4])", GateKind.Attention, 3 * 4 + 4 + 4 * 3 + 3)]
    public void MixtureOfExpertsGatesHaveTheirParameters(string gate, GateKind kind, long gateParameters)
    {
        var by = kind is GateKind.TopK or GateKind.Attention ? ", by: onehot(task)" : "";
        var q = Net($"    h = moe(obs{by}, experts: 3, widths: [4], gate: {gate})\n    out q = q_values(h)");
        var moe = (MoeOp)q.Nodes.Single(n => n.Name == "h").Op;
        Assert.Equal(kind, moe.Gate);
        var groups = q.Parameters.Where(p => p.Node == "h").ToList();
        Assert.Equal(3 * Affine(8, 4), groups.Where(g => g.Owner.Kind == ParameterOwnerKind.Module).Sum(g => g.Count));
        Assert.Equal(gateParameters, groups.Where(g => g.Owner.Kind == ParameterOwnerKind.Shared).Sum(g => g.Count));
        if (kind == GateKind.TopK) Assert.Equal(2, moe.TopK);
        if (kind == GateKind.Attention) Assert.Equal(0.5, moe.Temperature);
    }

    [Fact]
    public void LearnedGateWithoutByReadsTheOneHotTask()
    {
        var q = Net("    h = moe(obs, experts: 2, widths: [4], gate: attention)\n    out q = q_values(h)");
        Assert.Equal(Affine(3, 2), q.Parameters.Where(p => p.Name.Contains(".gate.")).Sum(p => p.Count));
    }

    [Fact]
    public void SoftModularWithOneLayerAndMeanMixing()
    {
        var q = Net("    h = soft_modular(obs, by: linear(onehot(task), width: 8), layers: 1, modules: 2, width: 4, mix: mean, style: mtrl)\n    out q = q_values(h)");
        var op = (SoftModularOp)q.Nodes.Single(n => n.Name == "h").Op;
        Assert.Equal((1, 2, 4, 4, SoftModularMix.Mean, SoftModularStyle.Mtrl), (op.Layers, op.Modules, op.Width, op.RoutingWidth, op.Mix, op.Style));
        Assert.Equal(Affine(8, 4) + 2 * Affine(8, 4), q.Parameters.Where(p => p.Node == "h").Sum(p => p.Count));
    }

    [Fact]
    public void SoftModuleStyleIsTheDefaultAndItsConditionsReadEveryEarlierLayer()
    {
        var q = Net("    h = soft_modular(obs, by: linear(onehot(task), width: 8), layers: 4, modules: 3, width: 4, routing: 6)\n    out q = q_values(h)");
        var op = (SoftModularOp)q.Nodes.Single(n => n.Name == "h").Op;
        Assert.Equal((SoftModularStyle.SoftModule, SoftModularMix.Gated), (op.Style, op.Mix));
        int Rows(string name) => q.Parameters.Single(p => p.Name == "q.h.route." + name + ".weight").Rows;
        // up_l reads [p⁰ | … | p^{l−1}] (l·n² values); up_gate all L − 1 matrices.
        Assert.Equal((9, 18, 27), (Rows("up1"), Rows("up2"), Rows("up_gate")));
        var mtrl = Net("    h = soft_modular(obs, by: linear(onehot(task), width: 8), layers: 4, modules: 3, width: 4, routing: 6, style: mtrl)\n    out q = q_values(h)");
        Assert.All(new[] { "up1", "up2", "up_gate" }, name => Assert.Equal(9, mtrl.Parameters.Single(p => p.Name == "q.h.route." + name + ".weight").Rows));
        // Only up2 and up_gate widen.
        Assert.Equal(Affine(18, 6) - Affine(9, 6) + Affine(27, 6) - Affine(9, 6),
            q.Parameters.Where(p => p.Node == "h").Sum(p => p.Count) - mtrl.Parameters.Where(p => p.Node == "h").Sum(p => p.Count));
    }

    [Fact]
    public void HeadsDecideRolesAndWidths()
    {
        var continuous = "tasks: 2\n  input obs: 8\n  action: continuous(3, low: -2, high: 2)";
        var policy = SpecAssert.Clean(SpecAssert.Agent(
            "  network pi {\n    out a = deterministic(mlp(obs, widths: [4]), per_task: true)\n  }\n" +
            "  network c {\n    out q = q_values(concat(obs, action))\n  }", continuous, "train td3 { }"));
        var actor = policy.Networks.Single(n => n.Name == "pi");
        Assert.Equal(NetworkRole.Policy, actor.Role);
        Assert.Equal(3, actor.Output.Width);
        Assert.Equal(2 * Affine(4, 3), actor.Parameters.Where(p => p.Owner.Kind == ParameterOwnerKind.Task).Sum(p => p.Count));
        Assert.Equal(1, policy.Networks.Single(n => n.Name == "c").Output.Width);
        Assert.Equal((-2.0, 2.0), (policy.Action.Low, policy.Action.High));

        var gaussian = SpecAssert.Clean(SpecAssert.Agent(
            "  network pi {\n    out a = gaussian(obs, log_std: [-5, 1])\n  }\n  network c {\n    out q = q_values(concat(obs, action))\n  }",
            continuous, "train sac { }"));
        var head = (GaussianOp)gaussian.Networks[0].Output.Op;
        Assert.Equal((-5.0, 1.0), (head.LogStdMin, head.LogStdMax));
        Assert.Equal(Affine(8, 6), gaussian.Networks[0].Parameters.Sum(p => p.Count));

        var discrete = SpecAssert.Clean(SpecAssert.Agent(
            "  network pi {\n    out a = categorical(obs)\n  }\n  network c {\n    out q = q_values(obs)\n  }", train: "train sac { }"));
        Assert.Equal(3, discrete.Networks[0].Output.Width);
    }

    [Fact]
    public void ValueHeadIsOneWide()
    {
        var result = SpecAssert.Compile(SpecAssert.Agent("  network v {\n    out v = value(obs, per_task: true)\n  }\n  network q {\n    out q = q_values(obs)\n  }"));
        var v = result.Model.Agents[0].Networks.Single(n => n.Name == "v");
        Assert.Equal(NetworkRole.Value, v.Role);
        Assert.Equal(1, v.Output.Width);
        // dqn does not use a value network: a warning, not an error.
        Assert.False(result.HasErrors);
        Assert.Contains(result.Diagnostics, d => d.Code == "MTRL0406");
    }

    [Fact]
    public void BindingsMayAppearInAnyOrderAndNodesComeOutInScheduleOrder()
    {
        var q = Net("    out q = q_values(b)\n    b = mlp(a, widths: [4])\n    a = mlp(obs, widths: [6])");
        Assert.Equal(new[] { "a", "b", "q" }, q.Nodes.Select(n => n.Name));
        var seen = new System.Collections.Generic.HashSet<string> { "obs", "task", "action" };
        foreach (var node in q.Nodes)
        {
            Assert.All(node.Inputs, i => Assert.Contains(i.Source, seen));
            seen.Add(node.Name);
        }
    }

    [Fact]
    public void BlocksAppliedTwiceTieWeightsAndAreCountedOnce()
    {
        var agent = SpecAssert.Clean(SpecAssert.Agent(
            "  input other: 8\n  block shared = mlp(widths: [4])\n  network q {\n    out q = q_values(concat(shared(obs), shared(other)))\n  }"));
        var q = agent.Networks[0];
        Assert.Equal(2, q.Nodes.Count(n => n.Block == "shared"));
        Assert.Equal(Affine(8, 4), q.Parameters.Where(p => p.Node == "shared").Sum(p => p.Count));
    }

    [Fact]
    public void DefaultsAreFilledForEachAlgorithm()
    {
        var dqn = SpecAssert.Clean(SpecAssert.Agent("  network q {\n    out q = q_values(obs)\n  }")).Training;
        Assert.Equal((Algorithm.Dqn, 0.99, 1e-4, 256, 1_000_000L, 4, 1.0), (dqn.Algorithm, dqn.Gamma, dqn.LearningRate, dqn.BatchSize, dqn.Steps, dqn.TrainEvery, dqn.Tau));
        Assert.Equal((true, TdLossKind.Huber, 1000, 100_000L), (dqn.Dqn!.Double, dqn.Dqn.Loss, dqn.Dqn.TargetUpdateEvery, dqn.Dqn.EpsilonDecaySteps));
        Assert.Equal(TaskGradientMethod.None, dqn.Gradients.Method);
        Assert.Equal(ScheduleKind.Joint, dqn.Schedule.Kind);

        var continuous = "tasks: 1\n  input obs: 8\n  action: continuous(2)";
        var actorCritic = "  network pi {\n    out a = HEAD(obs)\n  }\n  network c {\n    out q = q_values(concat(obs, action))\n  }";
        var sac = SpecAssert.Clean(SpecAssert.Agent(actorCritic.Replace("HEAD", "gaussian"), continuous, "train sac { }")).Training;
        Assert.Equal((3e-4, 0.005, 1), (sac.LearningRate, sac.Tau, sac.TrainEvery));
        Assert.Equal(TemperatureMode.Learned, sac.Sac!.AlphaMode);
        Assert.Null(sac.Sac.TargetEntropy);
        Assert.Equal(sac.LearningRate, sac.Sac.ActorLearningRate);

        var td3 = SpecAssert.Clean(SpecAssert.Agent(actorCritic.Replace("HEAD", "deterministic"), continuous, "train td3 { actor_lr: 1e-4 }")).Training;
        Assert.Equal((0.2, 0.5, 2, 0.1, 1e-4, 1e-3), (td3.Td3!.PolicyNoise, td3.Td3.NoiseClip, td3.Td3.PolicyDelay, td3.Td3.ExplorationNoise, td3.Td3.ActorLearningRate, td3.Td3.CriticLearningRate));
    }

    [Fact]
    public void TrainingOptionsAreRead()
    {
        var agent = SpecAssert.Clean(SpecAssert.Agent("  network q {\n    out q = q_values(obs)\n  }",
            train: "train dqn {\n    gradients: gradnorm(alpha: 0.5, lr: 0.01)\n    loss_weights: fixed(weights: [1, 2])\n    double: false\n    loss: mse\n    seed: 42\n    target_entropy_typo_free: 1\n  }".Replace("    target_entropy_typo_free: 1\n", "")));
        var t = agent.Training;
        Assert.Equal((TaskGradientMethod.GradNorm, 0.5, 0.01), (t.Gradients.Method, t.Gradients.GradNormAlpha, t.Gradients.GradNormLearningRate));
        Assert.Equal(new[] { 1.0, 2.0 }, t.LossWeights.Weights.ToArray());
        Assert.Equal((false, TdLossKind.SquaredError, 42L), (t.Dqn!.Double, t.Dqn.Loss, t.Seed));

        var cagrad = SpecAssert.Clean(SpecAssert.Agent("  network q {\n    out q = q_values(obs)\n  }", train: "train dqn { gradients: cagrad(c: 0.2, reduction: sum) }")).Training.Gradients;
        Assert.Equal((TaskGradientMethod.CaGrad, 0.2, GradientReduction.Sum), (cagrad.Method, cagrad.CaGradC, cagrad.Reduction));
    }

    [Fact]
    public void ReplayOptionsAreRead()
    {
        var agent = SpecAssert.Clean(SpecAssert.Agent("  goal g: 2\n  network q {\n    out q = q_values(concat(obs, g))\n  }\n  replay {\n    capacity: 5_000\n    per_task: true\n    sampling: balanced\n    priority: proportional(alpha: 0.7, beta: 0.5, beta_final: 0.9, epsilon: 1e-5)\n    her: episode(k: 8)\n  }"));
        var r = agent.Replay;
        Assert.Equal((5000L, true, ReplaySampling.Balanced), (r.Capacity, r.PerTask, r.Sampling));
        Assert.Equal(new PriorityModel(0.7, 0.5, 0.9, 1e-5), r.Priority);
        Assert.Equal((HerGoalStrategy.Episode, 8), (r.Her!.Strategy, r.Her.K));
        Assert.Equal(8.0 / 9.0, r.Her.RelabelRatio, 12);
    }

    [Fact]
    public void ModelGraphHoldsOnlyPlainData()
    {
        // The generator's incremental cache relies on value equality; no Roslyn or runtime types.
        var seen = new System.Collections.Generic.HashSet<System.Type>();
        void Walk(System.Type type)
        {
            if (!seen.Add(type) || type.IsPrimitive || type.IsEnum || type == typeof(string)) return;
            Assert.False(type.FullName!.StartsWith("Microsoft.CodeAnalysis", System.StringComparison.Ordinal), type.FullName);
            if (type.Namespace is { } ns && ns.StartsWith("Mtrl.Dsl", System.StringComparison.Ordinal) && type.IsClass && !type.IsAbstract)
            {
                Assert.True(type.GetMethod("<Clone>$") is not null, $"{type.Name} should be a record");
            }
            foreach (var property in type.GetProperties()) Walk(property.PropertyType);
            foreach (var argument in type.GetGenericArguments()) Walk(argument);
        }
        Walk(typeof(SpecResult));
        foreach (var op in typeof(LayerOp).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(LayerOp)))) Walk(op);
        Assert.Contains(typeof(NodeModel), seen);
    }
}
