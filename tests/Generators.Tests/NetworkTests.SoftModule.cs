using System;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Runtime.Layers;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// Soft modularization in Soft-Module's style (the default, docs/language.md): forward values and
/// parameter gradients agree with a hand-composed network written from the reference's formulas,
/// and with PyTorch's autograd through both references' forward passes (the committed fixture
/// written by tests/Benchmarks/peers/soft_modular_peer.py).
/// </summary>
public partial class NetworkTests
{
    /// <summary>
    /// Two Soft-Module nodes: one routed on a base network and a task embedding (4 layers, so the
    /// conditions read 1, 2 and 3 probability matrices), one routed on its own input (x = by, 2 layers).
    /// </summary>
    private const string SoftModuleTwinSpec = """
        agent SoftModuleProbe {
          tasks: 3
          input obs: 5
          action: discrete(2)
          network q {
            b = linear(obs, width: 5)
            e = linear(onehot(task), width: 5)
            s = soft_modular(b, by: e, layers: 4, modules: 3, width: 4, routing: 6)
            t = soft_modular(b, by: b, layers: 2, modules: 2, width: 4, routing: 5, style: soft_module)
            out q = q_values(concat(s, t))
          }
          train dqn { }
        }
        """;

    private static string SoftModuleSpec(int layers, bool selfRouted) => $$"""
        agent SoftModuleProbe {
          tasks: 3
          input obs: 5
          action: discrete(2)
          network q {
            b = linear(obs, width: 5)
            e = linear(onehot(task), width: 5)
            s = soft_modular(b, by: {{(selfRouted ? "b" : "e")}}, layers: {{layers}}, modules: 3, width: 4, routing: 6)
            out q = q_values(s)
          }
          train dqn { }
        }
        """;

