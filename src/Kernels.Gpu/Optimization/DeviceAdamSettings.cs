namespace Mtrl.Kernels.Gpu.Optimization;

/// <summary>The hyperparameters as one blittable kernel argument.</summary>
internal readonly record struct DeviceAdamSettings(float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, float MaxGradientNorm)
{
    public static DeviceAdamSettings Of(DeviceAdamOptions o) => new(o.LearningRate, o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay, o.MaxGradientNorm);
}
