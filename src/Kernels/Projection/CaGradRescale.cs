namespace Mtrl.Kernels;

/// <summary>
/// The final scaling of the CAGrad direction, numbered as the official code's <c>rescale</c>
/// argument (Cranial-XIX/CAGrad <c>nyuv2/utils.py</c>, <c>cagrad</c>): the direction
/// g0 + λ·g_w is longer than the mean gradient, and the rescale keeps step sizes comparable.
/// </summary>
public enum CaGradRescale
{
    /// <summary>rescale = 0: no scaling.</summary>
    None = 0,

    /// <summary>rescale = 1 (the official default): divide by 1 + c².</summary>
    OnePlusCSquared = 1,

    /// <summary>rescale = 2: divide by 1 + c.</summary>
    OnePlusC = 2,
}
