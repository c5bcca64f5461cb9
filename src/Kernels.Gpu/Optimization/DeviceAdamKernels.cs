using System;
using ILGPU;

namespace Mtrl.Kernels.Gpu.Optimization;

/// <summary>
/// Adam on the device in three launches, with the CPU <c>Adam.Step</c>'s decisions taken on the
/// device so no value goes to the host: the gradient's squared norm in fixed lanes, one thread
/// that decides (skip a non-finite step, count it, or advance the step and build the constants
/// of <c>AdamConstants</c> with the global-norm clip), and the elementwise update of <c>AdamMath</c>.
/// </summary>
internal static class DeviceAdamKernels
{
    /// <summary>Lanes of the norm: lane l sums g[p]² in float64 for p ≡ l (mod lanes), coalesced, in an order that depends on the length only.</summary>
    public const int NormLanes = 256;

    /// <summary>Index of each constant in the constants array.</summary>
    public const int Apply = 0, Clip = 1, StepSize = 2, InverseCorrection2Sqrt = 3, Keep = 4, ConstantCount = 5;

    /// <summary>Index of each value in the float64 state array: β₁ᵗ, β₂ᵗ, the last gradient norm.</summary>
    public const int Beta1Power = 0, Beta2Power = 1, LastNorm = 2, StateCount = 3;

    /// <summary>Index of each counter: steps applied, steps skipped.</summary>
    public const int Steps = 0, Skipped = 1, CounterCount = 2;

    /// <summary>Smallest normal float, 2⁻¹²⁶: moments below it are flushed to zero, as on the CPU.</summary>
    private const float MinNormal = 1.17549435e-38f;

    /// <summary>One thread per lane: partials[lane] = Σ g[p]² over p ≡ lane (mod lanes), exact squares summed in float64.</summary>
    public static void NormPartials(Index1D lane, ArrayView<float> gradients, ArrayView<double> partials, int length)
    {
        double sum = 0;
        for (int p = lane; p < length; p += NormLanes)
        {
            double g = gradients[p];
            sum += g * g;
        }

        partials[lane] = sum;
    }

    /// <summary>
    /// One thread: the norm from the partials in lane order; a step is skipped (and counted) when
    /// the norm or <paramref name="gate"/>[0] (the loss, or 0 when there is none) is not finite;
    /// otherwise the step count and β powers advance and the update's constants are written, with
    /// AdamConstants' roundings: step = (float)(lr / (1 − β₁ᵗ)), c₂ = (float)(1 / √(1 − β₂ᵗ)),
    /// keep = 1 − lr·decay, clip = max / (‖g‖ + 10⁻⁶) above max.
    /// </summary>
    public static void Prepare(
        Index1D thread, ArrayView<double> partials, ArrayView<double> gate, ArrayView<long> counters, ArrayView<double> state, ArrayView<float> constants,
        DeviceAdamSettings s)
    {
        double total = 0;
        for (int lane = 0; lane < NormLanes; lane++)
        {
            total += partials[lane];
        }

        double norm = Math.Sqrt(total);
        state[LastNorm] = norm;
        double loss = gate[0];

        // x − x is 0 exactly when x is finite (NaN and ±∞ give NaN).
        if (norm - norm != 0.0 || loss - loss != 0.0)
        {
            counters[Skipped] += 1;
            constants[Apply] = 0f;
            return;
        }

        counters[Steps] += 1;
        double beta1Power = state[Beta1Power] * s.Beta1;
        double beta2Power = state[Beta2Power] * s.Beta2;
        state[Beta1Power] = beta1Power;
        state[Beta2Power] = beta2Power;
        constants[Apply] = 1f;
        constants[Clip] = s.MaxGradientNorm > 0f && norm > s.MaxGradientNorm ? (float)(s.MaxGradientNorm / (norm + 1e-6)) : 1f;
        constants[StepSize] = (float)(s.LearningRate / (1.0 - beta1Power));
        constants[InverseCorrection2Sqrt] = (float)(1.0 / Math.Sqrt(1.0 - beta2Power));
        constants[Keep] = 1f - (s.LearningRate * s.WeightDecay);
    }

    /// <summary>
    /// One thread per parameter, AdamMath's sequence: g ← g·clip; m ← β₁m + (1 − β₁)g;
    /// v ← β₂v + ((1 − β₂)g)g; flush m, v below 2⁻¹²⁶; w ← w·keep − (step·m) / (√v·c₂ + ε).
    /// Nothing changes when the step was skipped.
    /// </summary>
    public static void Update(
        Index1D i, ArrayView<float> values, ArrayView<float> gradients, ArrayView<float> m, ArrayView<float> v, ArrayView<float> constants, DeviceAdamSettings s)
    {
        if (constants[Apply] == 0f)
        {
            return;
        }

        float g = gradients[i] * constants[Clip];
        float mNew = (s.Beta1 * m[i]) + ((1f - s.Beta1) * g);
        float vNew = (s.Beta2 * v[i]) + ((1f - s.Beta2) * g * g);
        if (Math.Abs(mNew) < MinNormal)
        {
            mNew = 0f;
        }

        if (vNew < MinNormal)
        {
            vNew = 0f;
        }

        m[i] = mNew;
        v[i] = vNew;
        values[i] = (values[i] * constants[Keep]) - (constants[StepSize] * mNew / ((MathF.Sqrt(vNew) * constants[InverseCorrection2Sqrt]) + s.Epsilon));
    }
}
