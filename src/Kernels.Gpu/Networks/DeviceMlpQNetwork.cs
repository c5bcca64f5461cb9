using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;

namespace Mtrl.Kernels.Gpu.Networks;

/// <summary>
/// A plain MLP on the device — affine layers with ReLU between them, one output per action —
/// over a flat parameter array (and, to train it, a gradient array of the same layout): the
/// device form of a CPU <c>Sequential</c> built with <c>Mlp(hidden).Linear(actions)</c>. Forward
/// runs one GEMM per layer with the bias (and ReLU) fused; backward accumulates dW += xᵀ·dy and
/// db += Σ dy and carries dx = dy·Wᵀ through the ReLU as the GEMM's mask epilogue, as the CPU
/// <c>Linear.BackwardThroughRelu</c> does. Activations are kept on the device between the passes.
/// </summary>
public sealed class DeviceMlpQNetwork : IDisposable
{
    private readonly DeviceGemm _gemm;
    private readonly DeviceLayerOps _ops;
    private readonly DeviceDenseLayer[] _layers;
    private readonly ArrayView<float> _values;
    private readonly ArrayView<float> _gradients;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _outputs;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _inputGradients;
    private ArrayView<float> _input;
    private int _batch;

    /// <summary>Binds the network to its parameters and allocates activations for <paramref name="maxBatch"/> rows.</summary>
    /// <param name="gemm">The device GEMM (its device is the network's).</param>
    /// <param name="ops">The device layer kernels, on the same device.</param>
    /// <param name="layers">The affine layers in order, each reading the previous one's outputs; ReLU follows all but the last.</param>
    /// <param name="values">The parameter values, covering every layer's W and b.</param>
    /// <param name="gradients">The gradients, as long as <paramref name="values"/>; or an empty view for a network that is never trained (a target network).</param>
    /// <param name="maxBatch">Largest batch, at least 1.</param>
    public DeviceMlpQNetwork(DeviceGemm gemm, DeviceLayerOps ops, IReadOnlyList<DeviceDenseLayer> layers, ArrayView<float> values, ArrayView<float> gradients, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(gemm);
        ArgumentNullException.ThrowIfNull(ops);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        if (gradients.Length != 0 && gradients.Length != values.Length)
        {
            throw new ArgumentException($"gradients has {gradients.Length} values; it needs the values' {values.Length} (or none, for a network that is not trained)", nameof(gradients));
        }

        _layers = Validate(layers, values.Length);
        _gemm = gemm;
        _ops = ops;
        _values = values;
        _gradients = gradients;
        MaxBatch = maxBatch;
        ILGPU.Runtime.Accelerator accelerator = values.GetAccelerator();
        _outputs = new MemoryBuffer1D<float, Stride1D.Dense>[_layers.Length];
        // dx is needed at every layer's input but the first: entry l − 1 is layer l's.
        _inputGradients = new MemoryBuffer1D<float, Stride1D.Dense>[_layers.Length - 1];
        for (int l = 0; l < _layers.Length; l++)
        {
            _outputs[l] = accelerator.Allocate1D<float>((long)maxBatch * _layers[l].Outputs);
            if (l > 0)
            {
                _inputGradients[l - 1] = accelerator.Allocate1D<float>((long)maxBatch * _layers[l].Inputs);
            }
        }
    }

    /// <summary>Floats per input row.</summary>
    public int Inputs => _layers[0].Inputs;

    /// <summary>Q values per row.</summary>
    public int ActionCount => _layers[^1].Outputs;

    /// <summary>Largest batch.</summary>
    public int MaxBatch { get; }

