using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl;
using Mtrl.Dsl.Model;
using static Mtrl.Generators.Planning.FieldNames;

namespace Mtrl.Generators.Planning;

/// <summary>Progressive columns (Rusu et al. 2016).</summary>
internal sealed partial class NetworkLowering
{
    /// <summary>
    /// Rows are put in task order, so the samples that need column k (tasks ≥ k) are one
    /// contiguous suffix; column k runs on that suffix, its lateral adapters read the same rows of
    /// the earlier columns, and each sample's output is its own task's column (docs/language.md).
    /// With ReLU, a layer without laterals and each lateral's reduction run the ReLU inside the
    /// Linear's call and mask by the output in the backward. A layer with laterals adds them
    /// before its ReLU, so it keeps its pre-activation; and since a layer's output is also read by
    /// later columns' laterals, whose gradients are summed before its ReLU, no layer takes the
    /// gradient through the ReLU it reads.
    /// </summary>
    private void LowerProgressive(NodeModel node, ProgressiveOp op, List<BackwardStep> backward)
    {
        var name = node.Name;
        var prefix = Prefix(node);
        var x = In(node, "x");
        var inputWidth = InWidth(node, "x");
        var widths = op.Widths.ToArray();
        int depth = widths.Length, c = op.Reduction, last = widths[depth - 1];
        var columns = _agent.Tasks;
        var needs = _needsGradient.Contains(name);
        _progressive.Add((node, op));
        var fuse = op.Activation == ActivationKind.Relu;
        var laterals = columns > 1 && depth > 1;
        bool Fused(int i) => fuse && !(i > 0 && columns > 1);
        if (!fuse || needs || laterals) Layer(FieldElement.Activation, Field(name, "Activation"), new ActivationCreation(op.Activation));
        Buffer(Field(name, "Input"), inputWidth);
        Buffer(Field(name, "Sorted"), last);
        if (_progressive.Count == 1)
        {
            Declare(new FieldPlan(ActiveColumns, FieldElement.Int, ReadOnly: false));
            Construct(new StartActiveColumns(ActiveColumns));
        }
        var maxLateral = (columns - 1) * widths.Take(depth - 1).DefaultIfEmpty(0).Max();
        var column = SliceName.Placeholder(LoopIndex.Column);
        for (var i = 0; i < depth; i++)
        {
            Declare(new FieldPlan(Field(name, $"Fc{i}"), FieldElement.Linear, 1));
            if (!Fused(i)) Declare(new FieldPlan(Field(name, $"Pre{i}"), FieldElement.Float, 2));
            Declare(new FieldPlan(Field(name, $"Post{i}"), FieldElement.Float, 2));
            Construct(new AllocateBlock(new ColumnLayerAllocation(name, i, widths[i], Fused(i),
                SliceName.Indexed(ParameterNames.Layer(ParameterNames.Column(prefix, column), i), LoopIndex.Column))));
            if (i == 0 || columns < 2) continue;
            // Lateral adapters of layer i, one per column k ≥ 1, stored at [k − 1].
            Declare(new FieldPlan(Field(name, $"Alpha{i}"), FieldElement.Scale, 1));
            Declare(new FieldPlan(Field(name, $"Reduce{i}"), FieldElement.Linear, 1));
            Declare(new FieldPlan(Field(name, $"Up{i}"), FieldElement.LinearMap, 1));
            Declare(new FieldPlan(Field(name, $"Earlier{i}"), FieldElement.Concat, 1));
            Declare(new FieldPlan(Field(name, $"Lateral{i}"), FieldElement.Float, 2));
            Declare(new FieldPlan(Field(name, $"Scaled{i}"), FieldElement.Float, 2));
            if (!fuse) Declare(new FieldPlan(Field(name, $"ReducedPre{i}"), FieldElement.Float, 2));
            Declare(new FieldPlan(Field(name, $"Reduced{i}"), FieldElement.Float, 2));
            var lateral = ParameterNames.Column(prefix, column);
            Construct(new AllocateBlock(new LateralAllocation(name, i, widths[i - 1], c, fuse,
                SliceName.Indexed(ParameterNames.LateralAlpha(lateral, i), LoopIndex.Column),
                SliceName.Indexed(ParameterNames.LateralReduce(lateral, i), LoopIndex.Column),
                SliceName.Indexed(ParameterNames.LateralUp(lateral, i), LoopIndex.Column))));
        }
        if (laterals) Buffer(Field(name, "LateralOut"), widths.Skip(1).Max());

        var inputGradient = InputGradient.None;
        if (needs)
        {
            Buffer(GradientField(name, "Sorted"), last);
            Buffer(GradientField(name, "Pre"), widths.Max());
            Buffer(GradientField(name, "Part"), Math.Max(widths.Max(), inputWidth));
            for (var i = 0; i < depth; i++)
            {
                Declare(new FieldPlan(GradientField(name, $"Post{i}"), FieldElement.Float, 2));
                Construct(new AllocateBlock(new ColumnGradientAllocation(GradientField(name, $"Post{i}"), widths[i])));
            }
            if (laterals)
            {
                Buffer(GradientField(name, "Reduced"), c);
                Buffer(GradientField(name, "ReducedPre"), c);
                Buffer(GradientField(name, "Scaled"), maxLateral);
                Buffer(GradientField(name, "Lateral"), maxLateral);
            }
            inputGradient = InputGradientOf(x, inputWidth);
            if (inputGradient.Target is not null) Buffer(GradientField(name, "Input"), inputWidth);
        }
        var plan = new ProgressivePlan(name, Value(x), inputWidth, columns, op.Widths, c, fuse, needs, OutputGradientOf(node), inputGradient);
        _forward.Add(new BlockForward(plan));
        if (needs) backward.Add(new BlockBackward(plan));
    }
}
