using System;
using System.Collections.Generic;
using System.Linq;
using Mtrl.Contracts;
using Mtrl.Dsl;
using Mtrl.Dsl.Model;
using static Mtrl.Generators.Planning.FieldNames;

namespace Mtrl.Generators.Planning;

/// <summary>PathNet grids.</summary>
internal sealed partial class NetworkLowering
{
    /// <summary>
    /// A PathNet grid: every module of a layer runs on the whole batch, and each sample sums the
    /// modules on its task's pathway (ModuleMix with 0/1 weights), so one schedule serves batches
    /// of mixed tasks. Modules off a sample's pathway get exactly zero gradient from it. A ReLU
    /// grid runs each module's ReLU inside its call (no pre-activation kept); the backward masks
    /// by the module's output (relu(a) &gt; 0 ⇔ a &gt; 0).
    /// </summary>
    private void LowerPathNet(NodeModel node, PathNetOp grid, List<BackwardStep> backward)
    {
        var name = node.Name;
        var prefix = Prefix(node);
        int m = grid.Modules, w = grid.Width, layers = grid.Layers;
        var x = In(node, "x");
        var inputWidth = InWidth(node, "x");
        var needs = _needsGradient.Contains(name);
        var fuse = grid.Activation == ActivationKind.Relu;
        _pathways = new PathwayControls(name, layers, m, grid.Active, Field(name, "Pathways"), Field(name, "Modules"), ReadoutPrefixes().ToEquatableArray());
        if (!fuse || needs) Layer(FieldElement.Activation, Field(name, "Activation"), new ActivationCreation(grid.Activation));
        Layer(FieldElement.Concat, Field(name, "Grid"), new ConcatCreation(Enumerable.Repeat(w, m).ToEquatableArray()));
        Layer(FieldElement.ModuleMix, Field(name, "Sum"), new ModuleMixCreation(m, 1, w));
        Declare(new FieldPlan(Field(name, "Pathways"), FieldElement.Float, 1));
        Declare(new FieldPlan(Field(name, "Modules"), FieldElement.Linear, 2));
        if (!fuse) Declare(new FieldPlan(Field(name, "Pre"), FieldElement.Float, 3));
        Declare(new FieldPlan(Field(name, "Out"), FieldElement.Float, 3));
        Construct(new AssignDefaultPathways(Field(name, "Pathways")));
        var module = SliceName.Indexed(ParameterNames.Module(prefix, SliceName.Placeholder(LoopIndex.Layer), SliceName.Placeholder(LoopIndex.Module)), LoopIndex.Layer | LoopIndex.Module);
        Construct(new AllocateBlock(new PathNetGridAllocation(name, layers, m, w, fuse, module)));
        for (var l = 0; l < layers; l++)
        {
            if (l < layers - 1) Buffer(Field(name, $"Layer{l}"), w);
            Buffer(Field(name, $"Grid{l}"), m * w);
            Buffer(Field(name, $"Weights{l}"), m);
        }
        var target = new SummedGradient(null, false, inputWidth);
        if (needs)
        {
            Buffer(Field(name, "GridGradient"), m * w);
            Buffer(Field(name, "OutGradient"), w);
            Buffer(Field(name, "PreGradient"), w);
            Buffer(Field(name, "InputPart"), Math.Max(w, inputWidth));
            for (var l = layers - 1; l > 0; l--) Buffer(GradientField(name, $"Layer{l - 1}"), w);
            target = SummedGradientOf(x, inputWidth);
        }
        var plan = new PathNetPlan(name, Value(x), inputWidth, layers, m, w, fuse, needs, OutputGradientOf(node), target);
        _forward.Add(new BlockForward(plan));
        if (needs) backward.Add(new BlockBackward(plan));
    }
}
