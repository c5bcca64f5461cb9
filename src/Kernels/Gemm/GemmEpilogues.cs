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

/// <summary>C[i, j] += bias[j].</summary>
internal readonly unsafe struct BiasEpilogue(float* bias) : IGemmEpilogue
{
    public static bool IsIdentity => false;

    /// <summary>Nothing: the bias row is reused by every tile row and stays in L1.</summary>
    public void Prefetch(int row, int column, int rows, int columns)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply(float* c, int ldc, int row, int column, int rows, int columns)
    {
        float* b = bias + column;
        for (int r = 0; r < rows; r++)
        {
            float* cRow = c + ((nint)r * ldc);
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= columns; j += 8)
                {
                    (Vector256.Load(cRow + j) + Vector256.Load(b + j)).Store(cRow + j);
                }
            }

            for (; j < columns; j++)
            {
                cRow[j] += b[j];
            }
        }
    }
}

/// <summary>C[i, j] = relu(C[i, j] + bias[j]), relu(v) = v &gt; 0 ? v : 0 as <see cref="Activations.Relu"/> computes it.</summary>
internal readonly unsafe struct BiasReluEpilogue(float* bias) : IGemmEpilogue
{
    public static bool IsIdentity => false;

    /// <summary>Nothing: the bias row is reused by every tile row and stays in L1.</summary>
    public void Prefetch(int row, int column, int rows, int columns)
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply(float* c, int ldc, int row, int column, int rows, int columns)
    {
        float* b = bias + column;
        for (int r = 0; r < rows; r++)
        {
            float* cRow = c + ((nint)r * ldc);
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= columns; j += 8)
                {
                    Vector256<float> v = Vector256.Load(cRow + j) + Vector256.Load(b + j);
                    Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, Vector256<float>.Zero).Store(cRow + j);
                }
            }

            for (; j < columns; j++)
            {
                float v = cRow[j] + b[j];
                cRow[j] = v > 0f ? v : 0f;
            }
        }
    }
}

/// <summary>C[i, j] = mask[i, j] &gt; 0 ? C[i, j] : 0, as <see cref="Activations.ReluBackward"/> computes it from a ReLU's output.</summary>
internal readonly unsafe struct ReluMaskEpilogue(float* mask, int stride) : IGemmEpilogue
{
    public static bool IsIdentity => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int row, int column, int rows, int columns)
        => CachePrefetch.Block(mask + ((nint)row * stride) + column, stride, rows, columns);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Apply(float* c, int ldc, int row, int column, int rows, int columns)
    {
        for (int r = 0; r < rows; r++)
        {
            float* cRow = c + ((nint)r * ldc);
            float* mRow = mask + ((nint)(row + r) * stride) + column;
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= columns; j += 8)
                {
                    Vector256<float> keep = Vector256.GreaterThan(Vector256.Load(mRow + j), Vector256<float>.Zero);
                    Vector256.ConditionalSelect(keep, Vector256.Load(cRow + j), Vector256<float>.Zero).Store(cRow + j);
                }
            }

            for (; j < columns; j++)
            {
                cRow[j] = mRow[j] > 0f ? cRow[j] : 0f;
            }
        }
    }
}
