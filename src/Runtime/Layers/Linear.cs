using System;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Mtrl.Kernels;
using Mtrl.Runtime.Optimization;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Layers;

/// <summary>y = x·W + b with W stored [in, out]; the dense workhorse of every network.</summary>
public sealed class Linear
{
    private readonly ParameterStore _store;
    private float[]? _biasGradient;

    /// <summary>Binds a layer to its weight ([in, out]) and bias ([1, out]) slices.</summary>
    public Linear(ParameterStore store, ParameterSlice weight, ParameterSlice bias)
    {
        _store = store;
        Weight = weight;
        Bias = bias;
        if (bias.Length != weight.Columns)
        {
            throw new ArgumentException($"bias '{bias.Name}' has {bias.Length} values but weight '{weight.Name}' has {weight.Columns} outputs", nameof(bias));
        }
    }

    /// <summary>The weight slice.</summary>
    public ParameterSlice Weight { get; }

    /// <summary>The bias slice.</summary>
    public ParameterSlice Bias { get; }

    /// <summary>Input width.</summary>
    public int Inputs => Weight.Rows;

    /// <summary>Output width.</summary>
    public int Outputs => Weight.Columns;

    /// <summary>Which GEMM implementation to use (tests force each).</summary>
    public GemmBackend Backend { get; set; } = GemmBackend.Auto;

    /// <summary>Threads for the managed GEMM (null: the default accelerator).</summary>
    public Accelerator? Accelerator { get; set; }

