using System;
using System.Numerics.Tensors;

namespace Mtrl.Kernels;

/// <summary>
/// Level-1 vector operations over flat float spans — optimizer updates, gradient accumulation,
/// PCGrad's dot products and norms — backed by TensorPrimitives' vectorised loops.
/// </summary>
public static class VectorOps
{
    /// <summary>y += a·x (BLAS axpy): accumulating scaled gradients or applying an update.</summary>
    /// <param name="a">Scale.</param>
    /// <param name="x">Source.</param>
    /// <param name="y">Accumulator, same length as <paramref name="x"/>.</param>
    public static void Axpy(float a, ReadOnlySpan<float> x, Span<float> y)
    {
        ElementwiseLoops.CheckSameLength(x.Length, y.Length, nameof(y));
        TensorPrimitives.MultiplyAdd(x, a, y, y);
    }

    /// <summary>x *= a in place: loss weighting, gradient clipping, averaging over tasks.</summary>
    /// <param name="x">Values to scale.</param>
    /// <param name="a">Scale.</param>
    public static void Scale(Span<float> x, float a) => TensorPrimitives.Multiply(x, a, x);

    /// <summary>destination = a·x, the out-of-place form of <see cref="Scale(Span{float}, float)"/>.</summary>
    /// <param name="x">Source.</param>
    /// <param name="a">Scale.</param>
    /// <param name="destination">Result, same length as <paramref name="x"/>.</param>
    public static void Scale(ReadOnlySpan<float> x, float a, Span<float> destination)
    {
        ElementwiseLoops.CheckSameLength(x.Length, destination.Length, nameof(destination));
        TensorPrimitives.Multiply(x, a, destination);
    }

    /// <summary>⟨x, y⟩: gradient conflict tests (PCGrad) and projections.</summary>
    /// <param name="x">First vector.</param>
    /// <param name="y">Second vector, same length.</param>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        ElementwiseLoops.CheckSameLength(x.Length, y.Length, nameof(y));
        return TensorPrimitives.Dot(x, y);
    }

    /// <summary>‖x‖²: gradient norms for clipping, GradNorm and projection denominators.</summary>
    /// <param name="x">Vector.</param>
    public static float SquaredNorm(ReadOnlySpan<float> x) => TensorPrimitives.SumOfSquares(x);

    /// <summary>destination = x ⊙ y (Hadamard product): gating, FiLM scaling, masks.</summary>
    /// <param name="x">First factor.</param>
    /// <param name="y">Second factor, same length.</param>
    /// <param name="destination">Result; may be <paramref name="x"/> or <paramref name="y"/>.</param>
    public static void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination)
    {
        ElementwiseLoops.CheckSameLength(x.Length, y.Length, nameof(y));
        ElementwiseLoops.CheckSameLength(x.Length, destination.Length, nameof(destination));
        TensorPrimitives.Multiply(x, y, destination);
    }
}
