using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Runtime.Layers;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// ReLU chains of plain Linear layers run ReLU inside the layer's calls (ForwardRelu,
/// BackwardThroughRelu) with no pre-activation buffer; other activations keep separate calls.
/// </summary>
public partial class NetworkTests
{
    /// <summary>A three-layer ReLU MLP beside a tanh MLP; a one-layer ReLU linear taking the action, then a ReLU MLP.</summary>
    private const string ReluChains = """
        agent ReluProbe {
          input obs: 5
          action: continuous(2)
          network actor {
            h = mlp(obs, widths: [6, 5, 4], activation: relu)
            t = mlp(obs, widths: [4, 3], activation: tanh)
            out a = gaussian(concat(h, t))
          }
          network critic {
            e = linear(concat(obs, action), width: 6, activation: relu)
            h = mlp(e, widths: [5, 4])
            out q = q_values(h)
          }
          train sac { }
        }
        """;

    /// <summary>The generated source of one network class of <see cref="ReluChains"/>.</summary>
    private static string ReluChainsClass(string className)
    {
        var source = SpecGenerator.Analyze(new SpecInput("/specs/relu.mtrl", ReluChains, "Consumer.Agents")).Source!;
        var start = source.IndexOf($"class {className}", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no class {className}");
        var end = source.IndexOf("public sealed class ", start + 1, StringComparison.Ordinal);
        return end < 0 ? source.Substring(start) : source.Substring(start, end - start);
    }

    [Fact]
    public void ReluChainsRunReluInsideTheLinearCallsAndOtherActivationsApart()
    {
        var actor = ReluChainsClass("ActorNetwork");
        // Forward: one call per layer, straight into the hidden buffers; no pre-activation kept.
        Assert.Contains("_hFc0.ForwardRelu(_obs, _hHidden0, batch);", actor);
        Assert.Contains("_hFc1.ForwardRelu(_hHidden0, _hHidden1, batch);", actor);
        Assert.Contains("_hFc2.ForwardRelu(_hHidden1, _h, batch);", actor);
        Assert.DoesNotContain("_hAffine", actor);
        Assert.DoesNotContain("_hActivation0", actor);
        Assert.DoesNotContain("_hActivation1", actor);
        // Backward: the ReLU ending the chain masks by its output, each later layer carries the
        // gradient through the ReLU it reads, and the first layer's is plain.
        Assert.Contains("_hActivation2.Backward(_h, _h, _dH, _dHStep5, batch * 4);", actor);
        Assert.Contains("_hFc2.BackwardThroughRelu(_hHidden1, _dHStep5, _dHStep3, batch);", actor);
        Assert.Contains("_hFc1.BackwardThroughRelu(_hHidden0, _dHStep3, _dHStep1, batch);", actor);
        Assert.Contains("_hFc0.Backward(_obs, _dHStep1, default, batch);", actor);
        Assert.DoesNotContain("_dHStep4", actor);
        Assert.DoesNotContain("_dHStep2", actor);

        // tanh keeps the layer and the activation apart.
        Assert.Contains("_tFc0.Forward(_obs, _tAffine0, batch);", actor);
        Assert.Contains("_tActivation0.Forward(_tAffine0, _tHidden0, batch * 4);", actor);
        Assert.Contains("_tActivation1.Backward(_tAffine1, _t, _dT, _dTStep3, batch * 3);", actor);
        Assert.Contains("_tFc1.Backward(_tHidden0, _dTStep3, _dTStep2, batch);", actor);
        Assert.DoesNotContain("_tFc0.ForwardRelu", actor);
        Assert.DoesNotContain("_tFc1.ForwardRelu", actor);
        Assert.DoesNotContain("_tFc1.BackwardThroughRelu", actor);

        // A single ReLU layer fuses too; a chain reading another node's ReLU output starts with a plain Backward.
        var critic = ReluChainsClass("CriticNetwork");
        Assert.Contains("_eFc0.ForwardRelu(_eConcat, _e, batch);", critic);
        Assert.Contains("_eActivation0.Backward(_e, _e, _dE, _dEStep1, batch * 6);", critic);
        Assert.Contains("_hFc0.Backward(_e, _dHStep1, _dE, batch);", critic);
        Assert.DoesNotContain("Affine", critic);
    }

    [Fact]
    public void FusedReluChainsAgreeExactlyWithSeparateLayerAndActivationCalls()
    {
        var compiled = Compile(ReluChains, "ReluProbe");
        var layout = compiled.Layout();
        var generatedStore = new ParameterStore(layout);
        var handStore = new ParameterStore(layout);
        generatedStore.Initialize(5);
        handStore.Initialize(5);
        // Non-zero biases, so some pre-activations of every layer are negative and some positive.
        foreach (var slice in layout.Slices.Where(s => s.Initializer.Kind == InitializerKind.Zeros))
        {
            Random(slice.Length, slice.Index, 0.3f).CopyTo(generatedStore.ValuesOf(slice));
            Random(slice.Length, slice.Index, 0.3f).CopyTo(handStore.ValuesOf(slice));
        }
        const int batch = 6;
        var network = compiled.Create("CriticNetwork", generatedStore, batch);
        var obs = Random(batch * 5, 1);
        var action = Random(batch * 2, 2);
        var y = compiled.Forward("CriticNetwork", network, new Dictionary<string, float[]> { ["obs"] = obs, ["action"] = action }, Array.Empty<int>(), batch);

        var concat = new Concat(5, 2);
        var e = new Linear(handStore, layout["critic.e.weight"], layout["critic.e.bias"]);
        var fc0 = new Linear(handStore, layout["critic.h.fc0.weight"], layout["critic.h.fc0.bias"]);
        var fc1 = new Linear(handStore, layout["critic.h.fc1.weight"], layout["critic.h.fc1.bias"]);
        var head = new Linear(handStore, layout["critic.q.weight"], layout["critic.q.bias"]);
        var relu = new Activation(ActivationKind.Relu);
        float[] x = new float[batch * 7], ae = new float[batch * 6], he = new float[batch * 6];
        float[] a0 = new float[batch * 5], h0 = new float[batch * 5], a1 = new float[batch * 4], h1 = new float[batch * 4], q = new float[batch];
        concat.Forward(0, obs, x, batch);
        concat.Forward(1, action, x, batch);
        e.Forward(x, ae, batch);
        relu.Forward(ae, he, ae.Length);
        fc0.Forward(he, a0, batch);
        relu.Forward(a0, h0, a0.Length);
        fc1.Forward(h0, a1, batch);
        relu.Forward(a1, h1, a1.Length);
        head.Forward(h1, q, batch);
        Assert.Equal(q, y);
        Assert.Contains(ae, v => v < 0f);
        Assert.Contains(a0, v => v < 0f);

        var dy = Random(batch, 3);
        compiled.Backward("CriticNetwork", network, dy);
        float[] dh1 = new float[h1.Length], da1 = new float[a1.Length], dh0 = new float[h0.Length], da0 = new float[a0.Length];
        float[] dhe = new float[he.Length], dae = new float[ae.Length], dx = new float[x.Length], dAction = new float[action.Length];
        head.Backward(h1, dy, dh1, batch);
        relu.Backward(a1, h1, dh1, da1, a1.Length);
        fc1.Backward(h0, da1, dh0, batch);
        relu.Backward(a0, h0, dh0, da0, a0.Length);
        fc0.Backward(he, da0, dhe, batch);
        relu.Backward(ae, he, dhe, dae, ae.Length);
        e.Backward(x, dae, dx, batch);
        concat.Backward(1, dx, dAction, batch);
        Assert.Equal(handStore.Gradients, generatedStore.Gradients);
        Assert.Equal(dAction, compiled.ActionGradient("CriticNetwork", network));
    }
}
