using System;

namespace Mtrl.Runtime.Parameters;

/// <summary>How a parameter slice gets its first values.</summary>
public enum InitializerKind
{
    /// <summary>All zeros (biases, LayerNorm shift).</summary>
    Zeros = 0,

    /// <summary>All equal to <see cref="Initializer.Scale"/> (LayerNorm gain, progressive α).</summary>
    Constant = 1,

    /// <summary>U(−b, b) with b = gain·√(3 / fan_in): He/Kaiming for ReLU layers (gain √2), PyTorch's Linear default with gain 1/√3.</summary>
    KaimingUniform = 2,

    /// <summary>U(−b, b) with b = gain·√(6 / (fan_in + fan_out)) (Glorot).</summary>
    XavierUniform = 3,

    /// <summary>A (semi-)orthogonal matrix times gain (Saxe et al. 2014).</summary>
    Orthogonal = 4,

    /// <summary>U(−scale, scale): small output layers (SAC heads use ±3e-3).</summary>
    Uniform = 5,

    /// <summary>N(0, scale²).</summary>
    Normal = 6,
}

/// <summary>An initializer and its scale or gain (meaning depends on <see cref="Kind"/>).</summary>
public readonly record struct Initializer(InitializerKind Kind, float Scale)
{
    /// <summary>Zeros.</summary>
    public static Initializer Zeros => new(InitializerKind.Zeros, 0f);

    /// <summary>All <paramref name="value"/>.</summary>
    public static Initializer Constant(float value) => new(InitializerKind.Constant, value);

    /// <summary>Kaiming uniform with gain <paramref name="gain"/> (√2 for ReLU).</summary>
    public static Initializer KaimingUniform(float gain) => new(InitializerKind.KaimingUniform, gain);

    /// <summary>PyTorch's default for Linear weights: U(±1/√fan_in).</summary>
    public static Initializer TorchLinearDefault => new(InitializerKind.KaimingUniform, 1f / MathF.Sqrt(3f));

    /// <summary>Xavier/Glorot uniform with gain <paramref name="gain"/>.</summary>
    public static Initializer XavierUniform(float gain = 1f) => new(InitializerKind.XavierUniform, gain);

    /// <summary>Orthogonal with gain <paramref name="gain"/>.</summary>
    public static Initializer Orthogonal(float gain = 1f) => new(InitializerKind.Orthogonal, gain);

    /// <summary>U(±<paramref name="bound"/>).</summary>
    public static Initializer Uniform(float bound) => new(InitializerKind.Uniform, bound);

    /// <summary>N(0, <paramref name="std"/>²).</summary>
    public static Initializer Normal(float std) => new(InitializerKind.Normal, std);
}
