using System;

namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>
/// Float functions for device kernels where ILGPU's PTX mapping is too coarse: it lowers
/// <see cref="MathF.Tanh"/> to <c>tanh.approx.f32</c> on sm_75 and later (relative error near
/// 2⁻¹¹, far beyond what a policy's log-probability tolerates) and to nothing at all on older
/// GPUs. This one is computed in float64 and rounded once.
/// </summary>
internal static class DeviceMath
{
    /// <summary>
    /// tanh x as 1 − 2/(e^{2|x|} + 1) in float64 with x's sign, or |x| − |x|³/3 below 10⁻⁴ where the
    /// difference would cancel; rounded to float it is within an ulp of the exact value (±0, ±∞
    /// and NaN map as tanh does).
    /// </summary>
    public static float Tanh(float x)
    {
        if (x == 0f)
        {
            return x;
        }

        double magnitude = Math.Abs((double)x);
        double value = magnitude < 1e-4 ? magnitude - (magnitude * magnitude * magnitude / 3.0) : 1.0 - (2.0 / (Math.Exp(2.0 * magnitude) + 1.0));
        float rounded = (float)value;
        return x < 0f ? -rounded : rounded;
    }
}
