using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Mtrl.Kernels;

/// <summary>f(x) = x: the activation of an affine layer without one.</summary>
internal readonly struct IdentityOperator : IUnaryOperator
{
    public float Invoke(float x) => x;

    public Vector256<float> Invoke(Vector256<float> x) => x;
}

/// <summary>ReLU: max(x, 0).</summary>
internal readonly struct ReluOperator : IUnaryOperator
{
    public float Invoke(float x) => x > 0f ? x : 0f;

    public Vector256<float> Invoke(Vector256<float> x)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, Vector256<float>.Zero);
}

/// <summary>ReLU gradient from the saved input: g where x &gt; 0, else 0.</summary>
internal readonly struct ReluGradientOperator : IBinaryOperator
{
    public float Invoke(float x, float g) => x > 0f ? g : 0f;

    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> g)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), g, Vector256<float>.Zero);
}

/// <summary>Leaky ReLU: x where x &gt; 0, else slope·x.</summary>
internal readonly struct LeakyReluOperator(float slope) : IUnaryOperator
{
    public float Invoke(float x) => x > 0f ? x : slope * x;

    public Vector256<float> Invoke(Vector256<float> x)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, x * slope);
}

/// <summary>Leaky ReLU gradient from the saved input: g where x &gt; 0, else slope·g.</summary>
internal readonly struct LeakyReluGradientOperator(float slope) : IBinaryOperator
{
    public float Invoke(float x, float g) => x > 0f ? g : slope * g;

    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> g)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), g, g * slope);
}

/// <summary>ELU: x where x &gt; 0, else alpha·(eˣ − 1), with eˣ − 1 computed without cancellation near 0.</summary>
internal readonly struct EluOperator(float alpha) : IUnaryOperator
{
    public float Invoke(float x) => x > 0f ? x : alpha * (float)(Math.Exp(x) - 1.0);

    public Vector256<float> Invoke(Vector256<float> x)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, ExpM1(x) * alpha);

    /// <summary>
    /// eˣ − 1 to near full precision. For |x| &lt; 0.5, Kahan's identity (u − 1)·x / ln u with u = eˣ
    /// cancels the rounding error of u; elsewhere u − 1 loses nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ExpM1(Vector256<float> x)
    {
        Vector256<float> one = Vector256<float>.One;
        Vector256<float> u = Vector256.Exp(x);
        Vector256<float> um1 = u - one;
        Vector256<float> kahan = Vector256.ConditionalSelect(
            Vector256.Equals(u, one), x, um1 * x / Vector256.Log(u));
        return Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x), Vector256.Create(0.5f)), kahan, um1);
    }
}

/// <summary>ELU gradient from the saved input: g where x &gt; 0, else g·alpha·eˣ.</summary>
internal readonly struct EluGradientOperator(float alpha) : IBinaryOperator
{
    public float Invoke(float x, float g) => x > 0f ? g : g * alpha * MathF.Exp(x);

    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> g)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), g, g * alpha * Vector256.Exp(x));
}

/// <summary>
/// Tanh as sign(x)·(−m / (2 + m)) with m = e^(−2|x|) − 1 from <see cref="EluOperator.ExpM1"/>: exact
/// to a few ulps everywhere, including near 0 where the common 1 − 2/(e^(2x) + 1) form (and
/// TensorPrimitives.Tanh) loses most of its digits.
/// </summary>
internal readonly struct TanhOperator : IUnaryOperator
{
    public float Invoke(float x) => (float)Math.Tanh(x);

    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> m = EluOperator.ExpM1(Vector256.Abs(x) * -2f);
        Vector256<float> magnitude = -m / (Vector256.Create(2f) + m);
        return Vector256.ConditionalSelect(Vector256.Create(-0f), x, magnitude);
    }
}

/// <summary>Tanh gradient from the saved output: g·(1 − y²).</summary>
internal readonly struct TanhGradientOperator : IBinaryOperator
{
    public float Invoke(float y, float g) => g * (1f - (y * y));

    public Vector256<float> Invoke(Vector256<float> y, Vector256<float> g) => g * (Vector256<float>.One - (y * y));
}

/// <summary>
/// GELU, tanh approximation (Hendrycks and Gimpel 2016, as PyTorch's approximate="tanh"):
/// 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³), evaluated as x·σ(2u) = x / (1 + e^(−2u)),
/// which is the same function without tanh's cancellation.
/// </summary>
internal readonly struct GeluOperator : IUnaryOperator
{
    internal const float Sqrt2OverPi = 0.7978845608028654f;
    internal const float Cubic = 0.044715f;

    public float Invoke(float x)
    {
        double u = Sqrt2OverPi * (x + (Cubic * x * x * x));
        return (float)(x / (1.0 + Math.Exp(-2.0 * u)));
    }

    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> u = (x + (x * x * x * Cubic)) * Sqrt2OverPi;
        return x / (Vector256<float>.One + Vector256.Exp(u * -2f));
    }
}

/// <summary>
/// GELU (tanh approximation) gradient from the saved input: with s = σ(2u),
/// d/dx = s + 2·x·s·(1 − s)·u′, u′ = √(2/π)·(1 + 3·0.044715·x²); 1 − s is formed as e·s to avoid
/// cancellation, and the exponent is capped where s underflows so e·s stays finite.
/// </summary>
internal readonly struct GeluGradientOperator : IBinaryOperator
{
    public float Invoke(float x, float g)
    {
        double xd = x;
        double u = GeluOperator.Sqrt2OverPi * (xd + (GeluOperator.Cubic * xd * xd * xd));
        double du = GeluOperator.Sqrt2OverPi * (1.0 + (3.0 * GeluOperator.Cubic * xd * xd));
        double e = Math.Exp(Math.Min(-2.0 * u, 80.0));
        double s = 1.0 / (1.0 + e);
        return (float)(g * (s + (2.0 * xd * s * (e * s) * du)));
    }

    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> g)
    {
        Vector256<float> x2 = x * x;
        Vector256<float> u = (x + (x2 * x * GeluOperator.Cubic)) * GeluOperator.Sqrt2OverPi;
        Vector256<float> du = (Vector256<float>.One + (x2 * (3f * GeluOperator.Cubic))) * GeluOperator.Sqrt2OverPi;
        Vector256<float> e = Vector256.Exp(Vector256.Min(u * -2f, Vector256.Create(80f)));
        Vector256<float> s = Vector256<float>.One / (Vector256<float>.One + e);
        return g * (s + (x * s * (e * s) * du * 2f));
    }
}
