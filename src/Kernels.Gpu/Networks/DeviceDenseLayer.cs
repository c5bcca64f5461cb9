namespace Mtrl.Kernels.Gpu.Networks;

/// <summary>
/// Where one affine layer y = x·W + b lives in a flat parameter array: W is inputs × outputs
/// row-major at <see cref="WeightOffset"/>, b has outputs values at <see cref="BiasOffset"/> (the
/// CPU <c>Linear</c> layer's layout, so a CPU parameter store's values can be copied as they are).
/// </summary>
/// <param name="Inputs">Columns of x, rows of W.</param>
/// <param name="Outputs">Columns of W and y.</param>
/// <param name="WeightOffset">Offset of W in the parameter array.</param>
/// <param name="BiasOffset">Offset of b in the parameter array.</param>
public readonly record struct DeviceDenseLayer(int Inputs, int Outputs, int WeightOffset, int BiasOffset);
