using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Mtrl.Kernels;

/// <summary>
/// An elementwise step over a finished block of C, given where the block sits in C (to find its
/// bias or mask values). Struct implementations let the GEMM driver be specialised per epilogue.
/// </summary>
internal unsafe interface IGemmEpilogue
{
    /// <summary>True for the epilogue that changes nothing (drivers skip the call).</summary>
    static abstract bool IsIdentity { get; }

    /// <summary>Applies the step to rows × columns of C at <paramref name="c"/>, which is C[row, column].</summary>
    void Apply(float* c, int ldc, int row, int column, int rows, int columns);

    /// <summary>
    /// Starts loading what <see cref="Apply"/> will read for that block, called before the block's
    /// product so the loads arrive while it computes (a mask row per tile row would otherwise
    /// stall the epilogue on cache misses).
    /// </summary>
    void Prefetch(int row, int column, int rows, int columns);
}

/// <summary>No epilogue.</summary>
internal readonly unsafe struct NoEpilogue : IGemmEpilogue
{
    public static bool IsIdentity => true;

    public void Apply(float* c, int ldc, int row, int column, int rows, int columns)
    {
    }

    public void Prefetch(int row, int column, int rows, int columns)
    {
    }
}

/// <summary>
/// C[i, j] = f(C[i, j] + bias[j]) for an elementwise f (<see cref="IdentityOperator"/> for the bias
/// alone, <see cref="ReluOperator"/> for an affine layer followed by ReLU), with the operator's own
/// arithmetic, so the result has the bits of the bias pass followed by the activation pass.
/// </summary>
internal readonly unsafe struct BiasEpilogue<TActivation>(float* bias) : IGemmEpilogue
    where TActivation : struct, IUnaryOperator
{
    public static bool IsIdentity => false;

    /// <summary>Nothing: the bias row is reused by every tile row and stays in L1.</summary>
    public void Prefetch(int row, int column, int rows, int columns)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply(float* c, int ldc, int row, int column, int rows, int columns)
    {
        TActivation activation = default;
        float* b = bias + column;
        for (int r = 0; r < rows; r++)
        {
            float* cRow = c + ((nint)r * ldc);
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= columns; j += 8)
                {
                    activation.Invoke(Vector256.Load(cRow + j) + Vector256.Load(b + j)).Store(cRow + j);
                }
            }

            for (; j < columns; j++)
            {
                cRow[j] = activation.Invoke(cRow[j] + b[j]);
            }
        }
    }
}

/// <summary>
/// C[i, j] = f′ applied to C[i, j] from the saved value x[i, j] of a matrix shaped like C, with
/// the operator's own arithmetic (<see cref="ReluGradientOperator"/>: x &gt; 0 ? C : 0, the mask of
/// <see cref="Activations.ReluBackward"/>), so the result has the bits of the separate backward pass.
/// </summary>
internal readonly unsafe struct ActivationGradientEpilogue<TGradient>(float* saved, int stride) : IGemmEpilogue
    where TGradient : struct, IBinaryOperator
{
    public static bool IsIdentity => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int row, int column, int rows, int columns)
        => CachePrefetch.Block(saved + ((nint)row * stride) + column, stride, rows, columns);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply(float* c, int ldc, int row, int column, int rows, int columns)
    {
        TGradient gradient = default;
        for (int r = 0; r < rows; r++)
        {
            float* cRow = c + ((nint)r * ldc);
            float* xRow = saved + ((nint)(row + r) * stride) + column;
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= columns; j += 8)
                {
                    gradient.Invoke(Vector256.Load(xRow + j), Vector256.Load(cRow + j)).Store(cRow + j);
                }
            }

            for (; j < columns; j++)
            {
                cRow[j] = gradient.Invoke(xRow[j], cRow[j]);
            }
        }
    }
}
