using System;

namespace Mtrl.Kernels.Gpu.Optimization;

/// <summary>
/// The device Adam's hyperparameters, with the CPU <c>AdamOptions</c>' names, defaults and ranges
/// (this project does not reference the runtime, so the record is its own). Weight decay is
/// decoupled (AdamW); clipping is by global norm, 0 = off.
/// </summary>
public sealed record DeviceAdamOptions(
    float LearningRate = 3e-4f,
    float Beta1 = 0.9f,
    float Beta2 = 0.999f,
    float Epsilon = 1e-8f,
    float WeightDecay = 0f,
    float MaxGradientNorm = 0f)
{
    /// <summary>Throws if any value is outside its range, naming it and the range.</summary>
    public void Validate()
    {
        if (!(LearningRate > 0f) || float.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be finite and greater than 0");
        if (!(Beta1 >= 0f && Beta1 < 1f)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "must be in [0, 1)");
        if (!(Beta2 >= 0f && Beta2 < 1f)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "must be in [0, 1)");
        if (!(Epsilon > 0f)) throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "must be greater than 0");
        if (!(WeightDecay >= 0f)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "must be at least 0");
        if (!(MaxGradientNorm >= 0f)) throw new ArgumentOutOfRangeException(nameof(MaxGradientNorm), MaxGradientNorm, "must be at least 0 (0 turns clipping off)");
    }
}
