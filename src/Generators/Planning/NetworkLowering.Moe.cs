using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl;
using Mtrl.Dsl.Model;
using static Mtrl.Generators.Planning.FieldNames;

namespace Mtrl.Generators.Planning;

/// <summary>Mixtures of experts with attention, top-k or ensemble gates (per-task gates are per-task affine chains).</summary>
internal sealed partial class NetworkLowering
{
    /// <summary>
    /// Every expert MLP runs on the whole batch, the gate gives each sample its weights w [batch, E],
    /// and ModuleMix forms Σₑ wₑ · expertₑ(x). ReLU experts run each ReLU inside its layer's call
    /// (the next layer's BackwardThroughRelu, or for the last layer a mask by the output), and so
    /// do the gate's hidden ReLU layers, each read only by the next gate layer.
    /// </summary>
    private void LowerMoe(NodeModel node, MoeOp moe, List<BackwardStep> backward)
    {
        var name = node.Name;
        var prefix = Prefix(node);
        var x = In(node, "x");
        var inputWidth = InWidth(node, "x");
        var widths = moe.Widths.ToArray();
        int experts = moe.Experts, depth = widths.Length, width = node.Width;
        var learned = moe.Gate is GateKind.Attention or GateKind.TopK;
        var needs = _needsGradient.Contains(name);
        // relu(x·W + b) in one call; the activation object is then only needed for the last
        // layer's backward, which masks by the output (relu(a) > 0 ⇔ a > 0).
        var fuse = moe.Activation == ActivationKind.Relu;

        if (!fuse || needs) Layer(FieldElement.Activation, Field(name, "Activation"), new ActivationCreation(moe.Activation));
        Layer(FieldElement.Concat, Field(name, "Grid"), new ConcatCreation(Enumerable.Repeat(width, experts).ToEquatableArray()));
        Layer(FieldElement.ModuleMix, Field(name, "Mix"), new ModuleMixCreation(experts, 1, width));
        Declare(new FieldPlan(Field(name, "Experts"), FieldElement.Linear, 2));
        if (!fuse) Declare(new FieldPlan(Field(name, "Pre"), FieldElement.Float, 3));
        Declare(new FieldPlan(Field(name, "Post"), FieldElement.Float, 3));
        var expertLayers = Enumerable.Range(0, depth)
            .Select(i => SliceName.Indexed(ParameterNames.Layer(ParameterNames.Expert(prefix, SliceName.Placeholder(LoopIndex.Expert)), i), LoopIndex.Expert))
            .ToEquatableArray();
        Construct(new AllocateBlock(new ExpertAllocation(name, experts, moe.Widths, fuse, expertLayers)));
        Buffer(Field(name, "ExpertOutputs"), experts * width);
        Buffer(Field(name, "Weights"), experts);
        if (moe.Gate == GateKind.Ensemble) Construct(new FillUniform(Field(name, "Weights"), experts));

        // The gate g(by): hidden ReLU layers, an affine layer to E scores, softmax(scores / T).
        string? by = node.Inputs.Any(i => i.Parameter == "by") ? In(node, "by") : null;
        var gateInput = by is null ? Field(name, "GateInput") : Value(by);
        var gateWidths = new List<int>();
        if (learned)
        {
            if (by is null)
            {
                // No 'by': the gate reads the one-hot task id (docs/decisions.md).
                Layer(FieldElement.OneHot, Field(name, "TaskOneHot"), new TaskOneHotCreation());
                Buffer(gateInput, _agent.Tasks);
            }
            for (var i = 0; i < moe.GateWidths.Count; i++)
            {
                Layer(FieldElement.Linear, Field(name, $"Gate{i}"), new LinearCreation(SliceName.Literal(ParameterNames.GateLayer(prefix, i))));
                Buffer(Field(name, $"GateHidden{i}"), moe.GateWidths[i]);
                gateWidths.Add(moe.GateWidths[i]);
            }
            Layer(FieldElement.Linear, Field(name, "GateOut"), new LinearCreation(SliceName.Literal(ParameterNames.GateOut(prefix))));
            Buffer(Field(name, "GateScores"), experts);
        }

        var target = new SummedGradient(null, false, inputWidth);
        var byGradient = InputGradient.None;
        var byWidth = by is null ? 0 : InWidth(node, "by");
        if (needs)
        {
            Buffer(GradientField(name, "ExpertOutputs"), experts * width);
            if (learned) Buffer(GradientField(name, "Weights"), experts);
            target = SummedGradientOf(x, inputWidth);
            if (target.Target is not null) Buffer(GradientField(name, "InputPart"), inputWidth);
            for (var i = 0; i < depth; i++)
            {
                // Fused, only the last layer's output gradient has a buffer: the others are written through their ReLU.
                if (!fuse || i == depth - 1) Buffer(GradientField(name, $"Post{i}"), widths[i]);
                Buffer(GradientField(name, $"Pre{i}"), widths[i]);
            }
            if (learned)
            {
                Buffer(GradientField(name, "GateScores"), experts);
                // Each gate layer after the first reads the previous hidden ReLU: the gradient goes on from that ReLU's input.
                for (var i = gateWidths.Count; i > 0; i--) Buffer(GradientField(name, $"GatePre{i - 1}"), gateWidths[i - 1]);
                if (by is not null) byGradient = InputGradientOf(by, byWidth);
            }
        }
        var plan = new MoePlan(name, Value(x), inputWidth, experts, moe.Widths, width, fuse, moe.Gate, moe.TopK, moe.Temperature,
            gateInput, learned && by is null, gateWidths.ToEquatableArray(), needs, OutputGradientOf(node), target, byGradient, byWidth);
        _forward.Add(new BlockForward(plan));
        if (needs) backward.Add(new BlockBackward(plan));
    }
}
