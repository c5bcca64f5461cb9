using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Projection;

/// <summary>
/// CAGrad (Liu et al. 2021) over T task gradients of P parameters that live on the device: the CPU
/// <see cref="CaGrad"/>'s three steps — the Gram matrix (<see cref="DevicePcGrad"/>'s kernels), the
/// float64 solve for the task weights (<see cref="CaGradWeights"/> and <see cref="CaGradSolver"/>,
/// step for step, in one thread) and one weighted sum over P — with nothing going to the host.
/// </summary>
/// <remarks>
/// The Gram entries are exact float products summed in float64 in a fixed order (the CPU sums
/// float32 sub-dots), so they agree with the CPU's within its float32 rounding; the solver then
/// stops on the same gap test, so the weights agree with the CPU's within the solver's tolerance,
/// and are bit-identical to the CPU solver run on the device's Gram matrix. One instance per (T, P).
/// </remarks>
public sealed class DeviceCaGrad : IDisposable
{
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _partials;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _scratch;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _stats;
    private readonly int _lanes;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<double>, int, long, int> _gramPartials;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, int, int> _gramReduce;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, double, double> _weights;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<float>, int, long> _combine;

    /// <summary>Allocates the workspace for T tasks and P parameters and compiles the kernels.</summary>
    /// <param name="device">An open device.</param>
    /// <param name="taskCount">T, in [1, <see cref="ProjectionWorkspace.MaximumTaskCount"/>].</param>
    /// <param name="parameterCount">P, in [1, 2^31 − 1]; T·P floats must fit one device array.</param>
    public DeviceCaGrad(GpuDevice device, int taskCount, int parameterCount)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (taskCount < 1 || taskCount > ProjectionWorkspace.MaximumTaskCount)
        {
            throw new ArgumentOutOfRangeException(nameof(taskCount), taskCount, $"taskCount must be in [1, {ProjectionWorkspace.MaximumTaskCount}]");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(parameterCount, 1);
        TaskCount = taskCount;
        ParameterCount = parameterCount;
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        _lanes = DevicePcGradKernels.GramLanes(taskCount);
        Gram = accelerator.Allocate1D<double>((long)taskCount * taskCount);
        Weights = accelerator.Allocate1D<double>(taskCount);
        SimplexWeights = accelerator.Allocate1D<double>(taskCount);
        _partials = accelerator.Allocate1D<double>((long)taskCount * taskCount * _lanes);
        _scratch = accelerator.Allocate1D<double>((long)CaGradSolver.ScratchPerTask * taskCount);
        _stats = accelerator.Allocate1D<double>(2);
        _stats.MemSetToZero();
        _gramPartials = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, int, long, int>(DevicePcGradKernels.GramPartials);
        _gramReduce = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, int, int>(DevicePcGradKernels.GramReduce);
        _weights = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, double, double>(DeviceCaGradKernels.Weights);
        _combine = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<float>, int, long>(
            DevicePcGradKernels.Combine);
    }

    /// <summary>T.</summary>
    public int TaskCount { get; }

    /// <summary>P.</summary>
    public int ParameterCount { get; }

    /// <summary>The last Gram matrix, T×T float64, row-major.</summary>
    public MemoryBuffer1D<double, Stride1D.Dense> Gram { get; }

    /// <summary>The last combination weights w (update = Σ_k w_k·g_k), float64.</summary>
    public MemoryBuffer1D<double, Stride1D.Dense> Weights { get; }

    /// <summary>The last solved task mix x on the simplex (NaN when the Gram matrix was not finite).</summary>
    public MemoryBuffer1D<double, Stride1D.Dense> SimplexWeights { get; }

    /// <summary>
    /// Writes the CAGrad update of the task gradients into <paramref name="output"/>, as the CPU
    /// <see cref="CaGrad.Combine"/>. Non-finite gradients give NaN weights and a NaN update (the
    /// optimizer then skips the step), as on the CPU.
    /// </summary>
    /// <param name="taskGradients">T rows of P floats, row-major; not modified.</param>
    /// <param name="c">Conflict-aversion radius c ≥ 0 (the official default is 0.5).</param>
    /// <param name="reduction">Mean (the paper's scale) or sum (× T).</param>
    /// <param name="output">P floats, overwritten; must not overlap the gradients.</param>
    /// <param name="rescale">Final division by 1, 1 + c² (official default) or 1 + c.</param>
    public void Combine(
        ArrayView<float> taskGradients, double c, GradientReduction reduction, ArrayView<float> output, CaGradRescale rescale = CaGradRescale.OnePlusCSquared)
    {
        long expected = (long)TaskCount * ParameterCount;
        if (taskGradients.Length != expected)
        {
            throw new ArgumentException(
                $"taskGradients has {taskGradients.Length} floats; it needs taskCount × parameterCount = {TaskCount} × {ParameterCount} = {expected}", nameof(taskGradients));
        }

        if (output.Length != ParameterCount)
        {
            throw new ArgumentException($"output has {output.Length} floats; it needs parameterCount = {ParameterCount}", nameof(output));
        }

        CaGradWeights.CheckOptions(c, reduction, rescale);

        // The CPU's factor, computed the CPU's way.
        double factor = rescale switch
        {
            CaGradRescale.OnePlusCSquared => 1.0 / (1.0 + c * c),
            CaGradRescale.OnePlusC => 1.0 / (1.0 + c),
            _ => 1.0,
        };
        if (reduction == GradientReduction.Sum)
        {
            factor *= TaskCount;
        }

        int pairs = TaskCount * TaskCount;
        _gramPartials(pairs * _lanes, taskGradients, _partials.View, TaskCount, ParameterCount, _lanes);
        _gramReduce(pairs, _partials.View, Gram.View, TaskCount, _lanes);
        _weights(1, Gram.View, _scratch.View, SimplexWeights.View, Weights.View, _stats.View, TaskCount, c, factor);
        _combine(ParameterCount, taskGradients, Weights.View, output, TaskCount, ParameterCount);
    }

    /// <summary>Solver iterations and primal–dual gap of the last call (synchronises): the CPU workspace's SolverIterations and SolverGap.</summary>
    public (int Iterations, double Gap) ReadSolverStatistics()
    {
        double[] stats = _stats.GetAsArray1D();
        return ((int)stats[0], stats[1]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Gram.Dispose();
        Weights.Dispose();
        SimplexWeights.Dispose();
        _partials.Dispose();
        _scratch.Dispose();
        _stats.Dispose();
    }
}
