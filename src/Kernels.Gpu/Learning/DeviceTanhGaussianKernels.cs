using System;
using ILGPU;

namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>
/// SAC's tanh-squashed Gaussian head on the device, the twin of the CPU <c>TanhGaussian</c>: the
/// same float operations in the same order (the log-probability summed in float64 over the action
/// dimensions), so on the ILGPU CPU accelerator samples, log-probabilities and gradients have the
/// CPU's bits.
/// </summary>
internal static class DeviceTanhGaussianKernels
{
    /// <summary>
    /// One thread per row: ℓ = lo + ½(hi − lo)(tanh r + 1), u = μ + e^ℓ·ε, a = tanh u and
    /// log π = Σ [−½ε² − ℓ − ½ ln 2π − 2(ln 2 − u − softplus(−2u))].
    /// </summary>
    public static void Sample(
        Index1D row, ArrayView<float> readout, ArrayView<float> noise, ArrayView<float> actions, ArrayView<float> logProbability, DeviceTanhGaussianSettings s)
    {
        int d = s.Actions;
        long input = (long)(int)row * 2 * d;
        long output = (long)(int)row * d;
        double logp = 0;
        for (int i = 0; i < d; i++)
        {
            float logStd = s.LogStdMin + (s.HalfRange * (DeviceMath.Tanh(readout[input + d + i]) + 1f));
            float e = noise[output + i];
            float u = readout[input + i] + (MathF.Exp(logStd) * e);
            actions[output + i] = DeviceMath.Tanh(u);
            logp += (-0.5f * e * e) - logStd - s.HalfLogTwoPi - SquashCorrection(u, s.LogTwo);
        }

        logProbability[row] = (float)logp;
    }

    /// <summary>
    /// One thread per (row, dimension): ∂L/∂[μ | r] from ∂L/∂a and ∂L/∂log π for the noise of the
    /// forward sample — ∂L/∂u = g_a(1 − a²) + 2a·g_logπ, ∂L/∂ℓ = ∂L/∂u·σε − g_logπ, ∂L/∂r = ∂L/∂ℓ·½(hi − lo)(1 − tanh² r).
    /// </summary>
    public static void Backward(
        Index1D element, ArrayView<float> readout, ArrayView<float> noise, ArrayView<float> actionGradient, ArrayView<float> logProbabilityGradient,
        ArrayView<float> readoutGradient, DeviceTanhGaussianSettings s)
    {
        int d = s.Actions;
        int row = element / d;
        int i = element - (row * d);
        long input = (long)row * 2 * d;
        float gLogp = logProbabilityGradient[row];
        float t = DeviceMath.Tanh(readout[input + d + i]);
        float logStd = s.LogStdMin + (s.HalfRange * (t + 1f));
        float sigma = MathF.Exp(logStd);
        float e = noise[element];
        float a = DeviceMath.Tanh(readout[input + i] + (sigma * e));
        float gA = actionGradient[element];
        float gU = (gA * (1f - (a * a))) + (gLogp * 2f * a);
        readoutGradient[input + i] = gU;
        float gLogStd = (gU * sigma * e) - gLogp;
        readoutGradient[input + d + i] = gLogStd * s.HalfRange * (1f - (t * t));
    }

    /// <summary>ln(1 − tanh² u) = 2(ln 2 − u − softplus(−2u)), stable for large |u|.</summary>
    private static float SquashCorrection(float u, float logTwo) => 2f * (logTwo - u - Softplus(-2f * u));

    private static float Softplus(float x) => x > 20f ? x : MathF.Log(1f + MathF.Exp(x));
}
