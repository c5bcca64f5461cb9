using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>
/// The TD loss of a DQN batch on device arrays: targets (plain or double DQN), the taken
/// actions' Q values, the Huber or squared loss and its gradient ∂L/∂Q (batch × actions, zero
/// off the taken actions), as the CPU trainer's <c>TemporalDifference.Targets</c>, <c>Chosen</c>,
/// <c>Loss.Huber</c> and <c>Scatter</c>, bit for bit on the ILGPU CPU accelerator. The loss stays on
/// the device, where <see cref="Optimization.DeviceAdam"/> reads it to skip a non-finite step.
/// </summary>
public sealed class DeviceTdLoss : IDisposable
{
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _rowLosses;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<double>, ArrayView<float>, DeviceTdSettings> _rows;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, int, float> _reduce;

    /// <summary>Allocates the outputs for batches of up to <paramref name="maxBatch"/> rows of <paramref name="actions"/> Q values.</summary>
    /// <param name="device">An open device.</param>
    /// <param name="maxBatch">Largest batch, at least 1.</param>
    /// <param name="actions">Q values per row, at least 1.</param>
    public DeviceTdLoss(GpuDevice device, int maxBatch, int actions)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(actions, 1);
        MaxBatch = maxBatch;
        Actions = actions;
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        Targets = accelerator.Allocate1D<float>(maxBatch);
        QGradient = accelerator.Allocate1D<float>((long)maxBatch * actions);
        Loss = accelerator.Allocate1D(new[] { double.NaN });
        _rowLosses = accelerator.Allocate1D<double>(maxBatch);
        _rows = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<double>, ArrayView<float>, DeviceTdSettings>(DeviceTdKernels.Rows);
        _reduce = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, int, float>(DeviceTdKernels.Reduce);
    }

    /// <summary>Largest batch.</summary>
    public int MaxBatch { get; }

    /// <summary>Q values per row.</summary>
    public int Actions { get; }

    /// <summary>The last batch's TD targets (its first batch values).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Targets { get; }

    /// <summary>The last batch's ∂L/∂Q, batch × actions row-major (its first batch·actions values).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> QGradient { get; }

    /// <summary>One float64: the last batch's mean loss (NaN before the first).</summary>
    public MemoryBuffer1D<double, Stride1D.Dense> Loss { get; }

    /// <summary>Computes the targets, the loss and ∂L/∂Q of one batch.</summary>
    /// <param name="batch">Rows, in [1, <see cref="MaxBatch"/>].</param>
    /// <param name="rewards">batch rewards.</param>
    /// <param name="terminated">batch flags, 1 = terminal (truncation bootstraps).</param>
    /// <param name="takenActions">batch taken actions, as the device replay stores them (floats holding integers).</param>
    /// <param name="q">Q_online(s, ·), batch × actions.</param>
    /// <param name="targetNext">Q_target(s′, ·), batch × actions.</param>
    /// <param name="onlineNext">Q_online(s′, ·), batch × actions, for double DQN; ignored when <paramref name="doubleDqn"/> is false.</param>
    /// <param name="gamma">Discount, in [0, 1].</param>
    /// <param name="doubleDqn">Whether the online network chooses the next action.</param>
    /// <param name="loss">Huber (δ = 1, DQN's) or squared error.</param>
    /// <param name="delta">Huber's threshold, greater than 0.</param>
    public void Compute(
        int batch, ArrayView<float> rewards, ArrayView<float> terminated, ArrayView<float> takenActions, ArrayView<float> q,
        ArrayView<float> targetNext, ArrayView<float> onlineNext, float gamma, bool doubleDqn, DeviceTdLossKind loss = DeviceTdLossKind.Huber, float delta = 1f)
    {
        if (batch < 1 || batch > MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be in [1, {MaxBatch}]");
        }

        if (!(gamma >= 0f && gamma <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be in [0, 1]");
        }

        if (!(delta > 0f) || float.IsInfinity(delta))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "delta must be finite and greater than 0");
        }

        long matrix = (long)batch * Actions;
        AtLeast(rewards, batch, nameof(rewards));
        AtLeast(terminated, batch, nameof(terminated));
        AtLeast(takenActions, batch, nameof(takenActions));
        AtLeast(q, matrix, nameof(q));
        AtLeast(targetNext, matrix, nameof(targetNext));
        if (doubleDqn)
        {
            AtLeast(onlineNext, matrix, nameof(onlineNext));
        }

        var settings = new DeviceTdSettings(batch, Actions, gamma, doubleDqn ? 1 : 0, (int)loss, delta, 1f);
        _rows(batch, rewards, terminated, takenActions, q, targetNext, doubleDqn ? onlineNext : targetNext, Targets.View, _rowLosses.View, QGradient.View, settings);
        _reduce(1, _rowLosses.View, Loss.View, batch, 1f);
    }

    /// <summary>The last batch's mean loss (synchronises).</summary>
    public double ReadLoss() => Loss.GetAsArray1D()[0];

    /// <inheritdoc />
    public void Dispose()
    {
        Targets.Dispose();
        QGradient.Dispose();
        Loss.Dispose();
        _rowLosses.Dispose();
    }

    private static void AtLeast(ArrayView<float> view, long length, string name)
    {
        if (view.Length < length)
        {
            throw new ArgumentException($"{name} has {view.Length} values; the batch needs {length}", name);
        }
    }
}
