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
            s = soft_modular(g, by: e, layers: 2, modules: 3, width: 4, routing: 5, mix: gated)
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
        Assert.Contains("_mExperts[expert][0].ForwardRelu(_p, _mPost[expert][0], batch);", q);
        Assert.Contains("_mExperts[expert][1].ForwardRelu(_mPost[expert][0], _mPost[expert][1], batch);", q);
        Assert.Contains("_mActivation.Backward(_mPost[expert][1], _mPost[expert][1], _dMPost1, _dMPre1, batch * 3);", q);
        Assert.Contains("_mExperts[expert][1].BackwardThroughRelu(_mPost[expert][0], _dMPre1, _dMPre0, batch);", q);
        Assert.Contains("_mExperts[expert][0].Backward(_p, _dMPre0, _dMInputPart, batch);", q);
        Assert.DoesNotContain("_mPre", q);
        Assert.DoesNotContain("_dMPost0", q);
        // Its gate: both hidden layers fused, every later gate layer goes through the ReLU it reads.
        Assert.Contains("_mGate0.ForwardRelu(_e, _mGateHidden0, batch);", q);
        Assert.Contains("_mGate1.ForwardRelu(_mGateHidden0, _mGateHidden1, batch);", q);
        Assert.Contains("_mGateOut.Forward(_mGateHidden1, _mGateScores, batch);", q);
        Assert.Contains("_mGateOut.BackwardThroughRelu(_mGateHidden1, _dMGateScores, _dMGatePre1, batch);", q);
        Assert.Contains("_mGate1.BackwardThroughRelu(_mGateHidden0, _dMGatePre1, _dMGatePre0, batch);", q);
        Assert.Contains("_mGate0.Backward(_e, _dMGatePre0, _scratch, batch);", q);
        Assert.DoesNotContain("_mGateActivation", q);
        Assert.DoesNotContain("_mGatePre", q);
        Assert.DoesNotContain("_dMGateHidden", q);
        // tanh experts keep the layer and the activation apart.
        Assert.Contains("_tExperts[expert][0].Forward(_p, _tPre[expert][0], batch);", q);
        Assert.Contains("_tActivation.Forward(_tPre[expert][0], _tPost[expert][0], batch * 3);", q);
        Assert.Contains("_tActivation.Backward(_tPre[expert][0], _tPost[expert][0], _dTPost0, _dTPre0, batch * 3);", q);
        Assert.DoesNotContain("_tExperts[expert][0].ForwardRelu", q);

        // Soft modularization: modules fused (masked by their output in the backward); the routing
        // ReLUs read elementwise products and run apart, but down and gate, their only readers,
        // carry the gradient through them.
        Assert.Contains("_sModules[0][module].ForwardRelu(_g, _sPost[0][module], batch);", q);
        Assert.Contains("_sModules[1][module].ForwardRelu(_sInputs[1][module], _sPost[1][module], batch);", q);
        Assert.Contains("_sActivation.Backward(_sPost[1][module], _sPost[1][module], _dSOut, _dSPre, batch * 4);", q);
        Assert.Contains("_sActivation.Backward(_sPost[0][module], _sPost[0][module], _dSOut, _dSPre, batch * 4);", q);
        Assert.Contains("_sActivation.Forward(_sRoutingInput, _sHidden0, batch * 5);", q);
        Assert.Contains("_sActivation.Forward(_sGateRouted, _sGateHidden, batch * 5);", q);
        Assert.Contains("_sDown0.BackwardThroughRelu(_sHidden0, _dSRoutingScores, _dSRouted, batch);", q);
        Assert.Contains("_sGate.BackwardThroughRelu(_sGateHidden, _dSGateScores, _dSGateRouted, batch);", q);
        Assert.DoesNotContain("_sPre", q);
        Assert.DoesNotContain("_dSHidden", q);
        Assert.DoesNotContain("_dSGateHidden", q);

        // PathNet: modules fused, masked by their output.
        Assert.Contains("_gModules[0][module].ForwardRelu(_obs, _gOut[0][module], batch);", q);
        Assert.Contains("_gModules[1][module].ForwardRelu(_gLayer0, _gOut[1][module], batch);", q);
        Assert.Contains("_gActivation.Backward(_gOut[1][module], _gOut[1][module], _gOutGradient, _gPreGradient, batch * 4);", q);
        Assert.Contains("_gActivation.Backward(_gOut[0][module], _gOut[0][module], _gOutGradient, _gPreGradient, batch * 4);", q);
        Assert.DoesNotContain("_gPre[", q);
        Assert.DoesNotContain("float[][][] _gPre;", q);

        // Progressive: layer 0 and the laterals' reductions fused; layers with laterals add them
        // before the ReLU and keep their pre-activation; a layer's output is also read by later
        // columns' laterals, so no layer goes through the ReLU it reads.
        Assert.Contains("_pFc0[column].ForwardRelu(_pInput.AsSpan(start * 5), _pPost0[column].AsSpan(start * 5), count);", q);
        Assert.Contains("_pReduce1[column - 1].ForwardRelu(scaled, reduced, count);", q);
        Assert.Contains("_pReduce2[column - 1].ForwardRelu(scaled, reduced, count);", q);
        Assert.Contains("_pActivation.Backward(reduced, reduced, _dPReduced, _dPReducedPre, count * 2);", q);
        Assert.Contains("_pActivation.Backward(_pPost0[column].AsSpan(start * 5), _pPost0[column].AsSpan(start * 5), _dPPost0[column].AsSpan(start * 5), _dPPre, count * 5);", q);
        Assert.Contains("_pFc1[column].Forward(_pPost0[column].AsSpan(start * 5), pre, count);", q);
        Assert.Contains("_pActivation.Forward(pre, _pPost1[column].AsSpan(start * 4), count * 4);", q);
        Assert.Contains("_pActivation.Backward(_pPre1[column].AsSpan(start * 4), _pPost1[column].AsSpan(start * 4), _dPPost1[column].AsSpan(start * 4), _dPPre, count * 4);", q);
        Assert.Contains("_pFc1[column].Backward(_pPost0[column].AsSpan(start * 5), _dPPre, _dPPart, count);", q);
        Assert.DoesNotContain("_pPre0", q);
        Assert.DoesNotContain("_pReducedPre", q);
        Assert.DoesNotContain("_pFc1[column].BackwardThroughRelu", q);
        Assert.DoesNotContain("_pFc2[column].BackwardThroughRelu", q);
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