    [Theory]
    [InlineData(2, false)]
    [InlineData(3, false)]
    [InlineData(4, false)]
    [InlineData(3, true)]
    public void SoftModuleAgreesWithAHandComposedNetwork(int layers, bool selfRouted)
    {
        var compiled = Compile(SoftModuleSpec(layers, selfRouted), "SoftModuleProbe");
        var (_, generated, hand) = Stores(compiled, 23);
        var batch = MixedTasks.Length;
        var obs = Random(batch * 5, 24);
        var network = compiled.Create("QNetwork", generated, batch);
        var y = compiled.Forward("QNetwork", network, new() { ["obs"] = obs }, MixedTasks, batch);
        var dq = Random(y.Length, 25);
        compiled.Backward("QNetwork", network, dq);

        const int n = 3, w = 4, n2 = n * n;
        var baseLayer = Affine(hand, "q.b");
        var embed = selfRouted ? null : Affine(hand, "q.e");
        var routeIn = Affine(hand, "q.s.route.in");
        var down = Enumerable.Range(0, layers - 1).Select(l => Affine(hand, $"q.s.route.down{l}")).ToArray();
        // up[l] for l = 1 … L − 2 and up[L − 1] = up_gate: each reads [p⁰ | … | p^{l−1}].
        var up = Enumerable.Range(0, layers).Select(l => l == 0 ? null : Affine(hand, l == layers - 1 ? "q.s.route.up_gate" : $"q.s.route.up{l}")).ToArray();
        var gate = Affine(hand, "q.s.route.gate");
        var modules = Enumerable.Range(0, layers).Select(l => Enumerable.Range(0, n).Select(m => Affine(hand, $"q.s.module{l}_{m}")).ToArray()).ToArray();
        var head = Affine(hand, "q.q");
        var relu = ActivationKind.Relu;
        var expected = new float[y.Length];
        for (var b = 0; b < batch; b++)
        {
            var o = Row(obs, b, 5);
            var z = OneHotRow(MixedTasks[b], 3);
            var x = Run(baseLayer, o);
            var e = selfRouted ? x : Run(embed!, z);
            var product = Mul(x, e);
            var features = Act(relu, product);
            var u = Run(routeIn, features);
            // Routing: condition l is [p⁰ | … | p^{l−1}]; step L − 1 is the gate.
            var p = new float[layers - 1][];
            var condition = new float[layers][];
            var upOut = new float[layers][];
            var routed = new float[layers][];
            float[] Condition(int l) => Enumerable.Range(0, l).SelectMany(k => p[k]).ToArray();
            for (var l = 0; l < layers - 1; l++)
            {
                if (l == 0) routed[l] = u;
                else
                {
                    condition[l] = Condition(l);
                    upOut[l] = Run(up[l]!, condition[l]);
                    routed[l] = Mul(upOut[l], u);
                }
                p[l] = Softmax(Run(down[l], Act(relu, routed[l])), n);
            }
            condition[layers - 1] = Condition(layers - 1);
            upOut[layers - 1] = Run(up[layers - 1]!, condition[layers - 1]);
            routed[layers - 1] = Mul(upOut[layers - 1], u);
            var gateHidden = Act(relu, routed[layers - 1]);
            var g = Softmax(Run(gate, gateHidden), n);
            // Modules: affine; layer 0 reads relu(x), module j of layer l reads relu(Σₖ p[j, k] yₖ).
            var inputs = new float[layers][][];
            var outputs = new float[layers][][];
            var mixed = new float[layers][][];
            for (var l = 0; l < layers; l++)
            {
                inputs[l] = new float[n][];
                outputs[l] = new float[n][];
                mixed[l] = new float[n][];
                for (var j = 0; j < n; j++)
                {
                    if (l == 0) inputs[l][j] = Act(relu, x);
                    else
                    {
                        mixed[l][j] = new float[w];
                        for (var k = 0; k < n; k++) AddTo(mixed[l][j], Scaled(outputs[l - 1][k], p[l - 1][j * n + k]));
                        inputs[l][j] = Act(relu, mixed[l][j]);
                    }
                    outputs[l][j] = Run(modules[l][j], inputs[l][j]);
                }
            }
            var gatedMix = new float[w];
            for (var k = 0; k < n; k++) AddTo(gatedMix, Scaled(outputs[layers - 1][k], g[k]));
            var output = Act(relu, gatedMix);
            Run(head, output).CopyTo(expected, b * 2);

            // Backward.
            var dMix = ActBack(relu, gatedMix, output, Back(head, output, Row(dq, b, 2)));
            var dOutputs = new float[layers][][];
            for (var l = 0; l < layers; l++) dOutputs[l] = Enumerable.Range(0, n).Select(_ => new float[w]).ToArray();
            var dG = new float[n];
            for (var k = 0; k < n; k++)
            {
                dOutputs[layers - 1][k] = Scaled(dMix, g[k]);
                dG[k] = Dot(dMix, outputs[layers - 1][k]);
            }
            var dU = new float[6];
            var dP = Enumerable.Range(0, layers - 1).Select(_ => new float[n2]).ToArray();
            void BackThroughCondition(int l, float[] dRouted)
            {
                AddTo(dU, Mul(dRouted, upOut[l]));
                var dCondition = Back(up[l]!, condition[l], Mul(dRouted, u));
                for (var k = 0; k < l; k++) AddTo(dP[k], dCondition.Skip(k * n2).Take(n2).ToArray());
            }
            BackThroughCondition(layers - 1, ActBack(relu, routed[layers - 1], gateHidden, Back(gate, gateHidden, SoftmaxBack(g, dG, n))));
            for (var l = layers - 1; l >= 1; l--)
            {
                for (var j = 0; j < n; j++)
                {
                    var dMixed = ActBack(relu, mixed[l][j], inputs[l][j], Back(modules[l][j], inputs[l][j], dOutputs[l][j]));
                    for (var k = 0; k < n; k++)
                    {
                        dP[l - 1][j * n + k] += Dot(dMixed, outputs[l - 1][k]);
                        AddTo(dOutputs[l - 1][k], Scaled(dMixed, p[l - 1][j * n + k]));
                    }
                }
                var step = l - 1;
                var hidden = Act(relu, routed[step]);
                var dRouted = ActBack(relu, routed[step], hidden, Back(down[step], hidden, SoftmaxBack(p[step], dP[step], n)));
                if (step == 0) AddTo(dU, dRouted);
                else BackThroughCondition(step, dRouted);
            }
            var dX = new float[5];
            for (var j = 0; j < n; j++) AddTo(dX, ActBack(relu, x, inputs[0][j], Back(modules[0][j], inputs[0][j], dOutputs[0][j])));
            var dProduct = ActBack(relu, product, features, Back(routeIn, features, dU));
            AddTo(dX, Mul(dProduct, e));
            if (selfRouted) AddTo(dX, Mul(dProduct, x));
            else embed!.Backward(z, Mul(dProduct, x), Span<float>.Empty, 1);
            baseLayer.Backward(o, dX, Span<float>.Empty, 1);
        }
        AssertClose(expected, y, $"soft_module {layers} layers forward");
        AssertClose(hand.Gradients, generated.Gradients, $"soft_module {layers} layers parameter gradients");
    }
}
