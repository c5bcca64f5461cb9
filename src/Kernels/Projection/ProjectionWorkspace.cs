using System;

namespace Mtrl.Kernels;

/// <summary>
/// Every scratch buffer a projection of T task gradients of P parameters needs (Gram matrix,
/// per-block partial sums, coefficient matrix, orders, solver vectors), allocated once so that a
/// training step that reuses the workspace allocates nothing. After a call it also holds that
/// call's Gram matrix and combination weights, for logging how much the tasks conflict.
/// </summary>
/// <remarks>Not thread-safe: one workspace per concurrent caller.</remarks>
public sealed class ProjectionWorkspace
{
    /// <summary>Creates buffers for <paramref name="taskCount"/> tasks of <paramref name="parameterCount"/> shared parameters.</summary>
    /// <param name="taskCount">Number of tasks T, at least 1.</param>
    /// <param name="parameterCount">Parameters per task gradient P, at least 0.</param>
    public ProjectionWorkspace(int taskCount, int parameterCount)
    {
        if (taskCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(taskCount), taskCount, "taskCount must be at least 1.");
        }

        if (taskCount > MaximumTaskCount)
        {
            throw new ArgumentOutOfRangeException(nameof(taskCount), taskCount, $"taskCount must be at most {MaximumTaskCount}.");
        }

        if (parameterCount < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(parameterCount), parameterCount, "parameterCount must be at least 0.");
        }

        TaskCount = taskCount;
        ParameterCount = parameterCount;
        int squared = taskCount * taskCount;
        GramBuffer = new double[squared];
        GramSingle = new float[squared];
        CoefficientBuffer = new double[squared];
        WeightBuffer = new double[taskCount];
        WeightSingle = new float[taskCount];
        SimplexBuffer = new double[taskCount];
        Orders = new int[taskCount * (taskCount - 1)];
        Seen = new int[taskCount];
        SolverScratch = new double[CaGradSolver.ScratchPerTask * taskCount];
        GramPartials = new double[GradientGram.BlockCount(parameterCount) * GradientGram.PairCount(taskCount)];
    }

    /// <summary>Largest supported task count; far above any multi-task benchmark (MT50); it keeps the T×T buffers and the O(T³) coefficient work small.</summary>
    public const int MaximumTaskCount = 1024;

    /// <summary>Number of tasks T the buffers are sized for.</summary>
    public int TaskCount { get; }

    /// <summary>Parameters per task gradient P the buffers are sized for.</summary>
    public int ParameterCount { get; }

    /// <summary>The T×T Gram matrix (float64, row-major) of the last call, G[i, j] = g_i·g_j.</summary>
    public ReadOnlySpan<double> Gram => GramBuffer;

    /// <summary>The last call's combination weights w: its output was Σ_k w_k·g_k.</summary>
    public ReadOnlySpan<double> Weights => WeightBuffer;

    /// <summary>
    /// After PCGrad, the T×T matrix A with projected g_i' = Σ_k A[i, k]·g_k (row-major); other
    /// methods leave it unchanged.
    /// </summary>
    public ReadOnlySpan<double> Coefficients => CoefficientBuffer;

    /// <summary>After CAGrad, the solved simplex weights x (the task mix g_w = Σ x_k·g_k); other methods leave them unchanged.</summary>
    public ReadOnlySpan<double> SimplexWeights => SimplexBuffer;

    /// <summary>After CAGrad, how many solver iterations ran (to spot a problem that hit the iteration cap).</summary>
    public int SolverIterations { get; internal set; }

    /// <summary>
    /// After CAGrad, the certified primal–dual gap of its update (in squared-gradient units): how
    /// far the worst task's improvement may be from the best possible one.
    /// </summary>
    public double SolverGap { get; internal set; }

    /// <summary>After the last PCGrad call, how many (i, j) projections were applied: a direct measure of gradient conflict.</summary>
    public int ProjectionCount { get; internal set; }

    internal double[] GramBuffer { get; }

    internal float[] GramSingle { get; }

    internal double[] CoefficientBuffer { get; }

    internal double[] WeightBuffer { get; }

    internal float[] WeightSingle { get; }

    internal double[] SimplexBuffer { get; }

    internal int[] Orders { get; }

    internal int[] Seen { get; }

    internal double[] SolverScratch { get; }

    internal double[] GramPartials { get; }
}