    /// <summary>y[batch, out] = x[batch, in]·W + b.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
        => Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, batch, Outputs, Inputs,
            1f, x, Inputs, _store.ValuesOf(Weight), Outputs, 0f, y.Slice(0, batch * Outputs), Outputs,
            GemmEpilogue.AddBias(_store.ValuesOf(Bias)), Backend, Accelerator);

    /// <summary>
    /// y = relu(x·W + b): the layer and a following ReLU in one call. The bias and ReLU run as the
    /// GEMM's epilogue, on each tile of y as it is stored, so y is written once and no
    /// pre-activation buffer is needed (ReLU's backward only needs y; see <see cref="BackwardThroughRelu"/>).
    /// </summary>
    public void ForwardRelu(ReadOnlySpan<float> x, Span<float> y, int batch)
        => Gemm.Multiply(GemmTranspose.None, GemmTranspose.None, batch, Outputs, Inputs,
            1f, x, Inputs, _store.ValuesOf(Weight), Outputs, 0f, y.Slice(0, batch * Outputs), Outputs,
            GemmEpilogue.AddBiasRelu(_store.ValuesOf(Bias)), Backend, Accelerator);

    /// <summary>dW += xᵀ·dy, db += Σ dy, dx = dy·Wᵀ (skipped when <paramref name="dx"/> is empty).</summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch)
        => BackwardCore(x, dy, dx, batch, GemmEpilogue.None);

    private void BackwardCore(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch, GemmEpilogue dxEpilogue)
    {
        var gradient = dy.Slice(0, batch * Outputs);
        if (_store.AccumulatesGradients)
        {
            Gemm.AccumulateAffineGradients(batch, Inputs, Outputs, x.Slice(0, batch * Inputs), gradient,
                _store.GradientsOf(Weight), _store.GradientsOf(Bias), Backend, Accelerator);
        }
        if (dx.IsEmpty) return;
        Gemm.Multiply(GemmTranspose.None, GemmTranspose.Transpose, batch, Inputs, Outputs,
            1f, gradient, Outputs, _store.ValuesOf(Weight), Outputs, 0f, dx.Slice(0, batch * Inputs), Inputs, dxEpilogue, Backend, Accelerator);
    }

    /// <summary>
    /// As <see cref="Backward"/> for a layer whose input x is the output of a ReLU, with dx carried
    /// through that ReLU: dx = (dy·Wᵀ) ⊙ [x &gt; 0], the gradient at the ReLU's input. Replaces
    /// Backward followed by the ReLU's own backward pass; the mask runs as the dx product's epilogue.
    /// </summary>
    public void BackwardThroughRelu(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch)
        => BackwardCore(x, dy, dx, batch, GemmEpilogue.ReluMask(x.Slice(0, batch * Inputs), Inputs));

    /// <summary>Largest batch the fused update handles in registers; larger batches update from the gradient buffer.</summary>
    public const int FusedBatchLimit = 4;

    /// <summary>
    /// Backward and Adam in one: dx = dy·Wᵀ from the weights as they were before this call (skipped
    /// when <paramref name="dx"/> is empty), then W and b updated by <paramref name="step"/> with
    /// dW = xᵀ·dy and db = Σ dy. For a batch of at most <see cref="FusedBatchLimit"/> (where the GEMMs
    /// of <see cref="Backward"/> take the direct path) this is one sweep over the weight rows: each row
    /// is read once, its dx dot products taken, its gradient row built in registers and W, m, v
    /// updated — the gradient buffer is never written or read, and the result is bit-identical to
    /// zeroing the gradients, <see cref="Backward"/> and <see cref="Adam.Step"/> (same operations in
    /// the same order). Larger batches, and the OpenBLAS back end, write this layer's gradients and
    /// update from them (same result as unfused, without the fusion's saving). Frozen or zero-scale
    /// slices are not updated; the layer's dx is still computed.
    /// </summary>
    public void BackwardAndUpdate(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch, AdamFusedStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (step.Store != _store) throw new ArgumentException("the fused step belongs to an optimizer over another parameter store", nameof(step));
        if (!FusesAt(batch))
        {
            _store.GradientsOf(Weight).Clear();
            _store.GradientsOf(Bias).Clear();
            Backward(x, dy, dx, batch);
            step.UpdateFromGradients(Weight);
            step.UpdateFromGradients(Bias);
            return;
        }

        var gradient = dy.Slice(0, batch * Outputs);
        var input = x.Slice(0, batch * Inputs);
        // dx as Backward computes it: dot products when its GEMM takes the direct dot path (then the
        // sweep takes them row by row, before updating the row); otherwise the same GEMM call, first.
        // (FusesAt: batch ≤ 4 on the managed path, where the dx product always takes the direct path.)
        var dots = !dx.IsEmpty && batch <= Outputs;
        if (!dx.IsEmpty && !dots)
        {
            Gemm.Multiply(GemmTranspose.None, GemmTranspose.Transpose, batch, Inputs, Outputs,
                1f, gradient, Outputs, _store.ValuesOf(Weight), Outputs, 0f, dx.Slice(0, batch * Inputs), Inputs, Backend, Accelerator);
        }
        var updateWeight = step.TryClaim(Weight, out var weightConstants);
        if (updateWeight || dots)
        {
            var rows = new FusedRows(input, gradient, dots ? dx.Slice(0, batch * Inputs) : default, _store.ValuesOf(Weight),
                step.FirstMoment.AsSpan(Weight.Offset, Weight.Length), step.SecondMoment.AsSpan(Weight.Offset, Weight.Length),
                Inputs, Outputs, batch, updateWeight, weightConstants);
            var accelerator = Accelerator ?? CpuAccelerator.Default;
            if (accelerator.DegreeOfParallelism > 1 && (long)Inputs * Outputs >= ParallelFusedElements)
            {
                accelerator.LaunchChunked(Inputs, FusedRowGrain, in rows);
            }
            else
            {
                rows.Execute(0, Inputs);
            }
        }
        if (_store.IsTrainable(Bias))
        {
            // db as Backward computes it, in a scratch row: the store's gradient buffer stays untouched.
            var biasGradient = _biasGradient ??= new float[Outputs];
            MatrixOps.ColumnSums(gradient, batch, Outputs, biasGradient);
            step.Update(Bias, biasGradient);
        }
    }

    /// <summary>True when <see cref="BackwardAndUpdate"/> sweeps the weights itself at <paramref name="batch"/> (else it runs Backward and updates from the gradients).</summary>
    internal bool FusesAt(int batch) => batch <= FusedBatchLimit && Gemm.TakesDirectPath(Inputs, batch, Backend);

    /// <summary>Weights (in × out) from which the fused sweep is split over threads.</summary>
    private const int ParallelFusedElements = 1 << 15;

    /// <summary>Rows per chunk of the fused sweep.</summary>
    private const int FusedRowGrain = 16;

    /// <summary>
    /// The fused sweep over weight rows [start, end): per row (one input feature) the dx dot products
    /// with the old row, then the Adam update from the gradient row x[:, i]·dy. Rows are independent,
    /// so any chunking over threads gives the same bits.
    /// </summary>
    private readonly ref struct FusedRows : IRangeKernel
    {
        private readonly ReadOnlySpan<float> _x;
        private readonly ReadOnlySpan<float> _dy;
        private readonly Span<float> _dx;
        private readonly Span<float> _w;
        private readonly Span<float> _m;
        private readonly Span<float> _v;
        private readonly int _inputs;
        private readonly int _outputs;
        private readonly int _batch;
        private readonly bool _update;
        private readonly AdamConstants _constants;

        public FusedRows(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, Span<float> w, Span<float> m, Span<float> v,
            int inputs, int outputs, int batch, bool update, AdamConstants constants)
        {
            _x = x;
            _dy = dy;
            _dx = dx;
            _w = w;
            _m = m;
            _v = v;
            _inputs = inputs;
            _outputs = outputs;
            _batch = batch;
            _update = update;
            _constants = constants;
        }

        public void Execute(int start, int end)
        {
            var outputs = _outputs;
            for (var i = start; i < end; i++)
            {
                var row = _w.Slice(i * outputs, outputs);
                if (!_dx.IsEmpty)
                {
                    for (var r = 0; r < _batch; r++) _dx[r * _inputs + i] = TensorPrimitives.Dot(_dy.Slice(r * outputs, outputs), row);
                }
                if (!_update) continue;
                var coefficients = Vector128.Create(
                    _x[i],
                    _batch > 1 ? _x[_inputs + i] : 0f,
                    _batch > 2 ? _x[2 * _inputs + i] : 0f,
                    _batch > 3 ? _x[3 * _inputs + i] : 0f);
                AdamMath.UpdateOuter(row, _m.Slice(i * outputs, outputs), _v.Slice(i * outputs, outputs), _dy, outputs, coefficients, _batch, _constants);
            }
        }
    }
}
