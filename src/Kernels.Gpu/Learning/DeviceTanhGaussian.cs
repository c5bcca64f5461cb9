using System;
using ILGPU;
using ILGPU.Runtime;
using Mtrl.Kernels.Gpu.Devices;

namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>
/// SAC's policy head on device arrays, as the CPU <c>TanhGaussian</c>: each readout row holds
/// [μ | r] for d dimensions, the log-std is ℓ = lo + ½(hi − lo)(tanh r + 1) (inside [lo, hi] with a
/// smooth gradient), a reparameterised sample u = μ + e^ℓ·ε is squashed to a = tanh u, and
/// log π(a) = Σ [−½ε² − ℓ − ½ ln 2π − ln(1 − tanh² u)]. <see cref="Backward"/> gives ∂L/∂[μ | r]
/// for a loss of a and log π through the same noise.
/// </summary>
public sealed class DeviceTanhGaussian
{
    private static readonly float HalfLogTwoPi = 0.5f * MathF.Log(2f * MathF.PI);
    private static readonly float LogTwo = MathF.Log(2f);

    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DeviceTanhGaussianSettings> _sample;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DeviceTanhGaussianSettings> _backward;
    private readonly DeviceTanhGaussianSettings _settings;

    /// <summary>A head for <paramref name="actions"/> dimensions with log-std bounds [lo, hi], compiled for <paramref name="device"/>.</summary>
    /// <param name="device">An open device.</param>
    /// <param name="actions">Action dimensions d, at least 1.</param>
    /// <param name="logStdMin">Lower log-std bound, finite.</param>
    /// <param name="logStdMax">Upper log-std bound, finite and above <paramref name="logStdMin"/>.</param>
    public DeviceTanhGaussian(GpuDevice device, int actions, float logStdMin = -20f, float logStdMax = 2f)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(actions, 1);
        if (!(float.IsFinite(logStdMin) && float.IsFinite(logStdMax) && logStdMin < logStdMax))
        {
            throw new ArgumentOutOfRangeException(nameof(logStdMax), logStdMax, $"log-std bounds must be finite with logStdMin ({logStdMin}) < logStdMax");
        }

        Actions = actions;
        LogStdMin = logStdMin;
        LogStdMax = logStdMax;
        _settings = new DeviceTanhGaussianSettings(actions, logStdMin, 0.5f * (logStdMax - logStdMin), HalfLogTwoPi, LogTwo);
        ILGPU.Runtime.Accelerator accelerator = device.Accelerator;
        _sample = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DeviceTanhGaussianSettings>(
            DeviceTanhGaussianKernels.Sample);
        _backward = accelerator.LoadAutoGroupedStreamKernel<
            Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, DeviceTanhGaussianSettings>(DeviceTanhGaussianKernels.Backward);
    }

    /// <summary>Action dimensions d.</summary>
    public int Actions { get; }

    /// <summary>Lower log-std bound.</summary>
    public float LogStdMin { get; }

    /// <summary>Upper log-std bound.</summary>
    public float LogStdMax { get; }

    /// <summary>Samples a = tanh(μ + σε) for <paramref name="rows"/> rows and writes log π(a) per row.</summary>
    /// <param name="rows">Rows, at least 1.</param>
    /// <param name="readout">rows × 2d: [μ | r] per row.</param>
    /// <param name="noise">rows × d standard-normal draws ε.</param>
    /// <param name="actions">rows × d, overwritten.</param>
    /// <param name="logProbability">rows, overwritten.</param>
    public void Sample(int rows, ArrayView<float> readout, ArrayView<float> noise, ArrayView<float> actions, ArrayView<float> logProbability)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        long matrix = (long)rows * Actions;
        AtLeast(readout, 2 * matrix, nameof(readout));
        AtLeast(noise, matrix, nameof(noise));
        AtLeast(actions, matrix, nameof(actions));
        AtLeast(logProbability, rows, nameof(logProbability));
        _sample(rows, readout, noise, actions, logProbability, _settings);
    }

    /// <summary>∂L/∂[μ | r] for the sample <see cref="Sample"/> drew with the same readout and noise.</summary>
    /// <param name="rows">Rows, at least 1.</param>
    /// <param name="readout">rows × 2d, as given to <see cref="Sample"/>.</param>
    /// <param name="noise">rows × d, as given to <see cref="Sample"/>.</param>
    /// <param name="actionGradient">rows × d: ∂L/∂a.</param>
    /// <param name="logProbabilityGradient">rows: ∂L/∂log π.</param>
    /// <param name="readoutGradient">rows × 2d, overwritten.</param>
    public void Backward(
        int rows, ArrayView<float> readout, ArrayView<float> noise, ArrayView<float> actionGradient, ArrayView<float> logProbabilityGradient, ArrayView<float> readoutGradient)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        long matrix = (long)rows * Actions;
        AtLeast(readout, 2 * matrix, nameof(readout));
        AtLeast(noise, matrix, nameof(noise));
        AtLeast(actionGradient, matrix, nameof(actionGradient));
        AtLeast(logProbabilityGradient, rows, nameof(logProbabilityGradient));
        AtLeast(readoutGradient, 2 * matrix, nameof(readoutGradient));
        _backward((int)matrix, readout, noise, actionGradient, logProbabilityGradient, readoutGradient, _settings);
    }

    private static void AtLeast<T>(ArrayView<T> view, long length, string name)
        where T : unmanaged
    {
        if (view.Length < length)
        {
            throw new ArgumentException($"{name} has {view.Length} values; {length} needed", name);
        }
    }
}
