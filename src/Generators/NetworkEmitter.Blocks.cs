using System.CodeDom.Compiler;
using Mtrl.Dsl.Model;
using Mtrl.Generators.Planning;

namespace Mtrl.Generators;

/// <summary>Dispatches the module blocks' allocations, schedules and members to their printers, one per block kind.</summary>
internal static partial class NetworkEmitter
{
    private static void WriteBlockAllocation(IndentedTextWriter w, BlockAllocation allocation)
    {
        switch (allocation)
        {
            case PathNetGridAllocation grid: WritePathNetGrid(w, grid); break;
            case ExpertAllocation experts: WriteExperts(w, experts); break;
            case SoftModularGridAllocation grid: WriteSoftModularGrid(w, grid); break;
            case LayerWorkspaces workspaces: WriteLayerWorkspaces(w, workspaces); break;
            case ColumnLayerAllocation layer: WriteColumnLayer(w, layer); break;
            case LateralAllocation lateral: WriteLaterals(w, lateral); break;
            case ColumnGradientAllocation gradients: WriteColumnGradients(w, gradients); break;
            default: throw new System.InvalidOperationException($"no printer for {allocation}");
        }
    }

    private static void WriteBlockForward(IndentedTextWriter w, BlockPlan block)
    {
        switch (block)
        {
            case PathNetPlan pathNet: WritePathNetForward(w, pathNet); break;
            case MoePlan moe: WriteMoeForward(w, moe); break;
            case SoftModularPlan { Style: SoftModularStyle.SoftModule } soft: WriteSoftModuleForward(w, soft); break;
            case SoftModularPlan soft: WriteSoftModularForward(w, soft); break;
            case ProgressivePlan progressive: WriteProgressiveForward(w, progressive); break;
            default: throw new System.InvalidOperationException($"no printer for {block}");
        }
    }

    private static void WriteBlockBackward(IndentedTextWriter w, BlockPlan block)
    {
        switch (block)
        {
            case PathNetPlan pathNet: WritePathNetBackward(w, pathNet); break;
            case MoePlan moe: WriteMoeBackward(w, moe); break;
            case SoftModularPlan { Style: SoftModularStyle.SoftModule } soft: WriteSoftModuleBackward(w, soft); break;
            case SoftModularPlan soft: WriteSoftModularBackward(w, soft); break;
            case ProgressivePlan progressive: WriteProgressiveBackward(w, progressive); break;
            default: throw new System.InvalidOperationException($"no printer for {block}");
        }
    }

    private static void WritePathwayMembers(IndentedTextWriter w, PathwayControls pathways) => WriteTemplate(w, NetworkTemplates.PathwayMembers(pathways));

    /// <summary>Routing accessors for soft-modular nodes, column controls for progressive ones, and the owned-slices helper freezing uses.</summary>
    private static void WriteModularMembers(IndentedTextWriter w, ModularMembers members)
    {
        foreach (var routing in members.Routing) WriteTemplate(w, NetworkTemplates.RoutingMembers(routing));
        if (members.Columns is { } columns) WriteTemplate(w, NetworkTemplates.ColumnMembers(columns));
        if (members.UsesOwnedSlices) WriteTemplate(w, NetworkTemplates.OwnedSlices);
    }
}
