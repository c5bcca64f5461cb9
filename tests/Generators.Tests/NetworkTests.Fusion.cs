using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Runtime.Layers;
using Mtrl.Runtime.Parameters;
using Xunit;

namespace Mtrl.Generators.Tests;

/// <summary>
/// ReLU chains of plain Linear layers run ReLU inside the layer's calls (ForwardRelu,
/// BackwardThroughRelu) with no pre-activation buffer; other activations keep separate calls.
/// The modular blocks (mixtures of experts, soft modularization, PathNet, progressive columns)
/// do the same wherever a Linear feeds a ReLU or reads one that nothing else reads.
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
        Assert.Contains("_h_fc0.ForwardRelu(_obs, _h_hidden0, batch);", actor);
        Assert.Contains("_h_fc1.ForwardRelu(_h_hidden0, _h_hidden1, batch);", actor);
        Assert.Contains("_h_fc2.ForwardRelu(_h_hidden1, _h, batch);", actor);
        // No pre-activation buffer (its gradient, _h_affine{i}Grad, is the only _h_affine field).
        Assert.DoesNotMatch(@"_h_affine\d(?!Grad)", actor);
        Assert.DoesNotContain("_h_activation0", actor);
        Assert.DoesNotContain("_h_activation1", actor);
        // Backward: the ReLU ending the chain masks by its output, each later layer carries the
        // gradient through the ReLU it reads, and the first layer's is plain.
        Assert.Contains("_h_activation2.Backward(_h, _h, _h_grad, _h_affine2Grad, batch * HWidth);", actor);
        Assert.Contains("_h_fc2.BackwardThroughRelu(_h_hidden1, _h_affine2Grad, _h_affine1Grad, batch);", actor);
        Assert.Contains("_h_fc1.BackwardThroughRelu(_h_hidden0, _h_affine1Grad, _h_affine0Grad, batch);", actor);
        Assert.Contains("_h_fc0.Backward(_obs, _h_affine0Grad, default, batch);", actor);
        Assert.DoesNotContain("_h_hidden1Grad", actor);
        Assert.DoesNotContain("_h_hidden0Grad", actor);

        // tanh keeps the layer and the activation apart.
        Assert.Contains("_t_fc0.Forward(_obs, _t_affine0, batch);", actor);
        Assert.Contains("_t_activation0.Forward(_t_affine0, _t_hidden0, batch * 4);", actor);
        Assert.Contains("_t_activation1.Backward(_t_affine1, _t, _t_grad, _t_affine1Grad, batch * TWidth);", actor);
        Assert.Contains("_t_fc1.Backward(_t_hidden0, _t_affine1Grad, _t_hidden0Grad, batch);", actor);
        Assert.DoesNotContain("_t_fc0.ForwardRelu", actor);
        Assert.DoesNotContain("_t_fc1.ForwardRelu", actor);
        Assert.DoesNotContain("_t_fc1.BackwardThroughRelu", actor);

        // A single ReLU layer fuses too; a chain reading another node's ReLU output starts with a plain Backward.
        var critic = ReluChainsClass("CriticNetwork");
        Assert.Contains("_e_fc0.ForwardRelu(_eConcat, _e, batch);", critic);
        Assert.Contains("_e_activation0.Backward(_e, _e, _e_grad, _e_affine0Grad, batch * EWidth);", critic);
        Assert.Contains("_h_fc0.Backward(_e, _h_affine0Grad, _e_grad, batch);", critic);
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

    /// <summary>
    /// Every modular block with ReLU (the default activation): progressive columns with laterals,
    /// a PathNet grid using every module, a mixture of ReLU experts with a two-layer gate reading
    /// 'by', one of tanh experts beside it, and a gated two-layer soft modularization.
    /// </summary>
    private const string ModularRelu = """
        agent ModularReluProbe {
          tasks: 3
          input obs: 5
          action: discrete(2)
          network q {
            p = progressive(obs, widths: [5, 4, 3], reduction: 2, alpha: 0.5)
            g = pathnet(obs, layers: 2, modules: 4, active: 4, width: 4)
            e = linear(onehot(task), width: 4)
            m = moe(p, by: e, experts: 2, widths: [4, 3], gate: attention(widths: [5, 4]))
            t = moe(p, experts: 2, widths: [3], activation: tanh, gate: ensemble)
            s = soft_modular(g, by: e, layers: 2, modules: 3, width: 4, routing: 5, mix: gated, style: mtrl)
            out q = q_values(concat(m, t, s), per_task: true)
          }
          train dqn { }
        }
        """;

    [Fact]
    public void ModularBlocksRunReluInsideTheLinearCallsWhereItIsSafe()
    {
        var source = SpecGenerator.Analyze(new SpecInput("/specs/modular_relu.mtrl", ModularRelu, "Consumer.Agents")).Source!;
        var q = source.Substring(source.IndexOf("class QNetwork", StringComparison.Ordinal));

        // Mixture of ReLU experts: each layer fused; the last ReLU masks by its output, layer 1
        // carries the gradient through layer 0's ReLU; no pre-activations kept.
        Assert.Contains("_m_experts[expert][0].ForwardRelu(_p, _m_post[expert][0], batch);", q);
        Assert.Contains("_m_experts[expert][1].ForwardRelu(_m_post[expert][0], _m_post[expert][1], batch);", q);
        Assert.Contains("_m_activation.Backward(_m_post[expert][1], _m_post[expert][1], _m_post1Grad, _m_pre1Grad, batch * 3);", q);
        Assert.Contains("_m_experts[expert][1].BackwardThroughRelu(_m_post[expert][0], _m_pre1Grad, _m_pre0Grad, batch);", q);
        Assert.Contains("_m_experts[expert][0].Backward(_p, _m_pre0Grad, _m_inputPartGrad, batch);", q);
        Assert.DoesNotMatch(@"_m_pre\d*(?!\w)", q);
        Assert.DoesNotContain("_m_post0Grad", q);
        // Its gate: both hidden layers fused, every later gate layer goes through the ReLU it reads.
        Assert.Contains("_m_gate0.ForwardRelu(_e, _m_gateHidden0, batch);", q);
        Assert.Contains("_m_gate1.ForwardRelu(_m_gateHidden0, _m_gateHidden1, batch);", q);
        Assert.Contains("_m_gateOut.Forward(_m_gateHidden1, _m_gateScores, batch);", q);
        Assert.Contains("_m_gateOut.BackwardThroughRelu(_m_gateHidden1, _m_gateScoresGrad, _m_gatePre1Grad, batch);", q);
        Assert.Contains("_m_gate1.BackwardThroughRelu(_m_gateHidden0, _m_gatePre1Grad, _m_gatePre0Grad, batch);", q);
        Assert.Contains("_m_gate0.Backward(_e, _m_gatePre0Grad, _scratch, batch);", q);
        Assert.DoesNotContain("_m_gateActivation", q);
        Assert.DoesNotMatch(@"_m_gatePre\d*(?!\w)", q);
        Assert.DoesNotMatch(@"_m_gateHidden\d*Grad", q);
        // tanh experts keep the layer and the activation apart.
        Assert.Contains("_t_experts[expert][0].Forward(_p, _t_pre[expert][0], batch);", q);
        Assert.Contains("_t_activation.Forward(_t_pre[expert][0], _t_post[expert][0], batch * 3);", q);
        Assert.Contains("_t_activation.Backward(_t_pre[expert][0], _t_post[expert][0], _t_post0Grad, _t_pre0Grad, batch * 3);", q);
        Assert.DoesNotContain("_t_experts[expert][0].ForwardRelu", q);

        // Soft modularization: modules fused (masked by their output in the backward); the routing
        // ReLUs read elementwise products and run apart, but down and gate, their only readers,
        // carry the gradient through them.
        Assert.Contains("_s_modules[0][module].ForwardRelu(_g, _s_post[0][module], batch);", q);
        Assert.Contains("_s_modules[1][module].ForwardRelu(_s_inputs[1][module], _s_post[1][module], batch);", q);
        Assert.Contains("_s_activation.Backward(_s_post[1][module], _s_post[1][module], _s_outGrad, _s_preGrad, batch * 4);", q);
        Assert.Contains("_s_activation.Backward(_s_post[0][module], _s_post[0][module], _s_outGrad, _s_preGrad, batch * 4);", q);
        Assert.Contains("_s_activation.Forward(_s_routingInput, _s_hidden0, batch * 5);", q);
        Assert.Contains("_s_activation.Forward(_s_gateRouted, _s_gateHidden, batch * 5);", q);
        Assert.Contains("_s_down0.BackwardThroughRelu(_s_hidden0, _s_routingScoresGrad, _s_routedGrad, batch);", q);
        Assert.Contains("_s_gate.BackwardThroughRelu(_s_gateHidden, _s_gateScoresGrad, _s_gateRoutedGrad, batch);", q);
        Assert.DoesNotMatch(@"_s_pre\d*(?!\w)", q);
        Assert.DoesNotMatch(@"_s_hidden\d*Grad", q);
        Assert.DoesNotMatch(@"_s_gateHidden\d*Grad", q);

        // PathNet: modules fused, masked by their output.
        Assert.Contains("_g_modules[0][module].ForwardRelu(_obs, _g_out[0][module], batch);", q);
        Assert.Contains("_g_modules[1][module].ForwardRelu(_g_layer0, _g_out[1][module], batch);", q);
        Assert.Contains("_g_activation.Backward(_g_out[1][module], _g_out[1][module], _g_outGradient, _g_preGradient, batch * 4);", q);
        Assert.Contains("_g_activation.Backward(_g_out[0][module], _g_out[0][module], _g_outGradient, _g_preGradient, batch * 4);", q);
        Assert.DoesNotContain("_g_pre[", q);
        Assert.DoesNotContain("float[][][] _g_pre;", q);

        // Progressive: layer 0 and the laterals' reductions fused; layers with laterals add them
        // before the ReLU and keep their pre-activation; a layer's output is also read by later
        // columns' laterals, so no layer goes through the ReLU it reads.
        Assert.Contains("_p_fc0[column].ForwardRelu(_p_input.AsSpan(start * 5), _p_post0[column].AsSpan(start * 5), count);", q);
        Assert.Contains("_p_reduce1[column - 1].ForwardRelu(scaled, reduced, count);", q);
        Assert.Contains("_p_reduce2[column - 1].ForwardRelu(scaled, reduced, count);", q);
        Assert.Contains("_p_activation.Backward(reduced, reduced, _p_reducedGrad, _p_reducedPreGrad, count * 2);", q);
        Assert.Contains("_p_activation.Backward(_p_post0[column].AsSpan(start * 5), _p_post0[column].AsSpan(start * 5), _p_post0Grad[column].AsSpan(start * 5), _p_preGrad, count * 5);", q);
        Assert.Contains("_p_fc1[column].Forward(_p_post0[column].AsSpan(start * 5), pre, count);", q);
        Assert.Contains("_p_activation.Forward(pre, _p_post1[column].AsSpan(start * 4), count * 4);", q);
        Assert.Contains("_p_activation.Backward(_p_pre1[column].AsSpan(start * 4), _p_post1[column].AsSpan(start * 4), _p_post1Grad[column].AsSpan(start * 4), _p_preGrad, count * 4);", q);
        Assert.Contains("_p_fc1[column].Backward(_p_post0[column].AsSpan(start * 5), _p_preGrad, _p_partGrad, count);", q);
        Assert.DoesNotContain("_p_pre0", q);
        Assert.DoesNotMatch(@"_p_reducedPre\d*(?!\w)", q);
        Assert.DoesNotContain("_p_fc1[column].BackwardThroughRelu", q);
        Assert.DoesNotContain("_p_fc2[column].BackwardThroughRelu", q);
    }

    [Fact]
    public void FusedMixtureOfReluExpertsAgreesExactlyWithSeparateLayerAndActivationCalls()
    {
        var compiled = Compile(MoeSpec("attention(widths: [5, 4])", "relu"), "MoeProbe");
        var (layout, generated, hand) = Stores(compiled, 23);
        const int batch = 7, experts = 3;
        var tasks = MixedTasks;
        var obs = Random(batch * 5, 24);
        var network = compiled.Create("QNetwork", generated, batch);
        var y = compiled.Forward("QNetwork", network, new() { ["obs"] = obs }, tasks, batch);

        var relu = new Activation(ActivationKind.Relu);
        var grid = new Concat(6, 6, 6);
        var mix = new ModuleMix(experts, 1, 6);
        var fc = Enumerable.Range(0, experts).Select(e => new[] { Affine(hand, $"q.h.expert{e}.fc0"), Affine(hand, $"q.h.expert{e}.fc1") }).ToArray();
        Linear gate0 = Affine(hand, "q.h.gate.fc0"), gate1 = Affine(hand, "q.h.gate.fc1"), gateOut = Affine(hand, "q.h.gate.out"), head = Affine(hand, "q.q");
        var a0 = Enumerable.Range(0, experts).Select(_ => new float[batch * 4]).ToArray();
        var h0 = Enumerable.Range(0, experts).Select(_ => new float[batch * 4]).ToArray();
        var a1 = Enumerable.Range(0, experts).Select(_ => new float[batch * 6]).ToArray();
        var h1 = Enumerable.Range(0, experts).Select(_ => new float[batch * 6]).ToArray();
        float[] outputs = new float[batch * experts * 6], z = new float[batch * 3], gp0 = new float[batch * 5], gh0 = new float[batch * 5];
        float[] gp1 = new float[batch * 4], gh1 = new float[batch * 4], scores = new float[batch * experts], weights = new float[batch * experts];
        float[] h = new float[batch * 6], q = new float[batch * 3];
        for (var e = 0; e < experts; e++)
        {
            fc[e][0].Forward(obs, a0[e], batch);
            relu.Forward(a0[e], h0[e], a0[e].Length);
            fc[e][1].Forward(h0[e], a1[e], batch);
            relu.Forward(a1[e], h1[e], a1[e].Length);
            grid.Forward(e, h1[e], outputs, batch);
        }
        new OneHot(3).Forward(tasks, z, batch);
        gate0.Forward(z, gp0, batch);
        relu.Forward(gp0, gh0, gp0.Length);
        gate1.Forward(gh0, gp1, batch);
        relu.Forward(gp1, gh1, gp1.Length);
        gateOut.Forward(gh1, scores, batch);
        RowSoftmax.Forward(scores, weights, batch, experts);
        mix.Forward(weights, outputs, h, batch);
        head.Forward(h, q, batch);
        Assert.Equal(q, y);
        // Every fused ReLU has inputs on both sides of zero.
        foreach (var pre in a0.Concat(a1).Append(gp0).Append(gp1))
        {
            Assert.Contains(pre, v => v < 0f);
            Assert.Contains(pre, v => v > 0f);
        }

        var dq = Random(y.Length, 25);
        compiled.Backward("QNetwork", network, dq);
        float[] dh = new float[h.Length], dWeights = new float[weights.Length], dOutputs = new float[outputs.Length];
        float[] dPost1 = new float[batch * 6], dPre1 = new float[batch * 6], dPost0 = new float[batch * 4], dPre0 = new float[batch * 4];
        float[] dScores = new float[scores.Length], dgh1 = new float[gh1.Length], dgp1 = new float[gp1.Length], dgh0 = new float[gh0.Length], dgp0 = new float[gp0.Length];
        head.Backward(h, dq, dh, batch);
        mix.Backward(weights, outputs, dh, dWeights, dOutputs, batch);
        for (var e = 0; e < experts; e++)
        {
            grid.Backward(e, dOutputs, dPost1, batch);
            relu.Backward(a1[e], h1[e], dPost1, dPre1, dPost1.Length);
            fc[e][1].Backward(h0[e], dPre1, dPost0, batch);
            relu.Backward(a0[e], h0[e], dPost0, dPre0, dPost0.Length);
            fc[e][0].Backward(obs, dPre0, Span<float>.Empty, batch);
        }
        RowSoftmax.Backward(weights, dWeights, dScores, batch, experts);
        gateOut.Backward(gh1, dScores, dgh1, batch);
        relu.Backward(gp1, gh1, dgh1, dgp1, dgp1.Length);
        gate1.Backward(gh0, dgp1, dgh0, batch);
        relu.Backward(gp0, gh0, dgh0, dgp0, dgp0.Length);
        gate0.Backward(z, dgp0, Span<float>.Empty, batch);
        Assert.Equal(hand.Gradients, generated.Gradients);
        Assert.Contains(generated.Gradients.ToArray(), g => g != 0f);
        Assert.True(layout.Slices.All(s => generated.GradientsOf(s).ToArray().Any(g => g != 0f)), "a slice took no gradient");
    }
}
