using System;
using Mtrl.Contracts;

namespace Mtrl.Kernels;

/// <summary>
/// CAGrad, "Conflict-Averse Gradient Descent for Multi-task Learning" (Liu et al. 2021), over T
/// task gradients of P shared parameters: the update that maximises the worst task's improvement
/// within a ball of radius c‖g0‖ around the mean gradient g0. One Gram pass, a float64 solve over
/// T task weights (<see cref="CaGradSolver"/>), one combination pass.
/// </summary>
public static class CaGrad
{
    /// <summary>Writes the CAGrad update into <paramref name="output"/>.</summary>
    /// <param name="taskGradients">T rows of P floats, row-major; not modified.</param>
    /// <param name="taskCount">T ≥ 1.</param>
    /// <param name="parameterCount">P ≥ 0.</param>
    /// <param name="c">Conflict-aversion radius c ≥ 0 (the official default is 0.5, the paper's experiments 0.2–0.8).</param>
    /// <param name="reduction">Mean (the paper's scale) or sum (× T, to match a summed loss).</param>
    /// <param name="output">P floats, overwritten; must not overlap the inputs.</param>
    /// <param name="rescale">Final division by 1, 1 + c² (official default) or 1 + c.</param>
    /// <param name="workspace">Buffers sized for (T, P); holds the solved task mix afterwards. Null allocates.</param>
    /// <param name="accelerator">Threads for the two passes; null uses <see cref="CpuAccelerator.Default"/>.</param>
    /// <param name="gramMethod">How the Gram matrix is computed.</param>
    public static void Combine(
        ReadOnlySpan<float> taskGradients, int taskCount, int parameterCount, double c, GradientReduction reduction,
        Span<float> output, CaGradRescale rescale = CaGradRescale.OnePlusCSquared,
        ProjectionWorkspace? workspace = null, Accelerator? accelerator = null, GramMethod gramMethod = GramMethod.Blocked)
    {
        ProjectionArguments.CheckTaskBlock(taskGradients.Length, taskCount, parameterCount);
        ProjectionArguments.CheckOutput(taskGradients, output, parameterCount);
        CaGradWeights.CheckOptions(c, reduction, rescale);
        ProjectionArguments.CheckGramMethod(gramMethod);
        ProjectionWorkspace buffers = ProjectionArguments.Workspace(workspace, taskCount, parameterCount);
        Run(taskGradients, taskCount, parameterCount, c, reduction, rescale, output, buffers, accelerator ?? CpuAccelerator.Default, gramMethod);
    }

    /// <summary>The three steps on validated arguments.</summary>
    internal static void Run(
        ReadOnlySpan<float> taskGradients, int taskCount, int parameterCount, double c, GradientReduction reduction,
        CaGradRescale rescale, Span<float> output, ProjectionWorkspace workspace, Accelerator accelerator, GramMethod gramMethod)
    {
        GradientGram.ComputeUnchecked(taskGradients, taskCount, parameterCount, workspace.GramBuffer, workspace, accelerator, gramMethod);
        workspace.SolverIterations = CaGradWeights.ComputeUnchecked(
            workspace.GramBuffer, taskCount, c, reduction, rescale, workspace.WeightBuffer, workspace.SimplexBuffer, workspace.SolverScratch,
            out double gap);
        workspace.SolverGap = gap;
        WeightedGradientSum.CombineUnchecked(
            taskGradients, taskCount, parameterCount, workspace.WeightBuffer, workspace.WeightSingle, output, accelerator);
    }
}
