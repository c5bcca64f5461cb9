using System;
using ILGPU;

namespace Mtrl.Kernels.Gpu.Networks;

/// <summary>
/// What the device GEMM applies to each finished element of C: the device twin of
/// <see cref="GemmEpilogue"/> (a bias, bias and ReLU, or a ReLU mask), with its values on the device.
/// </summary>
public readonly struct DeviceGemmEpilogue
{
    private DeviceGemmEpilogue(GemmEpilogueKind kind, ArrayView<float> values, int stride)
    {
        Kind = kind;
        Values = values;
        Stride = stride;
    }

    /// <summary>No epilogue.</summary>
    public static DeviceGemmEpilogue None => default;

    /// <summary>Which step is applied.</summary>
    public GemmEpilogueKind Kind { get; }

    /// <summary>The bias (one value per column of C) or the mask (a matrix shaped like C).</summary>
    public ArrayView<float> Values { get; }

    /// <summary>Row stride of the mask; 0 for the bias kinds.</summary>
    public int Stride { get; }

    /// <summary>C[i, j] + bias[j]; <paramref name="bias"/> needs at least n values.</summary>
    public static DeviceGemmEpilogue AddBias(ArrayView<float> bias) => new(GemmEpilogueKind.AddBias, bias, 0);

    /// <summary>relu(C[i, j] + bias[j]); <paramref name="bias"/> needs at least n values.</summary>
    public static DeviceGemmEpilogue AddBiasRelu(ArrayView<float> bias) => new(GemmEpilogueKind.AddBiasRelu, bias, 0);

    /// <summary>mask[i, j] &gt; 0 ? C[i, j] : 0, the mask m×n row-major at row stride <paramref name="stride"/>.</summary>
    public static DeviceGemmEpilogue ReluMask(ArrayView<float> mask, int stride) => new(GemmEpilogueKind.ReluMask, mask, stride);

    /// <summary>Throws unless the bias or mask covers an m×n C, with the CPU epilogue's messages.</summary>
    internal void Validate(int m, int n)
    {
        switch (Kind)
        {
            case GemmEpilogueKind.None:
                return;
            case GemmEpilogueKind.AddBias or GemmEpilogueKind.AddBiasRelu:
                if (Values.Length < n)
                {
                    throw new ArgumentException($"The epilogue's bias holds {Values.Length} values; C has {n} columns.", "epilogue");
                }

                return;
            case GemmEpilogueKind.ReluMask:
                if (Stride < Math.Max(1, n))
                {
                    throw new ArgumentOutOfRangeException("epilogue", Stride, $"The epilogue's mask stride must be at least max(1, {n}).");
                }

                if (m > 0 && n > 0 && Values.Length < ((long)(m - 1) * Stride) + n)
                {
                    throw new ArgumentException($"The epilogue's mask of length {Values.Length} is too short for a {m}×{n} matrix with row stride {Stride}.", "epilogue");
                }

                return;
            default:
                throw new ArgumentOutOfRangeException("epilogue", Kind, "Unknown GEMM epilogue kind.");
        }
    }
}
