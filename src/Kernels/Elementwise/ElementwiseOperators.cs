using System.Runtime.Intrinsics;

namespace Mtrl.Kernels;

/// <summary>
/// A per-element function with a scalar and a 256-bit form. Operators are structs so the generic
/// loop in <see cref="ElementwiseLoops"/> is specialised and inlined per operator (the
/// TensorPrimitives pattern); instance fields carry parameters such as a leaky slope.
/// </summary>
internal interface IUnaryOperator
{
    /// <summary>f(x) for one element (used where 256-bit vectors are not accelerated).</summary>
    float Invoke(float x);

    /// <summary>f(x) for eight elements.</summary>
    Vector256<float> Invoke(Vector256<float> x);
}

/// <summary>A per-element function of two inputs, e.g. (saved activation input, upstream gradient) → gradient.</summary>
internal interface IBinaryOperator
{
    /// <summary>f(x, y) for one element.</summary>
    float Invoke(float x, float y);

    /// <summary>f(x, y) for eight elements.</summary>
    Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);
}
