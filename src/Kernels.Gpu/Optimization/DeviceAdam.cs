using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Optimization;

/// <summary>
/// Adam over one flat device array of parameters and its gradient, with the CPU <c>Adam</c>'s
/// update (moments, bias correction, decoupled weight decay, global-norm clipping, subnormal
/// flush) and its rule that a step whose gradient norm is not finite is skipped and counted.
/// The decision is taken on the device, so a step never waits for the host.
/// </summary>
/// <remarks>
/// Differences from the CPU optimizer, by float rounding only: the norm sums exact float64
/// squares in 256 lanes (the CPU sums float32 blocks of 4,096), and the bias corrections use
/// β₁ᵗ and β₂ᵗ kept as running float64 products (the CPU calls Math.Pow). All parameters share one
/// learning rate: per-slice scales and frozen slices are not supported here.
/// </remarks>
public sealed class DeviceAdam : IDisposable
{
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _partials;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _state;
    private readonly MemoryBuffer1D<long, Stride1D.Dense> _counters;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _constants;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> _noGate;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<double>, int> _normPartials;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<long>, ArrayView<double>, ArrayView<float>, DeviceAdamSettings> _prepare;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DeviceAdamSettings> _update;
    private readonly DeviceAdamSettings _settings;

    /// <summary>Allocates zeroed moments for <paramref name="parameterCount"/> parameters and compiles the kernels.</summary>
    /// <param name="device">An open device.</param>
    /// <param name="parameterCount">Parameters updated per step, at least 1.</param>
    /// <param name="options">Hyperparameters, validated as the CPU's.</param>
    public DeviceAdam(GpuDevice device, int parameterCount, DeviceAdamOptions options)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameterCount, 1);
        options.Validate();
        Options = options;
        ParameterCount = parameterCount;
        _settings = DeviceAdamSettings.Of(options);
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        FirstMoment = accelerator.Allocate1D<float>(parameterCount);
        SecondMoment = accelerator.Allocate1D<float>(parameterCount);
        FirstMoment.MemSetToZero();
        SecondMoment.MemSetToZero();
        _partials = accelerator.Allocate1D<double>(DeviceAdamKernels.NormLanes);
        _state = accelerator.Allocate1D(new double[] { 1.0, 1.0, 0.0 });
        _counters = accelerator.Allocate1D(new long[DeviceAdamKernels.CounterCount]);
        _constants = accelerator.Allocate1D(new float[DeviceAdamKernels.ConstantCount]);
        _noGate = accelerator.Allocate1D(new double[1]);
        _normPartials = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, int>(DeviceAdamKernels.NormPartials);
        _prepare = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, ArrayView<double>, ArrayView<double>, ArrayView<long>, ArrayView<double>, ArrayView<float>, DeviceAdamSettings>(DeviceAdamKernels.Prepare);
        _update = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DeviceAdamSettings>(DeviceAdamKernels.Update);
    }

    /// <summary>The hyperparameters.</summary>
    public DeviceAdamOptions Options { get; }

    /// <summary>Parameters per step.</summary>
    public int ParameterCount { get; }

    /// <summary>First moments, in the parameters' layout.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> FirstMoment { get; }

    /// <summary>Second moments, in the parameters' layout.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> SecondMoment { get; }

    /// <summary>Applies one update from <paramref name="gradients"/> (skipped on the device when their norm is not finite).</summary>
    public void Step(ArrayView<float> parameters, ArrayView<float> gradients) => Step(parameters, gradients, _noGate.View);

    /// <summary>
    /// As <see cref="Step(ArrayView{float}, ArrayView{float})"/>, also skipped when
    /// <paramref name="loss"/>[0] is not finite: a learner's update that, like the CPU trainers,
    /// takes no step when its loss is NaN or ∞ (<see cref="Learning.DeviceTdLoss.Loss"/>).
    /// </summary>
    public void Step(ArrayView<float> parameters, ArrayView<float> gradients, ArrayView<double> loss)
    {
        Check(parameters, nameof(parameters));
        Check(gradients, nameof(gradients));
        if (loss.Length < 1)
        {
            throw new ArgumentException("loss must hold at least one value", nameof(loss));
        }

        _normPartials(DeviceAdamKernels.NormLanes, gradients, _partials.View, ParameterCount);
        _prepare(1, _partials.View, loss, _counters.View, _state.View, _constants.View, _settings);
        _update(ParameterCount, parameters, gradients, FirstMoment.View, SecondMoment.View, _constants.View, _settings);
    }

    /// <summary>
    /// Continues a saved optimizer (a checkpoint's moments and counters): the moments are
    /// uploaded and the β powers become the running products after <paramref name="steps"/>
    /// applied steps, the values the device would hold had it made them.
    /// </summary>
    /// <param name="firstMoment">First moments, one per parameter.</param>
    /// <param name="secondMoment">Second moments, one per parameter.</param>
    /// <param name="steps">Applied steps, at least 0.</param>
    /// <param name="skipped">Skipped steps, at least 0.</param>
    public void Restore(float[] firstMoment, float[] secondMoment, long steps, long skipped)
    {
        ArgumentNullException.ThrowIfNull(firstMoment);
        ArgumentNullException.ThrowIfNull(secondMoment);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        ArgumentOutOfRangeException.ThrowIfNegative(skipped);
        if (firstMoment.Length != ParameterCount || secondMoment.Length != ParameterCount)
        {
            throw new ArgumentException(
                $"the moments hold {firstMoment.Length} and {secondMoment.Length} values; the optimizer has {ParameterCount} parameters", nameof(firstMoment));
        }

        double beta1Power = 1.0, beta2Power = 1.0;
        for (long t = 0; t < steps; t++)
        {
            beta1Power *= _settings.Beta1;
            beta2Power *= _settings.Beta2;
        }

        FirstMoment.CopyFromCPU(firstMoment);
        SecondMoment.CopyFromCPU(secondMoment);
        _state.CopyFromCPU(new[] { beta1Power, beta2Power, 0.0 });
        var counters = new long[DeviceAdamKernels.CounterCount];
        counters[DeviceAdamKernels.Steps] = steps;
        counters[DeviceAdamKernels.Skipped] = skipped;
        _counters.CopyFromCPU(counters);
    }

    /// <summary>Steps applied so far (synchronises).</summary>
    public long ReadSteps() => _counters.GetAsArray1D()[DeviceAdamKernels.Steps];

    /// <summary>Steps skipped for a non-finite gradient or loss (synchronises).</summary>
    public long ReadSkippedSteps() => _counters.GetAsArray1D()[DeviceAdamKernels.Skipped];

    /// <summary>Norm of the last gradient seen, before clipping (synchronises).</summary>
    public double ReadLastGradientNorm() => _state.GetAsArray1D()[DeviceAdamKernels.LastNorm];

    /// <inheritdoc />
    public void Dispose()
    {
        FirstMoment.Dispose();
        SecondMoment.Dispose();
        _partials.Dispose();
        _state.Dispose();
        _counters.Dispose();
        _constants.Dispose();
        _noGate.Dispose();
    }

    private void Check(ArrayView<float> view, string name)
    {
        if (view.Length != ParameterCount)
        {
            throw new ArgumentException($"{name} has {view.Length} values; it needs parameterCount = {ParameterCount}", name);
        }
    }
}
