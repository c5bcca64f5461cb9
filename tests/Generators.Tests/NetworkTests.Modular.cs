using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Mtrl.Contracts;
using Mtrl.Runtime.Layers;
using Mtrl.Runtime.Optimization;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// Mixtures of experts, soft modularization and progressive columns: each generated network
/// agrees with the same network composed by hand, one sample at a time, from runtime layers and
/// plain loops (so mixed-task batches are checked against per-sample semantics); plus routing
/// probabilities, column and pathway freezing, and zero allocations per pass.
/// </summary>
public partial class NetworkTests
{
    /// <summary>Every modular op in one agent: all gates, both mixes, one routing layer, x = by, a progressive block taking a gradient.</summary>
    private const string Modular = """
        agent ModularProbe {
          tasks: 3
          input obs: 5
          action: continuous(2)
          block cols = progressive(widths: [6, 5, 4], reduction: 3, alpha: 0.5, activation: tanh)
          network actor {
            a = moe(obs, experts: 3, widths: [4, 6], activation: gelu, gate: topk(k: 2, temperature: 0.5, widths: [5]))
            b = moe(obs, experts: 2, widths: [6], activation: elu, gate: ensemble)
            c = moe(obs, experts: 3, widths: [6], gate: per_task)
            e = linear(onehot(task), width: 6)
            s = soft_modular(b, by: e, layers: 2, modules: 3, width: 4, routing: 5, mix: mean, style: mtrl)
            g = soft_modular(c, by: c, layers: 1, modules: 2, width: 3, style: mtrl)
            out pi = gaussian(concat(a, s, g), per_task: true)
          }
          network critic {
            h = cols(concat(obs, action))
            m = moe(h, by: onehot(task), experts: 2, widths: [3], gate: attention(widths: []))
            out q = q_values(concat(h, m), per_task: true)
          }
          train sac { }
        }
        """;

    /// <summary>Degenerate sizes: one task, one column of one layer, one expert, one module, top-1.</summary>
    private const string Edges = """
        agent EdgeProbe {
          tasks: 1
          input obs: 3
          action: discrete(2)
          network q {
            p = progressive(obs, widths: [4])
            m = moe(p, experts: 1, widths: [3], gate: per_task)
            s = soft_modular(m, by: m, layers: 1, modules: 1, width: 2, mix: mean, style: mtrl)
            t = moe(s, experts: 2, widths: [2], gate: topk(k: 1))
            out q = q_values(concat(t, s))
          }
          train dqn { }
        }
        """;

    private static readonly int[] MixedTasks = { 2, 0, 1, 2, 1, 0, 2 };

    // ----- helpers for the hand-composed references (one sample at a time) -----

    private static Linear Affine(ParameterStore store, string name) => new(store, store.Layout[name + ".weight"], store.Layout[name + ".bias"]);

    private static float[] Run(Linear layer, float[] x)
    {
        var y = new float[layer.Outputs];
        layer.Forward(x, y, 1);
        return y;
    }

    private static float[] Back(Linear layer, float[] x, float[] dy)
    {
        var dx = new float[layer.Inputs];
        layer.Backward(x, dy, dx, 1);
        return dx;
    }

    private static float[] Act(ActivationKind kind, float[] x)
    {
        var y = new float[x.Length];
        new Activation(kind).Forward(x, y, x.Length);
        return y;
    }

    private static float[] ActBack(ActivationKind kind, float[] x, float[] y, float[] dy)
    {
        var dx = new float[x.Length];
        new Activation(kind).Backward(x, y, dy, dx, x.Length);
        return dx;
    }

    /// <summary>Softmax of each run of <paramref name="columns"/> values, in float64.</summary>
    private static float[] Softmax(float[] s, int columns)
    {
        var y = new float[s.Length];
        for (var row = 0; row < s.Length / columns; row++)
        {
            var max = Enumerable.Range(0, columns).Max(j => s[row * columns + j]);
            var sum = Enumerable.Range(0, columns).Sum(j => Math.Exp(s[row * columns + j] - max));
            for (var j = 0; j < columns; j++) y[row * columns + j] = (float)(Math.Exp(s[row * columns + j] - max) / sum);
        }
        return y;
    }

    private static float[] SoftmaxBack(float[] y, float[] dy, int columns)
    {
        var dx = new float[y.Length];
        for (var row = 0; row < y.Length / columns; row++)
        {
            var dot = Enumerable.Range(0, columns).Sum(j => (double)y[row * columns + j] * dy[row * columns + j]);
            for (var j = 0; j < columns; j++) dx[row * columns + j] = (float)(y[row * columns + j] * (dy[row * columns + j] - dot));
        }
        return dx;
    }

    private static float[] Mul(float[] a, float[] b) => a.Zip(b, (p, q) => p * q).ToArray();

    private static float[] Scaled(float[] a, float c) => a.Select(v => v * c).ToArray();

