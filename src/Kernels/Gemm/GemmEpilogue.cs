using System;

namespace Mtrl.Kernels;

/// <summary>What a GEMM applies to each finished element of C.</summary>
public enum GemmEpilogueKind
{
    /// <summary>C as computed.</summary>
    None,

    /// <summary>C[i, j] + bias[j]: an affine layer's output without a separate bias pass.</summary>
    AddBias,

    /// <summary>relu(C[i, j] + bias[j]): an affine layer followed by ReLU.</summary>
    AddBiasRelu,

    /// <summary>C[i, j] where mask[i, j] &gt; 0, else 0: an input gradient taken through the ReLU whose output is the mask.</summary>
    ReluMask,
}

/// <summary>
/// An elementwise step a GEMM applies to C after the product (C = e(alpha·op(A)·op(B) + beta·C)).
/// The managed kernel applies it to each register tile as the tile is stored, while it is still in
/// L1, so a layer's bias, ReLU or ReLU mask costs no pass of its own over a batch-sized matrix;
/// the other paths apply it in one pass after the product. On every path the result has the bits of
/// the same product followed by a separate elementwise pass. The bias or mask must not overlap C.
/// </summary>
public readonly ref struct GemmEpilogue
{
    private GemmEpilogue(GemmEpilogueKind kind, ReadOnlySpan<float> values, int stride)
    {
        Kind = kind;
        Values = values;
        Stride = stride;
    }

    /// <summary>No epilogue.</summary>
    public static GemmEpilogue None => default;

    /// <summary>Which step is applied.</summary>
    public GemmEpilogueKind Kind { get; }

    /// <summary>The bias (one value per column of C) or the mask (a matrix shaped like C).</summary>
    public ReadOnlySpan<float> Values { get; }

    /// <summary>Row stride of the mask; 0 for the bias kinds.</summary>
    public int Stride { get; }

    /// <summary>C[i, j] + bias[j]; <paramref name="bias"/> needs at least n values.</summary>
    public static GemmEpilogue AddBias(ReadOnlySpan<float> bias) => new(GemmEpilogueKind.AddBias, bias, 0);

    /// <summary>relu(C[i, j] + bias[j]) with relu(v) = v &gt; 0 ? v : 0; <paramref name="bias"/> needs at least n values.</summary>
    public static GemmEpilogue AddBiasRelu(ReadOnlySpan<float> bias) => new(GemmEpilogueKind.AddBiasRelu, bias, 0);

    /// <summary>mask[i, j] &gt; 0 ? C[i, j] : 0, with <paramref name="mask"/> m×n row-major at row stride <paramref name="stride"/>.</summary>
    public static GemmEpilogue ReluMask(ReadOnlySpan<float> mask, int stride) => new(GemmEpilogueKind.ReluMask, mask, stride);

    /// <summary>Throws unless the bias or mask covers an m×n C.</summary>
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

                if (m > 0 && n > 0 && Values.Length < (long)(m - 1) * Stride + n)
                {
                    throw new ArgumentException($"The epilogue's mask of length {Values.Length} is too short for a {m}×{n} matrix with row stride {Stride}.", "epilogue");
                }

                return;
            default:
                throw new ArgumentOutOfRangeException("epilogue", Kind, "Unknown GEMM epilogue kind.");
        }
    }
}