    /// <summary>Q values of every action, batch × actions, valid until the next Forward; the input must stay unchanged until <see cref="Backward"/>.</summary>
    /// <param name="input">batch × <see cref="Inputs"/> row-major.</param>
    /// <param name="batch">Rows, in [1, <see cref="MaxBatch"/>].</param>
    public ArrayView<float> Forward(ArrayView<float> input, int batch)
    {
        if (batch < 1 || batch > MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be in [1, {MaxBatch}]");
        }

        if (input.Length < (long)batch * Inputs)
        {
            throw new ArgumentException($"input has {input.Length} values; batch {batch} × {Inputs} needed", nameof(input));
        }

        _input = input;
        _batch = batch;
        ArrayView<float> x = input;
        for (int l = 0; l < _layers.Length; l++)
        {
            DeviceDenseLayer layer = _layers[l];
            ArrayView<float> bias = _values.SubView(layer.BiasOffset, layer.Outputs);
            ArrayView<float> y = _outputs[l].View.SubView(0, (long)batch * layer.Outputs);
            _gemm.Multiply(GemmTranspose.None, GemmTranspose.None, batch, layer.Outputs, layer.Inputs, 1f, x, layer.Inputs, Weight(_values, layer), layer.Outputs,
                0f, y, layer.Outputs, l < _layers.Length - 1 ? DeviceGemmEpilogue.AddBiasRelu(bias) : DeviceGemmEpilogue.AddBias(bias));
            x = y;
        }

        return x;
    }

    /// <summary>Back-propagates ∂L/∂Q of the last <see cref="Forward"/>, accumulating into the gradients (zero them first for a fresh step).</summary>
    /// <param name="outputGradient">batch × actions, for the batch of the last Forward.</param>
    public void Backward(ArrayView<float> outputGradient)
    {
        if (_gradients.Length == 0)
        {
            throw new InvalidOperationException("this network was bound without gradients (a target network) and cannot run backward");
        }

        if (_batch == 0)
        {
            throw new InvalidOperationException("Backward needs a Forward first");
        }

        int batch = _batch;
        if (outputGradient.Length < (long)batch * ActionCount)
        {
            throw new ArgumentException($"outputGradient has {outputGradient.Length} values; batch {batch} × {ActionCount} needed", nameof(outputGradient));
        }

        ArrayView<float> dy = outputGradient.SubView(0, (long)batch * ActionCount);
        for (int l = _layers.Length - 1; l >= 0; l--)
        {
            DeviceDenseLayer layer = _layers[l];
            ArrayView<float> x = l == 0 ? _input.SubView(0, (long)batch * layer.Inputs) : _outputs[l - 1].View.SubView(0, (long)batch * layer.Inputs);
            _gemm.Multiply(GemmTranspose.Transpose, GemmTranspose.None, layer.Inputs, layer.Outputs, batch, 1f, x, layer.Inputs, dy, layer.Outputs,
                1f, Weight(_gradients, layer), layer.Outputs);
            _ops.ColumnSums(dy, batch, layer.Outputs, _gradients.SubView(layer.BiasOffset, layer.Outputs), accumulate: true);
            if (l == 0)
            {
                break;
            }

            // x is the previous layer's ReLU output: positive exactly where its input was.
            ArrayView<float> dx = _inputGradients[l - 1].View.SubView(0, (long)batch * layer.Inputs);
            _gemm.Multiply(GemmTranspose.None, GemmTranspose.Transpose, batch, layer.Inputs, layer.Outputs, 1f, dy, layer.Outputs, Weight(_values, layer), layer.Outputs,
                0f, dx, layer.Inputs, DeviceGemmEpilogue.ReluMask(x, layer.Inputs));
            dy = dx;
        }
    }

