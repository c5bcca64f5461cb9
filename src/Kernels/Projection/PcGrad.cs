using System;
using Mtrl.Contracts;

namespace Mtrl.Kernels;

/// <summary>
/// PCGrad, "Gradient Surgery for Multi-Task Learning" (Yu et al. 2020), over T task gradients of
/// P shared parameters: project each task's gradient off the original gradients of the tasks it
/// conflicts with, in a per-task order, then reduce by sum or mean. Computed as one Gram pass
/// (<see cref="GradientGram"/>), a float64 T×T derivation (<see cref="PcGradWeights"/>) and one
/// combination pass (<see cref="WeightedGradientSum"/>) — two reads of the gradients in total,
/// instead of the O(T²) vector passes of a direct implementation.
/// </summary>
public static class PcGrad
{
    /// <summary>Projects with explicit visiting orders (reproducible, testable).</summary>
    /// <param name="taskGradients">T rows of P floats, row-major (task i's gradient is row i); not modified.</param>
    /// <param name="taskCount">T ≥ 1.</param>
    /// <param name="parameterCount">P ≥ 0.</param>
    /// <param name="orders">T×(T−1) table: row i lists the other tasks in the order task i visits them.</param>
    /// <param name="reduction">Sum or mean of the projected gradients.</param>
    /// <param name="output">P floats, overwritten with the combined gradient; must not overlap the inputs.</param>
    /// <param name="workspace">Buffers sized for (T, P); reuse one per trainer to allocate nothing. Null allocates.</param>
    /// <param name="accelerator">Threads for the two passes; null uses <see cref="CpuAccelerator.Default"/>.</param>
    /// <param name="gramMethod">How the Gram matrix is computed.</param>
    public static void Project(
        ReadOnlySpan<float> taskGradients, int taskCount, int parameterCount, ReadOnlySpan<int> orders,
        GradientReduction reduction, Span<float> output,
        ProjectionWorkspace? workspace = null, Accelerator? accelerator = null, GramMethod gramMethod = GramMethod.Blocked)
    {
        ProjectionArguments.CheckTaskBlock(taskGradients.Length, taskCount, parameterCount);
        ProjectionArguments.CheckOutput(taskGradients, output, parameterCount);
        ProjectionArguments.CheckReduction(reduction);
        ProjectionArguments.CheckGramMethod(gramMethod);
        ProjectionWorkspace buffers = ProjectionArguments.Workspace(workspace, taskCount, parameterCount);
        PcGradOrders.Validate(orders, taskCount, buffers.Seen);
        Run(taskGradients, taskCount, parameterCount, orders, reduction, output, buffers, accelerator ?? CpuAccelerator.Default, gramMethod);
    }

    /// <summary>
    /// Projects with the paper's per-task random shuffles, drawn from Philox at (seed, stream,
    /// counter) by <see cref="PcGradOrders.Draw"/>: deterministic, and the same orders as passing
    /// that draw to the explicit-order overload.
    /// </summary>
    /// <param name="taskGradients">T rows of P floats, row-major; not modified.</param>
    /// <param name="taskCount">T ≥ 1.</param>
    /// <param name="parameterCount">P ≥ 0.</param>
    /// <param name="seed">Experiment seed.</param>
    /// <param name="stream">Stream reserved for PCGrad's shuffles.</param>
    /// <param name="counter">Counter of this step; advance by <see cref="PcGradOrders.CountersUsed"/>(T) per step.</param>
    /// <param name="reduction">Sum or mean of the projected gradients.</param>
    /// <param name="output">P floats, overwritten; must not overlap the inputs.</param>
    /// <param name="workspace">Buffers sized for (T, P); null allocates.</param>
    /// <param name="accelerator">Threads for the two passes; null uses <see cref="CpuAccelerator.Default"/>.</param>
    /// <param name="gramMethod">How the Gram matrix is computed.</param>
    public static void Project(
        ReadOnlySpan<float> taskGradients, int taskCount, int parameterCount,
        ulong seed, ulong stream, ulong counter,
        GradientReduction reduction, Span<float> output,
        ProjectionWorkspace? workspace = null, Accelerator? accelerator = null, GramMethod gramMethod = GramMethod.Blocked)
    {
        ProjectionArguments.CheckTaskBlock(taskGradients.Length, taskCount, parameterCount);
        ProjectionArguments.CheckOutput(taskGradients, output, parameterCount);
        ProjectionArguments.CheckReduction(reduction);
        ProjectionArguments.CheckGramMethod(gramMethod);
        ProjectionWorkspace buffers = ProjectionArguments.Workspace(workspace, taskCount, parameterCount);
        PcGradOrders.Draw(buffers.Orders, taskCount, seed, stream, counter);
        Run(taskGradients, taskCount, parameterCount, buffers.Orders, reduction, output, buffers, accelerator ?? CpuAccelerator.Default, gramMethod);
    }

    /// <summary>The three steps on validated arguments.</summary>
    internal static void Run(
        ReadOnlySpan<float> taskGradients, int taskCount, int parameterCount, ReadOnlySpan<int> orders,
        GradientReduction reduction, Span<float> output, ProjectionWorkspace workspace, Accelerator accelerator,
        GramMethod gramMethod, bool forceVector256 = false)
    {
        GradientGram.ComputeUnchecked(taskGradients, taskCount, parameterCount, workspace.GramBuffer, workspace, accelerator, gramMethod, forceVector256);
        workspace.ProjectionCount = PcGradWeights.ComputeUnchecked(
            workspace.GramBuffer, taskCount, orders, reduction, workspace.CoefficientBuffer, workspace.WeightBuffer);
        WeightedGradientSum.CombineUnchecked(
            taskGradients, taskCount, parameterCount, workspace.WeightBuffer, workspace.WeightSingle, output, accelerator, forceVector256);
    }
}
