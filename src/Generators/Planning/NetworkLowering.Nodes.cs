using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl;
using Mtrl.Dsl.Model;
using static Mtrl.Generators.Planning.FieldNames;

namespace Mtrl.Generators.Planning;

/// <summary>The plain layers: task lookups, concatenation, detach, FiLM, features, and the affine chains of linear, mlp, heads and readouts.</summary>
internal sealed partial class NetworkLowering
{
    private void LowerNode(NodeModel node, List<BackwardStep> backward)
    {
        var name = node.Name;
        var prefix = Prefix(node);
        var output = Field(name);
        var needs = _needsGradient.Contains(name);
        var dy = OutputGradientOf(node);
        switch (node.Op)
        {
            case OneHotOp oneHot:
                Layer(FieldElement.OneHot, Field(name, "Layer"), new OneHotCreation(oneHot.Tasks));
                _forward.Add(new TaskLookupForward(Field(name, "Layer"), output));
                break;
            case EmbeddingOp:
                Layer(FieldElement.Embedding, Field(name, "Layer"), new EmbeddingCreation(SliceName.Literal(ParameterNames.Table(prefix))));
                _forward.Add(new TaskLookupForward(Field(name, "Layer"), output));
                if (needs) backward.Add(new EmbeddingBackward(Field(name, "Layer"), dy));
                break;
            case ConcatOp:
                {
                    Layer(FieldElement.Concat, Field(name, "Layer"), new ConcatCreation(node.Inputs.Select(i => i.Width).ToEquatableArray()));
                    for (var part = 0; part < node.Inputs.Count; part++)
                    {
                        _forward.Add(new ConcatForward(Field(name, "Layer"), part, Value(node.Inputs[part].Source), output));
                    }
                    if (!needs) break;
                    for (var part = 0; part < node.Inputs.Count; part++)
                    {
                        var input = node.Inputs[part];
                        var target = InputGradientOf(input.Source, input.Width);
                        if (target.Target is null) continue;
                        backward.Add(new ConcatBackward(Field(name, "Layer"), part, dy, target.Target));
                        if (target.Accumulates) backward.Add(Accumulate(target, input.Width));
                    }
                    break;
                }
            case DetachOp:
                _forward.Add(new StopGradientForward(Value(In(node, "x")), output, node.Width));
                break;
            case FilmOp:
                {
                    Layer(FieldElement.Film, Field(name, "Layer"), new FilmCreation(SliceName.Literal(prefix)));
                    Buffer(Field(name, "GammaBeta"), 2 * node.Width, Named(node.Width, 2));
                    var x = In(node, "x");
                    var by = In(node, "by");
                    _forward.Add(new FilmForward(Field(name, "Layer"), Value(x), Value(by), Field(name, "GammaBeta"), output));
                    if (!needs) break;
                    Buffer(GradientField(name, "GammaBeta"), 2 * node.Width, Named(node.Width, 2));
                    var dx = InputGradientOf(x, node.Width);
                    var dBy = InputGradientOf(by, InWidth(node, "by"));
                    if (dx.Accumulates && dBy.Accumulates)
                    {
                        // Both inputs sum gradients: the conditioning gets the second scratch buffer.
                        dBy = dBy with { Target = SecondScratch };
                        _usesSecondScratch = true;
                    }
                    backward.Add(new FilmBackward(Field(name, "Layer"), Value(x), Value(by), Field(name, "GammaBeta"), dy, GradientField(name, "GammaBeta"), dx.Target, dBy.Target));
                    if (dx.Accumulates) backward.Add(Accumulate(dx, node.Width));
                    if (dBy.Accumulates) backward.Add(Accumulate(dBy, InWidth(node, "by")));
                    break;
                }
            case LinearOp linear:
                LowerAffineChain(node, backward, new[] { linear.Width }, linear.Activation, layerNorm: false, film: false, perTask: false, readout: false, single: true);
                break;
            case MlpOp mlp:
                LowerAffineChain(node, backward, mlp.Widths.ToArray(), mlp.Activation, mlp.LayerNorm, mlp.Film, perTask: false, readout: false);
                break;
            case HeadsOp heads:
                LowerAffineChain(node, backward, heads.Widths.ToArray(), heads.Activation, layerNorm: false, film: false, perTask: true, readout: false);
                break;
            case FeaturesOp { Affine: true } features:
                LowerAffineChain(node, backward, new[] { features.Width }, ActivationKind.None, layerNorm: false, film: false, perTask: features.PerTask, readout: true);
                break;
            case FeaturesOp:
                {
                    // The features are x itself: copied out, so the output survives the caller's next use of x's workspace.
                    var x = In(node, "x");
                    _forward.Add(new CopyForward(Value(x), output, node.Width, Named(node.Width)));
                    if (!needs) break;
                    var target = InputGradientOf(x, node.Width);
                    if (target.Target is null) break;
                    backward.Add(new CopyBackward(dy, target.Target, node.Width, Named(node.Width)));
                    if (target.Accumulates) backward.Add(Accumulate(target, node.Width));
                    break;
                }
            case HeadOp head:
                LowerAffineChain(node, backward, new[] { head.ReadoutWidth }, head is DeterministicOp ? ActivationKind.Tanh : ActivationKind.None,
                    layerNorm: false, film: false, perTask: head.PerTask, readout: true);
                break;
            case PathNetOp grid:
                LowerPathNet(node, grid, backward);
                break;
            case MoeOp { Gate: GateKind.PerTask } moe:
                // Expert t for task t: a per-task MLP over the expert slices, rows grouped by task.
                LowerAffineChain(node, backward, moe.Widths.ToArray(), moe.Activation, layerNorm: false, film: false, perTask: true, readout: false, experts: true);
                break;
            case MoeOp moe:
                LowerMoe(node, moe, backward);
                break;
            case SoftModularOp soft:
                LowerSoftModular(node, soft, backward);
                break;
            case ProgressiveOp progressive:
                LowerProgressive(node, progressive, backward);
                break;
            default:
                throw new InvalidOperationException($"the generator cannot schedule {node.Op.Kind} yet");
        }
    }