    /// <summary>
    /// Back-propagates ∂L/∂output of the last <see cref="Forward"/> to the network's input only,
    /// without touching any weight gradient: what SAC's actor loss needs from a critic (∂Q/∂a),
    /// as the CPU critic's backward with <c>AccumulatesGradients</c> off. Works on a network bound
    /// without gradients too.
    /// </summary>
    /// <param name="outputGradient">batch × outputs, for the batch of the last Forward.</param>
    /// <param name="inputGradient">batch × <see cref="Inputs"/>, overwritten with ∂L/∂input.</param>
    public void BackwardToInput(ArrayView<float> outputGradient, ArrayView<float> inputGradient)
    {
        if (_batch == 0)
        {
            throw new InvalidOperationException("BackwardToInput needs a Forward first");
        }

        int batch = _batch;
        if (outputGradient.Length < (long)batch * ActionCount)
        {
            throw new ArgumentException($"outputGradient has {outputGradient.Length} values; batch {batch} × {ActionCount} needed", nameof(outputGradient));
        }

        if (inputGradient.Length < (long)batch * Inputs)
        {
            throw new ArgumentException($"inputGradient has {inputGradient.Length} values; batch {batch} × {Inputs} needed", nameof(inputGradient));
        }

        ArrayView<float> dy = outputGradient.SubView(0, (long)batch * ActionCount);
        for (int l = _layers.Length - 1; l >= 0; l--)
        {
            DeviceDenseLayer layer = _layers[l];
            if (l == 0)
            {
                _gemm.Multiply(GemmTranspose.None, GemmTranspose.Transpose, batch, layer.Inputs, layer.Outputs, 1f, dy, layer.Outputs, Weight(_values, layer), layer.Outputs,
                    0f, inputGradient.SubView(0, (long)batch * layer.Inputs), layer.Inputs);
                break;
            }

            ArrayView<float> x = _outputs[l - 1].View.SubView(0, (long)batch * layer.Inputs);
            ArrayView<float> dx = _inputGradients[l - 1].View.SubView(0, (long)batch * layer.Inputs);
            _gemm.Multiply(GemmTranspose.None, GemmTranspose.Transpose, batch, layer.Inputs, layer.Outputs, 1f, dy, layer.Outputs, Weight(_values, layer), layer.Outputs,
                0f, dx, layer.Inputs, DeviceGemmEpilogue.ReluMask(x, layer.Inputs));
            dy = dx;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (MemoryBuffer1D<float, Stride1D.Dense> buffer in _outputs)
        {
            buffer.Dispose();
        }

        foreach (MemoryBuffer1D<float, Stride1D.Dense> buffer in _inputGradients)
        {
            buffer.Dispose();
        }
    }

    /// <summary>Throws unless the layers chain (each reads the previous one's outputs) and fit <paramref name="parameterCount"/> values; returns them as an array.</summary>
    internal static DeviceDenseLayer[] Validate(IReadOnlyList<DeviceDenseLayer> layers, long parameterCount)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count < 1)
        {
            throw new ArgumentException("a network needs at least one layer", nameof(layers));
        }

        var checkedLayers = new DeviceDenseLayer[layers.Count];
        for (int l = 0; l < layers.Count; l++)
        {
            DeviceDenseLayer layer = layers[l];
            if (layer.Inputs < 1 || layer.Outputs < 1)
            {
                throw new ArgumentException($"layer {l} is {layer.Inputs} → {layer.Outputs}; both widths must be at least 1", nameof(layers));
            }

            if (l > 0 && layer.Inputs != layers[l - 1].Outputs)
            {
                throw new ArgumentException($"layer {l} reads {layer.Inputs} inputs but layer {l - 1} has {layers[l - 1].Outputs} outputs", nameof(layers));
            }

            if (layer.WeightOffset < 0 || layer.WeightOffset + ((long)layer.Inputs * layer.Outputs) > parameterCount
                || layer.BiasOffset < 0 || (long)layer.BiasOffset + layer.Outputs > parameterCount)
            {
                throw new ArgumentException($"layer {l}'s weight at {layer.WeightOffset} or bias at {layer.BiasOffset} does not fit the {parameterCount} parameter values", nameof(layers));
            }

            checkedLayers[l] = layer;
        }

        return checkedLayers;
    }

    private static ArrayView<float> Weight(ArrayView<float> parameters, DeviceDenseLayer layer) => parameters.SubView(layer.WeightOffset, (long)layer.Inputs * layer.Outputs);
}
