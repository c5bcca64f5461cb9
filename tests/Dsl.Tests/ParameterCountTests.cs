using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using Mtrl.Contracts;
using Mtrl.Dsl.Model;
using Mtrl.Dsl.Semantics;
using Xunit;

namespace Mtrl.Dsl.Tests;

/// <summary>
/// Parameter counts are 64-bit and exact: the closed-form sizes checked against the limits equal
/// the groups the layout allocates, and sizes beyond 32 bits neither wrap nor go negative.
/// </summary>
public class ParameterCountTests
{
    private static EquatableArray<int> W(params int[] widths) => new(widths);

    /// <summary>Ops with the input widths they are applied to, covering every branch of the layout.</summary>
    public static IEnumerable<object[]> Ops()
    {
        var cases = new List<(LayerOp Op, int[] Inputs)>
        {
            (new OneHotOp(3), new int[0]),
            (new EmbeddingOp(3, 5), new int[0]),
            (new LinearOp(6, ActivationKind.None), new[] { 7 }),
            (new MlpOp(W(3, 5), ActivationKind.Relu, false, false), new[] { 7 }),
            (new MlpOp(W(3, 5, 2), ActivationKind.Relu, true, false), new[] { 7 }),
            (new MlpOp(W(3, 5), ActivationKind.Relu, true, true), new[] { 7, 4 }),
            (new ConcatOp(2), new[] { 3, 4 }),
            (new FilmOp(), new[] { 6, 3 }),
            (new DetachOp(), new[] { 6 }),
            (new HeadsOp(4, W(5, 6), ActivationKind.Relu), new[] { 7 }),
            (new MoeOp(3, W(4, 5), ActivationKind.Relu, GateKind.TopK, 2, 1.0, W(6)), new[] { 7 }),
            (new MoeOp(3, W(4, 5), ActivationKind.Relu, GateKind.Attention, 3, 1.0, W()), new[] { 7, 9 }),
            (new MoeOp(3, W(4), ActivationKind.Relu, GateKind.PerTask, 3, 1.0, W()), new[] { 7 }),
            (new MoeOp(3, W(4), ActivationKind.Relu, GateKind.Ensemble, 3, 1.0, W(8, 8)), new[] { 7 }),
            (new SoftModularOp(1, 3, 5, 4, SoftModularMix.Gated, SoftModularStyle.Mtrl), new[] { 7, 7 }),
            (new SoftModularOp(1, 3, 5, 4, SoftModularMix.Mean, SoftModularStyle.Mtrl), new[] { 7, 7 }),
            (new SoftModularOp(2, 3, 5, 4, SoftModularMix.Gated, SoftModularStyle.Mtrl), new[] { 7, 7 }),
            (new SoftModularOp(4, 3, 5, 6, SoftModularMix.Mean, SoftModularStyle.Mtrl), new[] { 7, 7 }),
            (new SoftModularOp(4, 2, 5, 6, SoftModularMix.Gated, SoftModularStyle.Mtrl), new[] { 7, 7 }),
            (new SoftModularOp(2, 3, 5, 4, SoftModularMix.Gated, SoftModularStyle.SoftModule), new[] { 7, 7 }),
            (new SoftModularOp(3, 3, 5, 6, SoftModularMix.Gated, SoftModularStyle.SoftModule), new[] { 7, 7 }),
            (new SoftModularOp(5, 2, 5, 6, SoftModularMix.Gated, SoftModularStyle.SoftModule), new[] { 7, 7 }),
            (new ProgressiveOp(1, W(5, 6), ActivationKind.Relu, 3, 0.01), new[] { 7 }),
            (new ProgressiveOp(3, W(5), ActivationKind.Relu, 3, 0.01), new[] { 7 }),
            (new ProgressiveOp(4, W(5, 6, 7), ActivationKind.Relu, 3, 0.01), new[] { 7 }),
            (new PathNetOp(1, 4, 2, 5, ActivationKind.Relu), new[] { 7 }),
            (new PathNetOp(3, 4, 2, 5, ActivationKind.Relu), new[] { 7 }),
            (new GaussianOp(2, -20, 2, false), new[] { 7 }),
            (new GaussianOp(2, -20, 2, true), new[] { 7 }),
            (new CategoricalOp(4, true), new[] { 7 }),
            (new DeterministicOp(3, false), new[] { 7 }),
            (new QValuesOp(5, true), new[] { 7 }),
            (new ValueOp(false), new[] { 7 }),
        };
        return cases.Select((c, i) => new object[] { i, c.Op, c.Inputs });
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void MeasuredSizesEqualTheAllocatedGroups(int index, LayerOp op, int[] inputs)
    {
        const int tasks = 5;
        var groups = ParameterLayout.Groups("n", "n", op, inputs, tasks);
        var size = LayerSizes.Measure(op, inputs, tasks);
        Assert.True(groups.Count == size.Tensors, $"case {index}: {groups.Count} tensors allocated, {size.Tensors} measured");
        Assert.Equal(groups.Sum(g => g.Count), size.Parameters);
        Assert.Equal(groups.Where(g => g.Owner.IsTaskSpecific).Sum(g => g.Count), size.TaskSpecific);
    }

    [Fact]
    public void MeasuredSizesEqualTheExampleSpecsGroups()
    {
        foreach (var file in SpecAssert.ExampleFiles)
        {
            var result = SpecCompiler.Compile(file, File.ReadAllText(file));
            Assert.False(result.HasErrors, file);
            foreach (var agent in result.Model.Agents)
            {
                foreach (var network in agent.Networks)
                {
                    var byNode = network.Parameters.ToLookup(p => p.Node);
                    foreach (var node in network.Nodes)
                    {
                        var owner = node.Block ?? node.Name;
                        var inputs = node.Block is { } block
                            ? agent.Blocks.Single(b => b.Name == block).InputWidths.ToArray()
                            : node.Inputs.Select(i => i.Width).ToArray();
                        var size = LayerSizes.Measure(node.Op, inputs, agent.Tasks);
                        Assert.True(byNode[owner].Sum(p => p.Count) == size.Parameters, $"{Path.GetFileName(file)}: {network.Name}.{node.Name}");
                        Assert.Equal(byNode[owner].Count(), size.Tensors);
                    }
                }
            }
        }
    }

    private static long Affine(BigInteger inputs, BigInteger outputs) => (long)(inputs * outputs + outputs);

    [Fact]
    public void CountsBeyondThirtyTwoBitsAreExact()
    {
        // 65,536 modules: modules² = 2³², which wrapped to 0 in 32-bit arithmetic.
        var soft = LayerSizes.Measure(new SoftModularOp(2, 65_536, 4, 4, SoftModularMix.Mean, SoftModularStyle.Mtrl), new[] { 4, 4 }, 1);
        Assert.Equal(Affine(4, 4) + Affine(4, BigInteger.Pow(65_536, 2)) + 2 * 65_536 * Affine(4, 4), soft.Parameters);
        Assert.Equal(21_477_457_940, soft.Parameters);

        // A wide FiLM: γ and β for 1,000,000 features from 12,750 conditioning features.
        var film = LayerSizes.Measure(new FilmOp(), new[] { 1_000_000, 12_750 }, 1);
        Assert.Equal(25_502_000_000, film.Parameters);

        var mlp = LayerSizes.Measure(new MlpOp(W(1_000_000, 1_000_000), ActivationKind.Relu, true, true), new[] { 1_000_000, 1_000_000 }, 1);
        Assert.Equal(2 * Affine(1_000_000, 1_000_000) + 4 * 1_000_000 + 2 * Affine(1_000_000, 2_000_000), mlp.Parameters);

        // Σ_k k·(w·r) for progressive laterals over 65,536 columns.
        var progressive = LayerSizes.Measure(new ProgressiveOp(65_536, W(1_000, 1_000), ActivationKind.Relu, 1_000, 0.01), new[] { 1_000 }, 65_536);
        BigInteger columns = 65_536, earlier = columns * (columns - 1) / 2;
        var expected = columns * 2 * Affine(1_000, 1_000) + (columns - 1) * (1 + 1_000 + 1_000 * 1_000) + earlier * 1_000 * 1_000;
        Assert.Equal((long)expected, progressive.Parameters);
    }

    [Fact]
    public void SizesBeyondSixtyFourBitsSaturateInsteadOfWrapping()
    {
        var huge = LayerSizes.Measure(new PathNetOp(int.MaxValue, int.MaxValue, 1, int.MaxValue, ActivationKind.Relu), new[] { int.MaxValue }, 1);
        Assert.Equal(long.MaxValue, huge.Parameters);
        var heads = LayerSizes.Measure(new HeadsOp(int.MaxValue, W(int.MaxValue, int.MaxValue), ActivationKind.Relu), new[] { int.MaxValue }, int.MaxValue);
        Assert.Equal(long.MaxValue, heads.Parameters);
        Assert.Equal(long.MaxValue, Saturating.Multiply(long.MaxValue, 2));
        Assert.Equal(long.MaxValue, Saturating.Add(long.MaxValue, 1));
        Assert.Equal(6, Saturating.Multiply(2, 3));
    }

    [Fact]
    public void AgentParameterCountsAddUpBlocksOnce()
    {
        var agent = SpecAssert.Clean(SpecAssert.Agent(
            "  block enc = mlp(widths: [30000])\n" +
            "  network pi {\n    out pi = gaussian(enc(obs))\n  }\n" +
            "  network c {\n    out q = q_values(mlp(concat(enc(obs), action), widths: [30000]))\n  }",
            "tasks: 2\n  input obs: 8\n  action: continuous(2)", "train sac { batch: 64 }"));
        var distinct = agent.Networks.SelectMany(n => n.Parameters).GroupBy(p => p.Name).Select(g => g.First()).Sum(p => p.Count);
        Assert.Equal(Affine(8, 30_000) + Affine(30_000, 4) + Affine(30_002, 30_000) + Affine(30_000, 1), distinct);
        Assert.Equal(900_510_005, distinct);
    }
}
