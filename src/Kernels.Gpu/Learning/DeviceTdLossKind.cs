namespace Mtrl.Kernels.Gpu.Learning;

/// <summary>The regression loss of the TD error, as the CPU <c>TdLossKind</c>.</summary>
public enum DeviceTdLossKind
{
    /// <summary>Huber (smooth L1) with threshold δ.</summary>
    Huber,

    /// <summary>Squared error.</summary>
    SquaredError,
}
