using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Contracts;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Projection;

/// <summary>
/// PCGrad (Yu et al. 2020) over T task gradients of P parameters that live on the device: the
/// same three steps and the same per-task orders as the CPU <see cref="PcGrad"/>, with the Gram
/// matrix, the weights and the combined gradient all computed and kept on the device.
/// </summary>
/// <remarks>
/// Orders drawn from (seed, stream, counter) are identical to <see cref="PcGradOrders.Draw"/>'s.
/// The Gram entries are exact float products summed in float64 in a fixed order (the CPU sums
/// float32 sub-dots), so they agree with the CPU's within its float32 rounding, and a projection
/// decision can differ only for a pair whose dot is within that rounding of 0. Workspace buffers
/// are allocated once per instance; one instance per (T, P).
/// </remarks>
public sealed class DevicePcGrad : IDisposable
{
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _partials;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _coefficients;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _counts;
    private readonly Action<Index1D, ArrayView<int>, int, ulong, ulong, ulong> _drawOrders;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<double>, int, long, int> _gramPartials;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, int, int> _gramReduce;
    private readonly int _lanes;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<int>, ArrayView<double>, ArrayView<double>, ArrayView<int>, int, int> _weights;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<float>, int, long> _combine;

    /// <summary>Allocates the workspace for T tasks and P parameters and compiles the kernels.</summary>
    /// <param name="device">An open device.</param>
    /// <param name="taskCount">T, in [1, <see cref="ProjectionWorkspace.MaximumTaskCount"/>].</param>
    /// <param name="parameterCount">P, in [1, 2^31 − 1]; T·P floats must fit one device array.</param>
    public DevicePcGrad(GpuDevice device, int taskCount, int parameterCount)
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
        Gram = accelerator.Allocate1D<double>((long)taskCount * taskCount);
        Orders = accelerator.Allocate1D<int>(Math.Max(1L, (long)taskCount * (taskCount - 1)));
        Weights = accelerator.Allocate1D<double>(taskCount);
        _lanes = DevicePcGradKernels.GramLanes(taskCount);
        _partials = accelerator.Allocate1D<double>((long)taskCount * taskCount * _lanes);
        _coefficients = accelerator.Allocate1D<double>((long)taskCount * taskCount);
        _counts = accelerator.Allocate1D<int>(1);
        _drawOrders = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, int, ulong, ulong, ulong>(DevicePcGradKernels.DrawOrders);
        _gramPartials = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, int, long, int>(DevicePcGradKernels.GramPartials);
        _gramReduce = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, int, int>(DevicePcGradKernels.GramReduce);
        _weights = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, ArrayView<double>, ArrayView<int>, ArrayView<double>, ArrayView<double>, ArrayView<int>, int, int>(DevicePcGradKernels.Weights);
        _combine = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<float>, int, long>(
            DevicePcGradKernels.Combine);
    }

    /// <summary>T.</summary>
    public int TaskCount { get; }

    /// <summary>P.</summary>
    public int ParameterCount { get; }

    /// <summary>The last Gram matrix, T×T float64, row-major.</summary>
    public MemoryBuffer1D<double, Stride1D.Dense> Gram { get; }

    /// <summary>The last visiting orders, T×(T−1), row i the order task i visits the others (one unused element when T = 1).</summary>
    public MemoryBuffer1D<int, Stride1D.Dense> Orders { get; }

    /// <summary>The last combination weights w (result = Σ_k w_k·g_k), float64.</summary>
    public MemoryBuffer1D<double, Stride1D.Dense> Weights { get; }

    /// <summary>
    /// Projects with the paper's per-task random shuffles drawn at (seed, stream, counter), as the
    /// CPU <see cref="PcGrad.Project(ReadOnlySpan{float}, int, int, ulong, ulong, ulong, GradientReduction, Span{float}, ProjectionWorkspace?, Mtrl.Kernels.Accelerator?, GramMethod)"/>;
    /// advance the counter by <see cref="PcGradOrders.CountersUsed"/>(T) per step.
    /// </summary>
    /// <param name="taskGradients">T rows of P floats, row-major; not modified.</param>
    /// <param name="seed">Experiment seed.</param>
    /// <param name="stream">Stream reserved for PCGrad's shuffles.</param>
    /// <param name="counter">Counter of this step.</param>
    /// <param name="reduction">Sum or mean of the projected gradients.</param>
    /// <param name="output">P floats, overwritten; must not overlap the gradients.</param>
    public void Project(ArrayView<float> taskGradients, ulong seed, ulong stream, ulong counter, GradientReduction reduction, ArrayView<float> output)
    {
        Check(taskGradients, reduction, output);
        _drawOrders(TaskCount, Orders.View, TaskCount, seed, stream, counter);
        Run(taskGradients, reduction, output);
    }

    /// <summary>Projects with explicit visiting orders (validated on the host, then uploaded), as the CPU overload with orders.</summary>
    /// <param name="taskGradients">T rows of P floats, row-major; not modified.</param>
    /// <param name="orders">T×(T−1) table: row i lists the other tasks in the order task i visits them.</param>
    /// <param name="reduction">Sum or mean of the projected gradients.</param>
    /// <param name="output">P floats, overwritten; must not overlap the gradients.</param>
    public void Project(ArrayView<float> taskGradients, ReadOnlySpan<int> orders, GradientReduction reduction, ArrayView<float> output)
    {
        Check(taskGradients, reduction, output);
        PcGradOrders.Validate(orders, TaskCount);
        if (orders.Length > 0)
        {
            ArrayView<int> target = Orders.View;
            target.SubView(0, orders.Length).CopyFromCPU(orders);
        }

        Run(taskGradients, reduction, output);
    }

    /// <summary>Projections applied by the last call (synchronises): 0 when no pair of tasks conflicted.</summary>
    public int ReadProjectionCount() => _counts.GetAsArray1D()[0];

    /// <inheritdoc />
    public void Dispose()
    {
        Gram.Dispose();
        Orders.Dispose();
        Weights.Dispose();
        _partials.Dispose();
        _coefficients.Dispose();
        _counts.Dispose();
    }

    private void Run(ArrayView<float> taskGradients, GradientReduction reduction, ArrayView<float> output)
    {
        int pairs = TaskCount * TaskCount;
        _gramPartials(pairs * _lanes, taskGradients, _partials.View, TaskCount, ParameterCount, _lanes);
        _gramReduce(pairs, _partials.View, Gram.View, TaskCount, _lanes);
        _weights(1, Gram.View, Orders.View, _coefficients.View, Weights.View, _counts.View, TaskCount, reduction == GradientReduction.Mean ? 1 : 0);
        _combine(ParameterCount, taskGradients, Weights.View, output, TaskCount, ParameterCount);
    }

    private void Check(ArrayView<float> taskGradients, GradientReduction reduction, ArrayView<float> output)
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

        if (reduction is not (GradientReduction.Sum or GradientReduction.Mean))
        {
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "reduction must be Sum or Mean");
        }
    }
}
