using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Mtrl.Kernels;

/// <summary>
/// The one loop every element-wise operator runs through: full 256-bit vectors, then the tail
/// padded into a single vector, so every element takes the same arithmetic path and results do
/// not depend on where a span starts or how a caller chunks it.
/// </summary>
internal static class ElementwiseLoops
{
    /// <summary>destination[i] = op(x[i]); destination may be x itself.</summary>
    [SkipLocalsInit]
    public static void Map<TOp>(ReadOnlySpan<float> x, Span<float> destination, TOp op)
        where TOp : struct, IUnaryOperator
    {
        CheckSameLength(x.Length, destination.Length, nameof(destination));
        int length = x.Length;
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ds = ref MemoryMarshal.GetReference(destination);
        if (!Vector256.IsHardwareAccelerated)
        {
            for (int i = 0; i < length; i++)
            {
                Unsafe.Add(ref ds, i) = op.Invoke(Unsafe.Add(ref xs, i));
            }

            return;
        }

        int w = Vector256<float>.Count;
        int i0 = 0;
        for (; i0 <= length - w; i0 += w)
        {
            op.Invoke(Vector256.LoadUnsafe(ref xs, (nuint)i0)).StoreUnsafe(ref ds, (nuint)i0);
        }

        int tail = length - i0;
        if (tail > 0)
        {
            Span<float> pad = stackalloc float[w];
            pad.Clear();
            x[i0..].CopyTo(pad);
            Vector256<float> result = op.Invoke(Vector256.Create<float>(pad));
            result.CopyTo(pad);
            pad[..tail].CopyTo(destination[i0..]);
        }
    }

    /// <summary>destination[i] = op(x[i], y[i]); destination may be x or y itself.</summary>
    [SkipLocalsInit]
    public static void Map<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination, TOp op)
        where TOp : struct, IBinaryOperator
    {
        CheckSameLength(x.Length, y.Length, nameof(y));
        CheckSameLength(x.Length, destination.Length, nameof(destination));
        int length = x.Length;
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float ds = ref MemoryMarshal.GetReference(destination);
        if (!Vector256.IsHardwareAccelerated)
        {
            for (int i = 0; i < length; i++)
            {
                Unsafe.Add(ref ds, i) = op.Invoke(Unsafe.Add(ref xs, i), Unsafe.Add(ref ys, i));
            }

            return;
        }

        int w = Vector256<float>.Count;
        int i0 = 0;
        for (; i0 <= length - w; i0 += w)
        {
            op.Invoke(Vector256.LoadUnsafe(ref xs, (nuint)i0), Vector256.LoadUnsafe(ref ys, (nuint)i0)).StoreUnsafe(ref ds, (nuint)i0);
        }

        int tail = length - i0;
        if (tail > 0)
        {
            Span<float> padX = stackalloc float[w];
            Span<float> padY = stackalloc float[w];
            padX.Clear();
            padY.Clear();
            x[i0..].CopyTo(padX);
            y[i0..].CopyTo(padY);
            Vector256<float> result = op.Invoke(Vector256.Create<float>(padX), Vector256.Create<float>(padY));
            result.CopyTo(padX);
            padX[..tail].CopyTo(destination[i0..]);
        }
    }

    /// <summary>Throws unless two spans that must match element for element have the same length.</summary>
    public static void CheckSameLength(int expected, int actual, string name)
    {
        if (expected != actual)
        {
            throw new ArgumentException($"Length {actual} does not match the input length {expected}.", name);
        }
    }
}
