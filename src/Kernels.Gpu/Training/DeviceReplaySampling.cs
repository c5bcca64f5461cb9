namespace Mtrl.Kernels.Gpu.Training;

/// <summary>How a device training loop draws its batches (the CPU's prioritized kinds are not on the device yet).</summary>
public enum DeviceReplaySampling
{
    /// <summary>Uniformly over every sampleable transition (with hindsight relabeling fused in when asked).</summary>
    Uniform,

    /// <summary>Equal shares per task, uniform within each task.</summary>
    TaskBalanced,
}