    private static void AddTo(float[] target, float[] part, int offset = 0)
    {
        for (var i = 0; i < part.Length; i++) target[offset + i] += part[i];
    }

    private static float Dot(float[] a, float[] b) => (float)a.Zip(b, (p, q) => (double)p * q).Sum();

    private static float[] Row(float[] data, int row, int width) => data.AsSpan(row * width, width).ToArray();

    private static float[] OneHotRow(int task, int tasks)
    {
        var z = new float[tasks];
        z[task] = 1f;
        return z;
    }

    /// <summary>‖actual − expected‖ ≤ 1e-5 ‖expected‖ (absolute for an all-zero expectation).</summary>
    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double difference = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            difference += Math.Pow((double)actual[i] - expected[i], 2);
            norm += (double)expected[i] * expected[i];
        }
        Assert.True(norm > 0, $"{what}: the reference is all zeros, so the comparison would prove nothing");
        var relative = Math.Sqrt(difference / norm);
        Assert.True(relative < 1e-5, $"{what}: relative error {relative:G3}");
    }

    /// <summary>Two stores with the same random values, every bias, gain and α included.</summary>
    private static (ParameterLayout Layout, ParameterStore Generated, ParameterStore Hand) Stores(Compiled compiled, ulong seed)
    {
        var layout = compiled.Layout();
        var generated = new ParameterStore(layout);
        generated.Initialize(seed);
        foreach (var slice in layout.Slices.Where(s => s.Initializer.Kind is InitializerKind.Zeros or InitializerKind.Constant))
        {
            Random(slice.Length, slice.Index + 100, 0.5f).CopyTo(generated.ValuesOf(slice));
        }
        var hand = new ParameterStore(layout);
        hand.CopyValuesFrom(generated);
        return (layout, generated, hand);
    }

    // ----- mixture of experts -----

    private static string MoeSpec(string gate, string activation = "tanh") => $$"""
        agent MoeProbe {
          tasks: 3
          input obs: 5
          action: discrete(3)
          network q {
            h = moe(obs, experts: 3, widths: [4, 6], activation: {{activation}}, gate: {{gate}})
            out q = q_values(h)
          }
          train dqn { }
        }
        """;

    [Theory]
    [InlineData("attention(widths: [5])", "tanh")]
    [InlineData("topk(k: 2, temperature: 0.5, widths: [5])", "tanh")]
    [InlineData("ensemble", "tanh")]
    [InlineData("per_task", "tanh")]
    [InlineData("attention(widths: [5])", "relu")]
    [InlineData("topk(k: 2, temperature: 0.5, widths: [5])", "relu")]
    public void MixtureOfExpertsAgreesWithAHandComposedNetwork(string gate, string activation)
    {
        var compiled = Compile(MoeSpec(gate, activation), "MoeProbe");
        var kind = activation == "relu" ? ActivationKind.Relu : ActivationKind.Tanh;
        var (_, generated, hand) = Stores(compiled, 21);
        var batch = MixedTasks.Length;
        var obs = Random(batch * 5, 4);
        var network = compiled.Create("QNetwork", generated, batch);
        var y = compiled.Forward("QNetwork", network, new() { ["obs"] = obs }, MixedTasks, batch);
        var dq = Random(y.Length, 6);
        compiled.Backward("QNetwork", network, dq);

        const int experts = 3;
        var fc = Enumerable.Range(0, experts).Select(e => new[] { Affine(hand, $"q.h.expert{e}.fc0"), Affine(hand, $"q.h.expert{e}.fc1") }).ToArray();
        var head = Affine(hand, "q.q");
        var learned = gate.StartsWith("attention", StringComparison.Ordinal) || gate.StartsWith("topk", StringComparison.Ordinal);
        var temperature = gate.StartsWith("topk", StringComparison.Ordinal) ? 0.5f : 1f;
        Linear? gateHidden = learned ? Affine(hand, "q.h.gate.fc0") : null, gateOut = learned ? Affine(hand, "q.h.gate.out") : null;
        var expected = new float[y.Length];
        for (var b = 0; b < batch; b++)
        {
            var x = Row(obs, b, 5);
            var task = MixedTasks[b];
            var pre = new float[experts][][];
            var post = new float[experts][][];
            for (var e = 0; e < experts; e++)
            {
                pre[e] = new float[2][];
                post[e] = new float[2][];
                pre[e][0] = Run(fc[e][0], x);
                post[e][0] = Act(kind, pre[e][0]);
                pre[e][1] = Run(fc[e][1], post[e][0]);
                post[e][1] = Act(kind, pre[e][1]);
            }
            float[] weights, z = OneHotRow(task, 3), gatePre = Array.Empty<float>(), gateHid = Array.Empty<float>();
            if (gate == "per_task") weights = OneHotRow(task, experts);
            else if (gate == "ensemble") weights = Enumerable.Repeat(1f / experts, experts).ToArray();
            else
            {
                gatePre = Run(gateHidden!, z);
                gateHid = Act(ActivationKind.Relu, gatePre);
                var scores = Scaled(Run(gateOut!, gateHid), 1f / temperature);
                if (gate.StartsWith("topk", StringComparison.Ordinal))
                {
                    // Keep the two largest scores (ties to the lower index), softmax over them.
                    var kept = Enumerable.Range(0, experts).OrderByDescending(j => scores[j]).ThenBy(j => j).Take(2).ToHashSet();
                    for (var j = 0; j < experts; j++) if (!kept.Contains(j)) scores[j] = float.NegativeInfinity;
                }
                weights = Softmax(scores, experts);
            }
            var h = new float[6];
            for (var e = 0; e < experts; e++) AddTo(h, Scaled(post[e][1], weights[e]));
            var q = Run(head, h);
            q.CopyTo(expected, b * 3);

            var dh = Back(head, h, Row(dq, b, 3));
            var dWeights = new float[experts];
            for (var e = 0; e < experts; e++)
            {
                dWeights[e] = Dot(dh, post[e][1]);
                var d1 = ActBack(kind, pre[e][1], post[e][1], Scaled(dh, weights[e]));
                var d0 = ActBack(kind, pre[e][0], post[e][0], Back(fc[e][1], post[e][0], d1));
                fc[e][0].Backward(x, d0, Span<float>.Empty, 1);
            }
            if (!learned) continue;
            var dScores = Scaled(SoftmaxBack(weights, dWeights, experts), 1f / temperature);
            var dHid = Back(gateOut!, gateHid, dScores);
            gateHidden!.Backward(z, ActBack(ActivationKind.Relu, gatePre, gateHid, dHid), Span<float>.Empty, 1);
        }
        AssertClose(expected, y, $"{gate} {activation} forward");
        AssertClose(hand.Gradients, generated.Gradients, $"{gate} {activation} parameter gradients");
    }

    // ----- soft modularization -----

    private static string SoftModularSpec(int layers, string mix) => $$"""
        agent SoftProbe {
          tasks: 3
          input obs: 5
          action: discrete(2)
          network q {
            e = linear(onehot(task), width: 5)
            s = soft_modular(obs, by: e, layers: {{layers}}, modules: 3, width: 4, routing: 6, mix: {{mix}}, style: mtrl)
            out q = q_values(s)
          }
          train dqn { }
        }
        """;

    [Theory]
    [InlineData(3, "gated")]
    [InlineData(3, "mean")]
    [InlineData(2, "gated")]
    [InlineData(1, "gated")]
    [InlineData(1, "mean")]
    public void SoftModularAgreesWithAHandComposedNetwork(int layers, string mix)
    {
        var compiled = Compile(SoftModularSpec(layers, mix), "SoftProbe");
        var (_, generated, hand) = Stores(compiled, 8);
        var batch = MixedTasks.Length;
        var obs = Random(batch * 5, 12);
        var network = compiled.Create("QNetwork", generated, batch);
        var y = compiled.Forward("QNetwork", network, new() { ["obs"] = obs }, MixedTasks, batch);
        var dq = Random(y.Length, 13);
        compiled.Backward("QNetwork", network, dq);

        const int n = 3, w = 4;
        var gated = mix == "gated";
        var embed = Affine(hand, "q.e");
        var routeIn = Affine(hand, "q.s.route.in");
        var down = Enumerable.Range(0, layers - 1).Select(l => Affine(hand, $"q.s.route.down{l}")).ToArray();
        var up = Enumerable.Range(0, layers - 1).Select(l => l == 0 ? null : Affine(hand, $"q.s.route.up{l}")).ToArray();
        var upGate = gated && layers > 1 ? Affine(hand, "q.s.route.up_gate") : null;
        var gateLayer = gated ? Affine(hand, "q.s.route.gate") : null;
        var modules = Enumerable.Range(0, layers).Select(l => Enumerable.Range(0, n).Select(m => Affine(hand, $"q.s.module{l}_{m}")).ToArray()).ToArray();
        var head = Affine(hand, "q.q");
        var expected = new float[y.Length];
        for (var b = 0; b < batch; b++)
        {
            var x = Row(obs, b, 5);
            var z = OneHotRow(MixedTasks[b], 3);
            var e = Run(embed, z);
            var product = Mul(x, e);
            var u = Run(routeIn, product);
            // Routing cascade.
            var p = new float[layers - 1][];
            var routed = new float[layers - 1][];
            var upOut = new float[layers - 1][];
            for (var l = 0; l < layers - 1; l++)
            {
                if (l == 0) routed[l] = u;
                else
                {
                    upOut[l] = Run(up[l]!, p[l - 1]);
                    routed[l] = Mul(upOut[l], u);
                }
                p[l] = Softmax(Run(down[l], Act(ActivationKind.Relu, routed[l])), n);
            }
            // Modules.
            var inputs = new float[layers][][];
            var pre = new float[layers][][];
            var post = new float[layers][][];
            for (var l = 0; l < layers; l++)
            {
                inputs[l] = new float[n][];
                pre[l] = new float[n][];
                post[l] = new float[n][];
                for (var j = 0; j < n; j++)
                {
                    if (l == 0) inputs[l][j] = x;
                    else
                    {
                        inputs[l][j] = new float[w];
                        for (var k = 0; k < n; k++) AddTo(inputs[l][j], Scaled(post[l - 1][k], p[l - 1][j * n + k]));
                    }
                    pre[l][j] = Run(modules[l][j], inputs[l][j]);
                    post[l][j] = Act(ActivationKind.Relu, pre[l][j]);
                }
            }
            // Output mix.
            float[] g, gateRouted = u, upGateOut = Array.Empty<float>(), gateHidden = Array.Empty<float>();
            if (gated)
            {
                if (layers > 1)
                {
                    upGateOut = Run(upGate!, p[layers - 2]);
                    gateRouted = Mul(upGateOut, u);
                }
                gateHidden = Act(ActivationKind.Relu, gateRouted);
                g = Softmax(Run(gateLayer!, gateHidden), n);
            }
            else g = Enumerable.Repeat(1f / n, n).ToArray();
            var output = new float[w];
            for (var k = 0; k < n; k++) AddTo(output, Scaled(post[layers - 1][k], g[k]));
            Run(head, output).CopyTo(expected, b * 2);

            // Backward.
            var dOutput = Back(head, output, Row(dq, b, 2));
            var dPost = new float[layers][][];
            for (var l = 0; l < layers; l++) dPost[l] = Enumerable.Range(0, n).Select(_ => new float[w]).ToArray();
            var dG = new float[n];
            for (var k = 0; k < n; k++)
            {
                dPost[layers - 1][k] = Scaled(dOutput, g[k]);
                dG[k] = Dot(dOutput, post[layers - 1][k]);
            }
            var dU = new float[6];
            var dP = Enumerable.Range(0, layers - 1).Select(_ => new float[n * n]).ToArray();
            if (gated)
            {
                var dHidden = Back(gateLayer!, gateHidden, SoftmaxBack(g, dG, n));
                var dRouted = ActBack(ActivationKind.Relu, gateRouted, gateHidden, dHidden);
                if (layers > 1)
                {
                    AddTo(dU, Mul(dRouted, upGateOut));
                    AddTo(dP[layers - 2], Back(upGate!, p[layers - 2], Mul(dRouted, u)));
                }
                else AddTo(dU, dRouted);
            }
            for (var l = layers - 1; l >= 1; l--)
            {
                for (var j = 0; j < n; j++)
                {
                    var dInput = Back(modules[l][j], inputs[l][j], ActBack(ActivationKind.Relu, pre[l][j], post[l][j], dPost[l][j]));
                    for (var k = 0; k < n; k++)
                    {
                        dP[l - 1][j * n + k] += Dot(dInput, post[l - 1][k]);
                        AddTo(dPost[l - 1][k], Scaled(dInput, p[l - 1][j * n + k]));
                    }
                }
                var step = l - 1;
                var hidden = Act(ActivationKind.Relu, routed[step]);
                var dRoutedStep = ActBack(ActivationKind.Relu, routed[step], hidden, Back(down[step], hidden, SoftmaxBack(p[step], dP[step], n)));
                if (step == 0) AddTo(dU, dRoutedStep);
                else
                {
                    AddTo(dU, Mul(dRoutedStep, upOut[step]));
                    AddTo(dP[step - 1], Back(up[step]!, p[step - 1], Mul(dRoutedStep, u)));
                }
            }
            for (var j = 0; j < n; j++) modules[0][j].Backward(x, ActBack(ActivationKind.Relu, pre[0][j], post[0][j], dPost[0][j]), Span<float>.Empty, 1);
            var dProduct = Back(routeIn, product, dU);
            embed.Backward(z, Mul(dProduct, x), Span<float>.Empty, 1);
        }
        AssertClose(expected, y, $"soft_modular {layers} {mix} forward");
        AssertClose(hand.Gradients, generated.Gradients, $"soft_modular {layers} {mix} parameter gradients");
    }

    [Fact]
    public void RoutingProbabilitiesAreRowStochastic()
    {
        var compiled = Compile(SoftModularSpec(3, "gated"), "SoftProbe");
        var (_, store, _) = Stores(compiled, 3);
        var network = compiled.Create("QNetwork", store, 8);
        var batch = MixedTasks.Length;
        compiled.Forward("QNetwork", network, new() { ["obs"] = Random(batch * 5, 1, 3f) }, MixedTasks, batch);
        for (var layer = 0; layer < 2; layer++)
        {
            var p = (float[])compiled.Call("QNetwork", "RoutingProbabilities", network, layer)!;
            Assert.Equal(batch * 9, p.Length);
            for (var row = 0; row < batch * 3; row++)
            {
                Assert.Equal(1.0, p.Skip(row * 3).Take(3).Sum(v => (double)v), 5);
                Assert.All(p.Skip(row * 3).Take(3), v => Assert.InRange(v, 0f, 1f));
            }
        }
        var gate = (float[])compiled.Call("QNetwork", "GateProbabilities", network)!;
        Assert.Equal(batch * 3, gate.Length);
        for (var row = 0; row < batch; row++) Assert.Equal(1.0, gate.Skip(row * 3).Take(3).Sum(v => (double)v), 5);
        var error = Assert.Throws<TargetInvocationException>(() => compiled.Call("QNetwork", "RoutingProbabilities", network, 2));
        Assert.IsType<ArgumentOutOfRangeException>(error.InnerException);

        // With two soft-modular nodes the accessors carry the node's name.
        var probe = Compile(Modular, "ModularProbe");
        var actor = probe.Networks["ActorNetwork"].Network;
        Assert.NotNull(actor.GetMethod("SRoutingProbabilities"));
        Assert.NotNull(actor.GetProperty("GGateProbabilities"));
        Assert.Equal(0, (int)actor.GetField("GRoutingLayers")!.GetRawConstantValue()!);
    }

    // ----- progressive columns -----

    private const string ProgressiveSpec = """
        agent ProgressiveProbe {
          tasks: 3
          input obs: 4
          action: discrete(2)
          network q {
            h = progressive(obs, widths: [5, 4, 3], reduction: 2, alpha: 0.5, activation: tanh)
            out q = q_values(h, per_task: true)
          }
          train dqn { }
        }
        """;

    [Theory]
    [InlineData("tanh", 17)]
    [InlineData("relu", 18)]
    public void ProgressiveColumnsAgreeWithAHandComposedNetwork(string activation, int seed)
    {
        var compiled = Compile(ProgressiveSpec.Replace("activation: tanh", $"activation: {activation}", StringComparison.Ordinal), "ProgressiveProbe");
        var (layout, generated, hand) = Stores(compiled, (ulong)seed);
        var batch = MixedTasks.Length;
        var obs = Random(batch * 4, 30);
        var network = compiled.Create("QNetwork", generated, batch);
        var y = compiled.Forward("QNetwork", network, new() { ["obs"] = obs }, MixedTasks, batch);
        var dq = Random(y.Length, 31);
        compiled.Backward("QNetwork", network, dq);

        int[] widths = { 5, 4, 3 };
        const int reduction = 2;
        var kind = activation == "relu" ? ActivationKind.Relu : ActivationKind.Tanh;
        var expected = new float[y.Length];
        for (var b = 0; b < batch; b++)
        {
            var x = Row(obs, b, 4);
            var task = MixedTasks[b];
            // Columns 0 .. task, each layer i ≥ 1 of column k ≥ 1 with its lateral adapter.
            var pre = new float[task + 1][][];
            var post = new float[task + 1][][];
            var lateralIn = new float[task + 1][][];
            var reducedPre = new float[task + 1][][];
            var reduced = new float[task + 1][][];
            for (var k = 0; k <= task; k++)
            {
                pre[k] = new float[3][];
                post[k] = new float[3][];
                lateralIn[k] = new float[3][];
                reducedPre[k] = new float[3][];
                reduced[k] = new float[3][];
                for (var i = 0; i < 3; i++)
                {
                    pre[k][i] = Run(Affine(hand, $"q.h.col{k}.fc{i}"), i == 0 ? x : post[k][i - 1]);
                    if (i > 0 && k > 0)
                    {
                        lateralIn[k][i] = Enumerable.Range(0, k).SelectMany(j => post[j][i - 1]).ToArray();
                        var alpha = hand.ValuesOf(layout[$"q.h.col{k}.lateral{i}.alpha"])[0];
                        reducedPre[k][i] = Run(Affine(hand, $"q.h.col{k}.lateral{i}.reduce"), Scaled(lateralIn[k][i], alpha));
                        reduced[k][i] = Act(kind, reducedPre[k][i]);
                        var u = hand.ValuesOf(layout[$"q.h.col{k}.lateral{i}.up.weight"]);
                        for (var o = 0; o < widths[i]; o++)
                        {
                            for (var r = 0; r < reduction; r++) pre[k][i][o] += reduced[k][i][r] * u[r * widths[i] + o];
                        }
                    }
                    post[k][i] = Act(kind, pre[k][i]);
                }
            }
            var readout = Affine(hand, $"q.q.task{task}");
            Run(readout, post[task][2]).CopyTo(expected, b * 2);

            var dPost = Enumerable.Range(0, task + 1).Select(k => widths.Select(w => new float[w]).ToArray()).ToArray();
            dPost[task][2] = Back(readout, post[task][2], Row(dq, b, 2));
            for (var k = task; k >= 0; k--)
            {
                for (var i = 2; i >= 0; i--)
                {
                    var dPre = ActBack(kind, pre[k][i], post[k][i], dPost[k][i]);
                    var fc = Affine(hand, $"q.h.col{k}.fc{i}");
                    if (i == 0)
                    {
                        fc.Backward(x, dPre, Span<float>.Empty, 1);
                        continue;
                    }
                    AddTo(dPost[k][i - 1], Back(fc, post[k][i - 1], dPre));
                    if (k == 0) continue;
                    var u = hand.ValuesOf(layout[$"q.h.col{k}.lateral{i}.up.weight"]);
                    var dU = hand.GradientsOf(layout[$"q.h.col{k}.lateral{i}.up.weight"]);
                    var dReduced = new float[reduction];
                    for (var r = 0; r < reduction; r++)
                    {
                        for (var o = 0; o < widths[i]; o++)
                        {
                            dReduced[r] += u[r * widths[i] + o] * dPre[o];
                            dU[r * widths[i] + o] += reduced[k][i][r] * dPre[o];
                        }
                    }
                    var alphaSlice = layout[$"q.h.col{k}.lateral{i}.alpha"];
                    var alpha = hand.ValuesOf(alphaSlice)[0];
                    var dScaled = Back(Affine(hand, $"q.h.col{k}.lateral{i}.reduce"), Scaled(lateralIn[k][i], alpha), ActBack(kind, reducedPre[k][i], reduced[k][i], dReduced));
                    hand.GradientsOf(alphaSlice)[0] += Dot(dScaled, lateralIn[k][i]);
                    for (var j = 0; j < k; j++) AddTo(dPost[j][i - 1], Scaled(dScaled, alpha).AsSpan(j * widths[i - 1], widths[i - 1]).ToArray());
                }
            }
        }
        AssertClose(expected, y, $"progressive {activation} forward");
        AssertClose(hand.Gradients, generated.Gradients, $"progressive {activation} parameter gradients");
        // Laterals really carry signal: every α of every active column has a gradient.
        Assert.All(layout.Slices.Where(s => s.Name.EndsWith(".alpha", StringComparison.Ordinal)), s => Assert.NotEqual(0f, generated.GradientsOf(s)[0]));
    }

    [Fact]
    public void ProgressiveColumnsActivateOneAtATime()
    {
        var compiled = Compile(ProgressiveSpec, "ProgressiveProbe");
        var (_, store, _) = Stores(compiled, 2);
        var type = compiled.Networks["QNetwork"].Network;
        var network = compiled.Create("QNetwork", store, 4, allColumns: false);
        var active = type.GetProperty("ActiveColumns")!;
        Assert.Equal(1, active.GetValue(network));
        var inputs = new Dictionary<string, float[]> { ["obs"] = Random(16, 1) };
        compiled.Forward("QNetwork", network, inputs, new[] { 0, 0, 0, 0 }, 4);
        var refused = Assert.Throws<TargetInvocationException>(() => compiled.Forward("QNetwork", network, inputs, new[] { 0, 1, 0, 0 }, 4));
        Assert.IsType<InvalidOperationException>(refused.InnerException);
        Assert.Equal(1, type.GetMethod("AddColumn")!.Invoke(network, null));
        Assert.Equal(2, type.GetMethod("AddColumn")!.Invoke(network, null));
        compiled.Forward("QNetwork", network, inputs, new[] { 2, 1, 0, 2 }, 4);
        Assert.Throws<TargetInvocationException>(() => type.GetMethod("AddColumn")!.Invoke(network, null));

        // A column's outputs do not depend on later columns (they only read earlier ones).
        var before = compiled.Forward("QNetwork", network, inputs, new[] { 1, 1, 0, 0 }, 4);
        foreach (var slice in store.Layout.Slices.Where(s => s.Owner == ParameterOwner.Column(2))) store.ValuesOf(slice).Fill(3f);
        Assert.Equal(before, compiled.Forward("QNetwork", network, inputs, new[] { 1, 1, 0, 0 }, 4));
    }

    [Fact]
    public void FrozenColumnsAreUntouchedByAnAdamStep()
    {
        var compiled = Compile(ProgressiveSpec, "ProgressiveProbe");
        var (layout, store, _) = Stores(compiled, 5);
        var type = compiled.Networks["QNetwork"].Network;
        var network = compiled.Create("QNetwork", store, 8);
        type.GetMethod("FreezeColumn")!.Invoke(network, new object[] { 0 });
        type.GetMethod("FreezeColumn")!.Invoke(network, new object[] { 1 });
        Assert.True((bool)type.GetMethod("IsColumnFrozen")!.Invoke(network, new object[] { 1 })!);
        Assert.False((bool)type.GetMethod("IsColumnFrozen")!.Invoke(network, new object[] { 2 })!);
        var before = store.Values.ToArray();
        var y = compiled.Forward("QNetwork", network, new() { ["obs"] = Random(7 * 4, 6) }, MixedTasks, 7);
        compiled.Backward("QNetwork", network, Random(y.Length, 7));
        var adam = new Adam(store, new AdamOptions(LearningRate: 1e-2f));
        Assert.True(adam.Step());
        foreach (var slice in layout.Slices)
        {
            var frozen = slice.Owner == ParameterOwner.Column(0) || slice.Owner == ParameterOwner.Column(1)
                         || slice.Owner == ParameterOwner.Task(0) || slice.Owner == ParameterOwner.Task(1);
            Assert.Equal(frozen, store.IsFrozen(slice));
            // Frozen columns still receive gradients (task 2 reads them through its laterals)...
            if (slice.Owner == ParameterOwner.Column(0)) Assert.Contains(store.GradientsOf(slice).ToArray(), g => g != 0f);
            // ...but the step leaves them bit-identical, and moves the rest.
            var unchanged = store.ValuesOf(slice).SequenceEqual(before.AsSpan(slice.Offset, slice.Length));
            Assert.True(frozen == unchanged, $"{slice.Name}: frozen {frozen}, unchanged {unchanged}");
        }
    }

    // ----- PathNet -----

    [Fact]
    public void PathNetFreezesTheWinningPathwayAndReinitialisesTheRest()
    {
        var compiled = Compile(File.ReadAllText(Path.Combine(GeneratorHarness.SpecsDirectory, "pathnet_dqn.mtrl")), "PathNetCartPole");
        var layout = compiled.Layout();
        var store = new ParameterStore(layout);
        store.Initialize(4);
        var type = compiled.Networks["QNetwork"].Network;
        var network = compiled.Create("QNetwork", store, 6);
        var setPathway = compiled.Assembly.GetType("Consumer.Harness.PathwaySetter")!.GetMethod("Set")!;
        int[][] path = { new[] { 1, 3 }, new[] { 0, 9 }, new[] { 2, 4, 6 } };
        for (var layer = 0; layer < 3; layer++) setPathway.Invoke(null, new object[] { network, 0, layer, path[layer] });
        var before = store.Values.ToArray();
        type.GetMethod("FreezePathway", new[] { typeof(int), typeof(ulong) })!.Invoke(network, new object[] { 0, 99UL });

        var fresh = new ParameterStore(layout);
        fresh.Initialize(99);
        foreach (var slice in layout.Slices)
        {
            var onPath = slice.Owner.Kind == ParameterOwnerKind.Module && path[slice.Owner.Index].Contains(slice.Owner.Index2);
            var frozen = onPath || slice.Owner == ParameterOwner.Task(0);
            Assert.Equal(frozen, store.IsFrozen(slice));
            if (slice.Owner.Kind == ParameterOwnerKind.Module)
            {
                Assert.Equal(onPath, (bool)type.GetMethod("IsModuleFrozen")!.Invoke(network, new object[] { slice.Owner.Index, slice.Owner.Index2 })!);
                // Frozen modules keep their values; the others are drawn afresh from the new seed.
                var expected = onPath ? before.AsSpan(slice.Offset, slice.Length) : fresh.ValuesOf(slice);
                Assert.True(store.ValuesOf(slice).SequenceEqual(expected), slice.Name);
            }
            else
            {
                Assert.True(store.ValuesOf(slice).SequenceEqual(before.AsSpan(slice.Offset, slice.Length)), slice.Name);
            }
        }

        // Task 1 trains on a pathway overlapping the frozen one: an Adam step leaves the frozen modules alone.
        for (var layer = 0; layer < 3; layer++) setPathway.Invoke(null, new object[] { network, 1, layer, new[] { 1, 5 } });
        var frozenBefore = store.Values.ToArray();
        var y = compiled.Forward("QNetwork", network, new() { ["state"] = Random(6 * 4, 8) }, new[] { 1, 1, 1, 0, 1, 1 }, 6);
        compiled.Backward("QNetwork", network, Random(y.Length, 9));
        Assert.True(new Adam(store, new AdamOptions(LearningRate: 1e-2f)).Step());
        foreach (var slice in layout.Slices.Where(s => s.Owner.Kind == ParameterOwnerKind.Module && s.Owner.Index2 is 1 or 5))
        {
            var unchanged = store.ValuesOf(slice).SequenceEqual(frozenBefore.AsSpan(slice.Offset, slice.Length));
            Assert.Equal(store.IsFrozen(slice), unchanged);
        }
        Assert.Contains(layout.Slices, s => s.Owner == ParameterOwner.Module(0, 1) && store.IsFrozen(s));
        Assert.Contains(layout.Slices, s => s.Owner == ParameterOwner.Module(0, 5) && !store.IsFrozen(s));
    }

    // ----- finite differences, one slice at a time -----

    public static TheoryData<string, string, string> ModularNetworks() => new()
    {
        { "modular", "ModularProbe", "ActorNetwork" },
        { "modular", "ModularProbe", "CriticNetwork" },
        { "soft", "SoftProbe", "QNetwork" },
        { "soft_module", "SoftModuleProbe", "QNetwork" },
        { "progressive", "ProgressiveProbe", "QNetwork" },
        { "moe", "MoeProbe", "QNetwork" },
        { "modular_relu", "ModularReluProbe", "QNetwork" },
    };

    /// <summary>
    /// Directional finite differences along each parameter slice separately (the whole-store
    /// check above can hide a missing gradient path of a small slice), in float64 over float32
    /// passes, on a batch of mixed tasks.
    /// </summary>
    [Theory]
    [MemberData(nameof(ModularNetworks))]
    public void EverySliceGradientMatchesFiniteDifferences(string spec, string agentName, string networkName)
    {
        var text = spec switch
        {
            "soft" => SoftModularSpec(3, "gated"),
            "progressive" => ProgressiveSpec,
            "moe" => MoeSpec("topk(k: 2, temperature: 0.5, widths: [5])"),
            _ => SpecText(spec),
        };
        var compiled = Compile(text, agentName);
        var (layout, store, _) = Stores(compiled, 19);
        var batch = MixedTasks.Length;
        var network = compiled.Create(networkName, store, batch);
        var inputs = compiled.Networks[networkName].Inputs.ToDictionary(i => i, i => Random(batch * 8, i.Length + 40, 0.8f));
        var y = compiled.Forward(networkName, network, inputs, MixedTasks, batch);
        var upstream = Random(y.Length, 41);
        double Loss() => compiled.Forward(networkName, network, inputs, MixedTasks, batch).Zip(upstream, (a, b) => (double)a * b).Sum();
        store.ZeroGradients();
        compiled.Forward(networkName, network, inputs, MixedTasks, batch);
        compiled.Backward(networkName, network, upstream);
        var gradient = store.Gradients.ToArray();
        const float epsilon = 1e-3f;
        var checkedSlices = 0;
        foreach (var slice in layout.Slices)
        {
            var direction = Random(slice.Length, slice.Index + 7, 0.5f);
            var values = store.ValuesOf(slice);
            var original = values.ToArray();
            for (var i = 0; i < values.Length; i++) values[i] = original[i] + epsilon * direction[i];
            var up = Loss();
            for (var i = 0; i < values.Length; i++) values[i] = original[i] - epsilon * direction[i];
            var down = Loss();
            original.CopyTo(values);
            var numeric = (up - down) / (2 * epsilon);
            var analytic = Enumerable.Range(0, slice.Length).Sum(i => (double)gradient[slice.Offset + i] * direction[i]);
            Assert.True(Math.Abs(numeric - analytic) <= 1e-3 + 1e-2 * Math.Abs(numeric),
                $"{networkName} {slice.Name}: directional derivative {numeric:G6} by finite differences, {analytic:G6} from Backward");
            if (Math.Abs(numeric) > 1e-3) checkedSlices++;
        }
        var own = Mtrl.Dsl.SpecCompiler.Compile("n.mtrl", text).Model.Agents.Single().Networks.Single(n => NetworkEmitter.ClassName(n) == networkName).Parameters.Count;
        Assert.True(checkedSlices > own / 2, $"only {checkedSlices} of the network's {own} slices carry a measurable gradient");
    }

    // ----- allocation -----

    [Theory]
    [MemberData(nameof(Networks))]
    public void ForwardAndBackwardAllocateNothing(string spec, string agentName, string networkName)
    {
        var compiled = Compile(SpecText(spec), agentName);
        var layout = compiled.Layout();
        var store = new ParameterStore(layout);
        store.Initialize(1);
        const int batch = 6;
        var network = compiled.Create(networkName, store, batch);
        var tasksCount = (int)compiled.Agent.GetField("Tasks")!.GetRawConstantValue()!;
        var tasks = Enumerable.Range(0, batch).Select(i => (i * 7 + 1) % tasksCount).ToArray();
        // Each input exactly batch × its width (the examples' inputs are up to 169 wide).
        var inputs = compiled.Networks[networkName].Inputs.ToDictionary(i => i, i => Random(batch * (i == "action"
            ? (int)compiled.Agent.GetField("ActionSize")!.GetRawConstantValue()!
            : (int)compiled.Agent.GetField(Mtrl.Dsl.Semantics.GeneratedNames.Pascal(i) + "Width")!.GetRawConstantValue()!), i.Length));
        var width = (int)compiled.Networks[networkName].Network.GetField("OutputWidth")!.GetRawConstantValue()!;
        var allocated = compiled.Allocations(networkName, network, inputs, tasks, batch, Random(batch * width, 3), 20);
        Assert.Equal(0L, allocated);
    }
}
