using System.IO;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;
using Xunit;

namespace Mtrl.Dsl.Tests;

public class ExampleSpecTests
{
    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var file in SpecAssert.ExampleFiles) data.Add(Path.GetFileName(file));
        return data;
    }

    [Fact]
    public void EveryArchitectureHasAnExample()
    {
        var names = SpecAssert.ExampleFiles.Select(Path.GetFileNameWithoutExtension).ToArray();
        Assert.True(names.Length >= 8, string.Join(", ", names));
        var ops = SpecAssert.ExampleFiles
            .SelectMany(f => SpecCompiler.Compile(f, File.ReadAllText(f)).Model.Agents)
            .SelectMany(a => a.Networks.SelectMany(n => n.Nodes).Select(n => n.Op.Kind).Concat(a.Blocks.Select(b => b.Op.Kind)))
            .ToHashSet();
        foreach (var kind in new[] { "mlp", "concat", "onehot", "embedding", "film", "detach", "moe", "soft_modular", "progressive", "pathnet", "gaussian", "q_values", "deterministic", "linear" })
        {
            Assert.Contains(kind, ops);
        }
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void ExampleCompilesWithoutDiagnostics(string name)
    {
        var path = Path.Combine(SpecAssert.SpecsDirectory, name);
        var result = SpecCompiler.Compile(path, File.ReadAllText(path));
        Assert.True(result.Diagnostics.Count == 0, string.Join("\n", result.Diagnostics));
        Assert.NotEmpty(result.Model.Agents);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void CompilingTwiceGivesEqualModels(string name)
    {
        var path = Path.Combine(SpecAssert.SpecsDirectory, name);
        var text = File.ReadAllText(path);
        var first = SpecCompiler.Compile(path, text);
        var second = SpecCompiler.Compile(path, text);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    private static AgentModel Load(string name)
    {
        var path = Path.Combine(SpecAssert.SpecsDirectory, name);
        return Assert.Single(SpecCompiler.Compile(path, File.ReadAllText(path)).Model.Agents);
    }

    [Fact]
    public void MultiHeadSacSharesTheEncoderAndSplitsHeadsPerTask()
    {
        var agent = Load("mt_mh_sac.mtrl");
        var encoder = Assert.Single(agent.Blocks);
        Assert.Equal(new[] { "actor", "critic" }, encoder.UsedBy.ToArray());
        Assert.Equal(new[] { 6 }, encoder.InputWidths.ToArray());
        // 6->256 (+LN) and 256->256 (+LN).
        var encoderCount = 6 * 256 + 256 + 512 + 256 * 256 + 256 + 512;
        var actor = agent.Networks.Single(n => n.Name == "actor");
        var critic = agent.Networks.Single(n => n.Name == "critic");
        Assert.Equal(encoderCount, actor.Parameters.Where(p => p.Node == "encoder").Sum(p => p.Count));
        // The same named groups appear in both networks: that is what sharing means to the runtime.
        Assert.Equal(actor.Parameters.Where(p => p.Node == "encoder"), critic.Parameters.Where(p => p.Node == "encoder"));
        // Gaussian head per task (mean and log-std of 2 actions): 10 x (256*4 + 4).
        var head = actor.Parameters.Where(p => p.Owner.Kind == ParameterOwnerKind.Task).ToList();
        Assert.Equal(10 * (256 * 4 + 4), head.Sum(p => p.Count));
        Assert.Equal(Enumerable.Range(0, 10), head.Select(p => p.Owner.Index).Distinct().OrderBy(i => i));
        Assert.Equal(NetworkRole.Policy, actor.Role);
        Assert.Equal(NetworkRole.Critic, critic.Role);
        Assert.True(critic.ReadsAction);
        Assert.Contains(actor.Nodes, n => n.Op is DetachOp);
        Assert.Equal(TemperatureMode.PerTask, agent.Training.Sac!.AlphaMode);
        Assert.Equal(ReplaySampling.Balanced, agent.Replay.Sampling);
    }

    [Fact]
    public void ProgressiveCountsLateralAdaptersPerColumn()
    {
        var agent = Load("progressive_dqn.mtrl");
        var q = Assert.Single(agent.Networks);
        var groups = q.Parameters.Where(p => p.Node == "h").ToList();
        long Column(int k) => groups.Where(g => g.Owner == ParameterOwner.Column(k)).Sum(g => g.Count);
        var trunk = 169 * 128 + 128 + 128 * 128 + 128;
        Assert.Equal(trunk, Column(0));
        Assert.Equal(trunk + 1 + (1 * 128 * 32 + 32) + 32 * 128, Column(1));
        Assert.Equal(trunk + 1 + (2 * 128 * 32 + 32) + 32 * 128, Column(2));
        Assert.Equal(trunk + 1 + (3 * 128 * 32 + 32) + 32 * 128, Column(3));
        Assert.Equal(ScheduleKind.Sequential, agent.Training.Schedule.Kind);
        Assert.Equal(100_000, agent.Training.Schedule.StepsPerTask);
        Assert.NotNull(agent.Replay.Priority);
    }

    [Fact]
    public void PathNetModulesAreOwnedPerModuleAndEvolutionDefaultsFollowThePaper()
    {
        var agent = Load("pathnet_dqn.mtrl");
        var q = Assert.Single(agent.Networks);
        var modules = q.Parameters.Where(p => p.Owner.Kind == ParameterOwnerKind.Module).ToList();
        Assert.Equal(3 * 10, modules.Select(p => (p.Owner.Index, p.Owner.Index2)).Distinct().Count());
        Assert.Equal(10 * (4 * 20 + 20) + 2 * 10 * (20 * 20 + 20), modules.Sum(p => p.Count));
        var evolution = agent.Evolution!;
        Assert.Equal(1.0 / (3 * 4), evolution.MutationProbability, 12);
        Assert.Equal(64, evolution.Population);
        Assert.Equal(LoserUpdates.Keep, evolution.LoserUpdates);
    }

    [Fact]
    public void SoftModularParametersFollowTheDocumentedDefinition()
    {
        var agent = Load("soft_modular_sac.mtrl");
        var actor = agent.Networks.Single(n => n.Name == "actor");
        var routed = actor.Parameters.Where(p => p.Node == "routed").Sum(p => p.Count);
        const int n = 4, r = 256, x = 256, w = 128, layers = 4;
        long Affine(int i, int o) => (long)i * o + o;
        var expected = Affine(x, r)
                       + (layers - 1) * Affine(r, n * n) + (layers - 2) * Affine(n * n, r)
                       + Affine(n * n, r) + Affine(r, n)
                       + n * Affine(x, w) + (layers - 1) * n * Affine(w, w);
        Assert.Equal(expected, routed);
        Assert.Equal(LossWeightingKind.AlphaSoftmax, agent.Training.LossWeights.Kind);
    }

    [Fact]
    public void HerBitFlipRelabelsFourFifths()
    {
        var agent = Load("her_bitflip.mtrl");
        Assert.Equal(HerGoalStrategy.Future, agent.Replay.Her!.Strategy);
        Assert.Equal(0.8, agent.Replay.Her.RelabelRatio, 12);
        Assert.Contains(agent.Inputs, i => i.Kind == InputKind.Goal && i.Width == 40);
        Assert.Equal(40, agent.Networks[0].Output.Width);
    }

    [Fact]
    public void MixtureOfExpertsGateReadsTheTaskEncoding()
    {
        var agent = Load("moe_sac.mtrl");
        var moe = (MoeOp)agent.Blocks.Single(b => b.Name == "encoder").Op;
        Assert.Equal(GateKind.Attention, moe.Gate);
        Assert.Equal(new[] { 6, 50 }, agent.Blocks.Single(b => b.Name == "encoder").InputWidths.ToArray());
        var critic = agent.Networks.Single(n => n.Name == "critic");
        var gate = critic.Parameters.Where(p => p.Name.StartsWith("encoder.gate", System.StringComparison.Ordinal)).Sum(p => p.Count);
        Assert.Equal(50 * 50 + 50 + 50 * 50 + 50 + 50 * 4 + 4, gate);
        Assert.Equal(4, critic.Parameters.Where(p => p.Owner.Kind == ParameterOwnerKind.Module).Select(p => p.Owner.Index2).Distinct().Count());
    }

    [Fact]
    public void TaskConditioningExampleUsesFilmOnEveryLayer()
    {
        var agent = Load("task_embedding_sac.mtrl");
        var actor = agent.Networks.Single(n => n.Name == "actor");
        var h = actor.Nodes.Single(n => n.Name == "h");
        var mlp = Assert.IsType<MlpOp>(h.Op);
        Assert.True(mlp.Film);
        Assert.Equal(3 * (50 * 512 + 512), actor.Parameters.Where(p => p.Name.Contains(".film")).Sum(p => p.Count));
        Assert.Equal(TaskGradientMethod.PcGrad, agent.Training.Gradients.Method);
    }
}