    /// <summary>One stage of an affine chain, for the backward walk: its kind, layer, values and widths.</summary>
    private enum ChainStage
    {
        Affine,
        FusedRelu,
        Norm,
        Film,
        Activation,
    }

    /// <summary>
    /// Affine layers with optional layer norm, FiLM and activation: linear, mlp, heads and readouts.
    /// In a chain of plain Linear layers with ReLU and nothing between layer and activation, each
    /// ReLU runs inside its layer's call: ForwardRelu keeps no pre-activation, the next layer's
    /// BackwardThroughRelu carries the gradient through the ReLU it reads, and a ReLU ending the
    /// chain takes its mask from its output (relu(a) &gt; 0 ⇔ a &gt; 0).
    /// </summary>
    private void LowerAffineChain(NodeModel node, List<BackwardStep> backward, int[] widths, ActivationKind activation, bool layerNorm, bool film, bool perTask, bool readout, bool single = false, bool experts = false)
    {
        var name = node.Name;
        var prefix = Prefix(node);
        var needs = _needsGradient.Contains(name);
        var x = In(node, "x");
        var filmSource = film ? In(node, "film") : null;
        var current = Value(x);
        var inputWidth = InWidth(node, "x");
        var fuseRelu = activation == ActivationKind.Relu && !perTask && !layerNorm && !film;
        // Gradient flow: each stage knows its input value, its output value and the span its output gradient lives in.
        var steps = new List<(ChainStage Kind, string Layer, string InputValue, string OutputValue, int InWidth, int Width, string GammaBeta, int Index)>();
        for (var i = 0; i < widths.Length; i++)
        {
            var width = widths[i];
            var last = i == widths.Length - 1;
            var affineOut = Field(name, $"Affine{i}");
            var fc = Field(name, $"Fc{i}");
            if (perTask)
            {
                _usesTaskSlices = true;
                // The slices of task t (or, for a per-task gate, of expert t): t is TaskSlices' loop variable.
                var part = ParameterNames.Indexed(prefix, experts, SliceName.Placeholder(LoopIndex.Task));
                Layer(FieldElement.TaskLinear, fc, new TaskLinearCreation(SliceName.Indexed(readout ? part : ParameterNames.Layer(part, i), LoopIndex.Task)));
            }
            else
            {
                Layer(FieldElement.Linear, fc, new LinearCreation(SliceName.Literal(readout || single ? prefix : ParameterNames.Layer(prefix, i))));
            }
            var hasActivation = !((readout || single) && activation == ActivationKind.None);
            if (fuseRelu)
            {
                // relu(x·W + b) in one call. The ReLU's stage stays for the backward walk: the next
                // layer's BackwardThroughRelu passes through it, or, ending the chain, it masks by its output.
                var act = Field(name, $"Activation{i}");
                var actOut = last ? Field(name) : Field(name, $"Hidden{i}");
                if (last && needs) Layer(FieldElement.Activation, act, new ActivationCreation(ActivationKind.Relu));
                if (!last) Buffer(actOut, width, Named(width));
                _forward.Add(new AffineForward(fc, current, actOut, AffineMode.FusedRelu));
                steps.Add((ChainStage.Affine, fc, current, actOut, i == 0 ? inputWidth : widths[i - 1], width, "", i));
                steps.Add((ChainStage.FusedRelu, act, actOut, actOut, width, width, "", i));
                current = actOut;
                continue;
            }
            var terminal = last && !hasActivation && !layerNorm && !film;
            var affineTarget = terminal ? Field(name) : affineOut;
            if (!terminal) Buffer(affineOut, width, Named(width));
            _forward.Add(new AffineForward(fc, current, affineTarget, perTask ? AffineMode.PerTask : AffineMode.Plain));
            steps.Add((ChainStage.Affine, fc, current, affineTarget, i == 0 ? inputWidth : widths[i - 1], width, "", i));
            current = affineTarget;
            if (layerNorm)
            {
                var norm = Field(name, $"Norm{i}");
                var normOut = Field(name, $"Normalized{i}");
                Layer(FieldElement.LayerNorm, norm, new LayerNormCreation(SliceName.Literal(ParameterNames.NormGain(prefix, i)), SliceName.Literal(ParameterNames.NormShift(prefix, i))));
                Buffer(normOut, width, Named(width));
                _forward.Add(new NormForward(norm, current, normOut));
                steps.Add((ChainStage.Norm, norm, current, normOut, width, width, "", i));
                current = normOut;
            }
            if (film)
            {
                var filmLayer = Field(name, $"Film{i}");
                var filmOut = Field(name, $"Modulated{i}");
                var gammaBeta = Field(name, $"GammaBeta{i}");
                Layer(FieldElement.Film, filmLayer, new FilmCreation(SliceName.Literal(ParameterNames.Film(prefix, i))));
                Buffer(filmOut, width, Named(width));
                Buffer(gammaBeta, 2 * width, Named(width, 2));
                _forward.Add(new FilmForward(filmLayer, current, Value(filmSource!), gammaBeta, filmOut));
                steps.Add((ChainStage.Film, filmLayer, current, filmOut, width, width, gammaBeta, i));
                current = filmOut;
            }
            if (hasActivation)
            {
                var act = Field(name, $"Activation{i}");
                var actOut = last ? Field(name) : Field(name, $"Hidden{i}");
                Layer(FieldElement.Activation, act, new ActivationCreation(activation));
                if (!last) Buffer(actOut, width, Named(width));
                _forward.Add(new ActivationForward(act, current, actOut, width, Named(width)));
                steps.Add((ChainStage.Activation, act, current, actOut, width, width, "", i));
                current = actOut;
            }
            else if (last && current != Field(name))
            {
                _forward.Add(new CopyForward(current, Field(name), width, Named(width)));
            }
        }
        if (!needs) return;

        // Backward through the stages in reverse; each stage's output gradient is the previous stage's input gradient buffer.
        var gradient = OutputGradientOf(node);
        for (var s = steps.Count - 1; s >= 0; s--)
        {
            var step = steps[s];
            // A fused ReLU read by the next affine layer: that layer's BackwardThroughRelu wrote the
            // gradient at the ReLU's input, which is where the walk goes on from.
            if (step.Kind == ChainStage.FusedRelu && s + 1 < steps.Count && steps[s + 1].Kind == ChainStage.Affine) continue;
            var first = s == 0;
            // An affine layer reading a fused ReLU's output writes the gradient at that ReLU's input.
            var throughRelu = step.Kind == ChainStage.Affine && s > 0 && steps[s - 1].Kind == ChainStage.FusedRelu;
            var into = throughRelu ? s - 1 : s;
            InputGradient target;
            if (first)
            {
                target = InputGradientOf(x, step.InWidth);
            }
            else
            {
                // Named after the value it is the gradient of (_h_normalized0 → _h_normalized0Grad),
                // as GradientField(node, role) names every part's gradient. A fused ReLU's input is
                // its layer's pre-activation, which has no buffer of its own: _h_affine0Grad.
                target = new InputGradient(steps[into].Kind == ChainStage.FusedRelu
                    ? GradientField(name, $"Affine{steps[into].Index}")
                    : steps[into].InputValue + "Grad", null);
                Buffer(target.Target!, steps[into].InWidth, Named(steps[into].InWidth));
            }
            switch (step.Kind)
            {
                case ChainStage.Affine:
                    backward.Add(new AffineBackward(step.Layer, step.InputValue, gradient, target.Target,
                        throughRelu ? AffineBackwardMode.ThroughRelu : perTask ? AffineBackwardMode.PerTask : AffineBackwardMode.Plain));
                    break;
                case ChainStage.FusedRelu:
                    // Ends the chain; the fused forward kept no pre-activation, so the mask is read from the output.
                    backward.Add(new ActivationBackward(step.Layer, step.OutputValue, step.OutputValue, gradient, target.Target, step.Width, Named(step.Width)));
                    break;
                case ChainStage.Norm:
                    backward.Add(new NormBackward(step.Layer, step.InputValue, gradient, target.Target));
                    break;
                case ChainStage.Activation:
                    backward.Add(new ActivationBackward(step.Layer, step.InputValue, step.OutputValue, gradient, target.Target, step.Width, Named(step.Width)));
                    break;
                case ChainStage.Film:
                    {
                        var dGammaBeta = step.GammaBeta + "Grad";
                        Buffer(dGammaBeta, 2 * step.Width, Named(step.Width, 2));
                        var dFilm = InputGradientOf(filmSource!, InWidth(node, "film"));
                        backward.Add(new FilmBackward(step.Layer, step.InputValue, Value(filmSource!), step.GammaBeta, gradient, dGammaBeta, target.Target, dFilm.Target));
                        if (dFilm.Accumulates) backward.Add(Accumulate(dFilm, InWidth(node, "film")));
                        break;
                    }
            }
            if (first && target.Accumulates) backward.Add(Accumulate(target, step.InWidth));
            if (target.Target is null) break;
            gradient = target.Target;
        }
    }
}
