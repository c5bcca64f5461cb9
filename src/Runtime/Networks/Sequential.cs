using System;
using System.Collections.Generic;
using Mtrl.Contracts;
using Mtrl.Kernels;
using Mtrl.Runtime.Layers;
using Mtrl.Runtime.Optimization;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Networks;

/// <summary>
/// Describes a chain of layers while the parameter layout is being built: each call adds its
/// slices to the layout. <see cref="Bind"/> then makes a runnable <see cref="Sequential"/> once
/// the store exists. The generator emits the same schedules as straight-line code; this is the
/// hand-written composition used by tests, benchmarks and small programs.
/// </summary>
public sealed class SequentialBuilder
{
    private readonly ParameterLayoutBuilder _layout;
    private readonly string _name;
    private readonly List<Step> _steps = new();

    internal abstract record Step(int Inputs, int Outputs);

    internal sealed record LinearStep(ParameterSlice Weight, ParameterSlice Bias) : Step(Weight.Rows, Weight.Columns);

    internal sealed record TaskLinearStep(ParameterSlice[] Weights, ParameterSlice[] Biases) : Step(Weights[0].Rows, Weights[0].Columns);

    internal sealed record ActivationStep(ActivationKind Kind, int Width) : Step(Width, Width);

    internal sealed record LayerNormStep(ParameterSlice Gain, ParameterSlice Shift) : Step(Gain.Length, Gain.Length);

    /// <summary>Starts a chain named <paramref name="name"/> (slice prefix) reading <paramref name="inputs"/> features.</summary>
    public SequentialBuilder(ParameterLayoutBuilder layout, string name, int inputs)
    {
        if (inputs < 1) throw new ArgumentOutOfRangeException(nameof(inputs), inputs, "inputs must be at least 1");
        _layout = layout;
        _name = name;
        Width = inputs;
        Inputs = inputs;
    }

    /// <summary>Input width of the chain.</summary>
    public int Inputs { get; }

    /// <summary>Current output width.</summary>
    public int Width { get; private set; }

    /// <summary>Appends an affine layer to <paramref name="outputs"/> features (Kaiming-uniform weights for ReLU by default, zero bias).</summary>
    public SequentialBuilder Linear(int outputs, Initializer? weight = null, ParameterOwner? owner = null)
    {
        var (w, b) = _layout.AddAffine($"{_name}.fc{_steps.Count}", owner ?? ParameterOwner.Shared, Width, outputs,
            weight ?? Initializer.KaimingUniform(MathF.Sqrt(2f)));
        _steps.Add(new LinearStep(w, b));
        Width = outputs;
        return this;
    }

    /// <summary>Appends a per-task affine layer (one weight per task).</summary>
    public SequentialBuilder TaskLinear(int outputs, int tasks, Initializer? weight = null)
    {
        var weights = new ParameterSlice[tasks];
        var biases = new ParameterSlice[tasks];
        for (var t = 0; t < tasks; t++)
        {
            (weights[t], biases[t]) = _layout.AddAffine($"{_name}.fc{_steps.Count}.task{t}", ParameterOwner.Task(t), Width, outputs,
                weight ?? Initializer.KaimingUniform(MathF.Sqrt(2f)));
        }
        _steps.Add(new TaskLinearStep(weights, biases));
        Width = outputs;
        return this;
    }

    /// <summary>Appends an elementwise nonlinearity.</summary>
    public SequentialBuilder Activation(ActivationKind kind)
    {
        _steps.Add(new ActivationStep(kind, Width));
        return this;
    }

    /// <summary>Appends layer normalisation (gain 1, shift 0).</summary>
    public SequentialBuilder LayerNorm()
    {
        var gain = _layout.Add($"{_name}.norm{_steps.Count}.gain", ParameterOwner.Shared, 1, Width, Initializer.Constant(1f));
        var shift = _layout.Add($"{_name}.norm{_steps.Count}.shift", ParameterOwner.Shared, 1, Width, Initializer.Zeros);
        _steps.Add(new LayerNormStep(gain, shift));
        return this;
    }

    /// <summary>Appends affine + activation for each width.</summary>
    public SequentialBuilder Mlp(IEnumerable<int> widths, ActivationKind activation = ActivationKind.Relu)
    {
        foreach (var width in widths) Linear(width).Activation(activation);
        return this;
    }

    /// <summary>Creates the runnable chain over <paramref name="store"/> with workspaces for <paramref name="maxBatch"/> samples.</summary>
    public Sequential Bind(ParameterStore store, int maxBatch) => new(store, Inputs, _steps, maxBatch);
}

/// <summary>
/// A runnable chain: forward keeps every intermediate in preallocated buffers, backward walks
/// them in reverse. No allocation per call.
/// </summary>
public sealed class Sequential
{
    private readonly object[] _layers;
    private readonly float[][] _activations;
    private readonly float[] _gradientA;
    private readonly float[] _gradientB;
    private readonly int[] _widths;
    private readonly bool[] _reluFollows;
    private readonly TaskBatch? _tasks;
    private readonly ParameterStore _store;
    private readonly ParameterSlice[][] _parameters;
    private float[] _input = [];
    private int _batch;
    private int _coverageVersion = -1;
    private bool _coversTrainable;

    internal Sequential(ParameterStore store, int inputs, IReadOnlyList<SequentialBuilder.Step> steps, int maxBatch)
    {
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "maxBatch must be at least 1");
        MaxBatch = maxBatch;
        _store = store;
        _layers = new object[steps.Count];
        _parameters = new ParameterSlice[steps.Count][];
        _activations = new float[steps.Count][];
        _widths = new int[steps.Count + 1];
        _widths[0] = inputs;
        // A linear layer followed by ReLU writes the ReLU's output itself (its GEMM epilogue), and
        // its pre-activation buffer is the ReLU's: ReLU's backward reads the mask from either.
        _reluFollows = new bool[steps.Count];
        for (var i = 0; i + 1 < steps.Count; i++)
        {
            _reluFollows[i] = steps[i] is SequentialBuilder.LinearStep && steps[i + 1] is SequentialBuilder.ActivationStep { Kind: ActivationKind.Relu };
        }
        var widest = inputs;
        for (var i = steps.Count - 1; i >= 0; i--)
        {
            _activations[i] = _reluFollows[i] ? _activations[i + 1] : GC.AllocateArray<float>(maxBatch * steps[i].Outputs, pinned: true);
        }
        for (var i = 0; i < steps.Count; i++)
        {
            _layers[i] = steps[i] switch
            {
                SequentialBuilder.LinearStep l => new Linear(store, l.Weight, l.Bias),
                SequentialBuilder.TaskLinearStep t => new TaskLinear(store, t.Weights, t.Biases, maxBatch),
                SequentialBuilder.ActivationStep a => new Layers.Activation(a.Kind),
                SequentialBuilder.LayerNormStep n => new LayerNorm(store, n.Gain, n.Shift),
                _ => throw new InvalidOperationException("unknown step"),
            };
            if (steps[i] is SequentialBuilder.TaskLinearStep task) _tasks ??= new TaskBatch(task.Weights.Length, maxBatch);
            _parameters[i] = steps[i] switch
            {
                SequentialBuilder.LinearStep l => [l.Weight, l.Bias],
                SequentialBuilder.TaskLinearStep t => [.. t.Weights, .. t.Biases],
                SequentialBuilder.LayerNormStep n => [n.Gain, n.Shift],
                _ => [],
            };
            _widths[i + 1] = steps[i].Outputs;
            widest = Math.Max(widest, steps[i].Outputs);
        }
        _gradientA = new float[maxBatch * widest];
        _gradientB = new float[maxBatch * widest];
    }

    /// <summary>Largest batch accepted.</summary>
    public int MaxBatch { get; }

    /// <summary>Input width.</summary>
    public int Inputs => _widths[0];

    /// <summary>Output width.</summary>
    public int Outputs => _widths[^1];

    /// <summary>Forces one GEMM back end (and, for the managed one, an accelerator) in every affine layer.</summary>
    public void UseGemm(GemmBackend backend, Accelerator? accelerator = null)
    {
        foreach (var layer in _layers)
        {
            if (layer is Linear linear)
            {
                linear.Backend = backend;
                linear.Accelerator = accelerator;
            }
            if (layer is TaskLinear task)
            {
                task.Backend = backend;
                task.Accelerator = accelerator;
            }
        }
    }

    /// <summary>Runs the chain; the input must stay unchanged until <see cref="Backward"/>. Task ids are needed only by per-task layers.</summary>
    public ReadOnlySpan<float> Forward(float[] input, int batch, ReadOnlySpan<int> taskIds = default)
    {
        if ((uint)batch > (uint)MaxBatch || batch == 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be in [1, {MaxBatch}]");
        if (input.Length < batch * Inputs) throw new ArgumentException($"input holds {input.Length} values; batch {batch} × {Inputs} needed", nameof(input));
        if (_tasks is not null)
        {
            if (taskIds.Length < batch) throw new ArgumentException("this network has per-task layers and needs one task id per sample", nameof(taskIds));
            _tasks.Assign(taskIds, batch);
        }
        _input = input;
        _batch = batch;
        ReadOnlySpan<float> x = input;
        for (var i = 0; i < _layers.Length; i++)
        {
            var y = _activations[i].AsSpan(0, batch * _widths[i + 1]);
            switch (_layers[i])
            {
                case Linear linear when _reluFollows[i]:
                    linear.ForwardRelu(x, y, batch);
                    i++;
                    break;
                case Linear linear: linear.Forward(x, y, batch); break;
                case TaskLinear task: task.Forward(x.Slice(0, batch * _widths[i]), _tasks!, y); break;
                case Layers.Activation activation: activation.Forward(x, y, batch * _widths[i]); break;
                case LayerNorm norm: norm.Forward(x, y, batch); break;
            }
            x = y;
        }
        return x;
    }

    /// <summary>
    /// Back-propagates ∂L/∂output (batch × outputs): accumulates parameter gradients into the store
    /// and writes ∂L/∂input into <paramref name="inputGradient"/> unless it is empty.
    /// </summary>
    public void Backward(ReadOnlySpan<float> outputGradient, Span<float> inputGradient = default) =>
        BackwardCore(outputGradient, step: null, inputGradient);

    /// <summary>
    /// Backward and one Adam step in a single pass per layer (see <see cref="Linear.BackwardAndUpdate"/>):
    /// replaces <c>store.ZeroGradients(); Backward(dy); adam.Step()</c> after <see cref="Forward"/>, with
    /// bit-identical parameters, moments and step count, but without writing, zeroing or re-reading the
    /// gradient buffer (which it leaves stale). Returns false, updating nothing, when the input, an
    /// activation or <paramref name="outputGradient"/> holds NaN or ∞ (counted in
    /// <see cref="Adam.SkippedSteps"/>, as <see cref="Adam.Step"/> does for a non-finite gradient).
    /// </summary>
    /// <remarks>
    /// Falls back to exactly the unfused sequence (so the result is the same; only the saving is lost)
    /// when Adam clips by global norm (the norm needs the whole gradient before any update), when the
    /// batch exceeds <see cref="Linear.FusedBatchLimit"/>, when a linear layer uses OpenBLAS (its
    /// products are not the direct path the fused sweep reproduces), or when the store has trainable slices
    /// outside this chain (they would miss the step). Layers without a fused kernel (per-task linear,
    /// layer norm) write their own gradients inside the step and update from them. A gradient that turns non-finite only inside backward (an overflow
    /// with finite activations and loss gradient) cannot be caught before the layers behind it were
    /// updated; that throws <see cref="ArithmeticException"/> instead of corrupting the rest.
    /// A linear layer followed by ReLU keeps only the ReLU's output, so a NaN or −∞ in its
    /// pre-activation is not seen here: ReLU maps it to 0, as the unfused sequence does, and the
    /// gradients stay finite.
    /// </remarks>
    public bool BackwardAndStep(ReadOnlySpan<float> outputGradient, Adam adam, Span<float> inputGradient = default)
    {
        ArgumentNullException.ThrowIfNull(adam);
        if (!CanFuse(adam))
        {
            _store.ZeroGradients();
            Backward(outputGradient, inputGradient);
            return adam.Step();
        }
        if (!AllFinite(outputGradient.Slice(0, _batch * Outputs)) || !AllFinite(_input.AsSpan(0, _batch * Inputs)))
        {
            adam.SkipFusedStep();
            return false;
        }
        for (var i = 0; i < _layers.Length; i++)
        {
            if (!AllFinite(_activations[i].AsSpan(0, _batch * _widths[i + 1])))
            {
                adam.SkipFusedStep();
                return false;
            }
        }
        var step = adam.BeginFusedStep();
        BackwardAndUpdate(outputGradient, step, inputGradient);
        adam.EndFusedStep();
        return true;
    }

    /// <summary>
    /// The fused backward of every layer inside an open fused step (<see cref="Adam.BeginFusedStep"/>),
    /// for schedules that update several networks in one step. Checks nothing beforehand (see
    /// <see cref="BackwardAndStep"/>); layers without a fused kernel accumulate into zeroed gradients
    /// and update from them.
    /// </summary>
    public void BackwardAndUpdate(ReadOnlySpan<float> outputGradient, AdamFusedStep step, Span<float> inputGradient = default)
    {
        ArgumentNullException.ThrowIfNull(step);
        BackwardCore(outputGradient, step, inputGradient);
    }

    /// <summary>The backward walk; with a fused step, linear layers update as they go and the others update from their own fresh gradients.</summary>
    private void BackwardCore(ReadOnlySpan<float> outputGradient, AdamFusedStep? step, Span<float> inputGradient)
    {
        var batch = _batch;
        ReadOnlySpan<float> dy = outputGradient;
        var current = _gradientA;
        var other = _gradientB;
        for (var i = _layers.Length - 1; i >= 0; i--)
        {
            ReadOnlySpan<float> x = i == 0 ? _input.AsSpan(0, batch * _widths[0]) : _activations[i - 1].AsSpan(0, batch * _widths[i]);
            Span<float> dx = i == 0 ? inputGradient : current.AsSpan(0, batch * _widths[i]);
            // Through a ReLU that is not the first layer: dx lands at the ReLU's input, which is skipped.
            var throughRelu = i >= 2 && _layers[i - 1] is Layers.Activation { Kind: ActivationKind.Relu };
            switch (_layers[i])
            {
                case Linear linear when step is null && throughRelu:
                    linear.BackwardThroughRelu(x, dy, dx, batch);
                    i--;
                    break;
                case Linear linear when step is null:
                    linear.Backward(x, dy, dx, batch);
                    break;
                case Linear linear:
                    if (!AllFinite(dy.Slice(0, batch * _widths[i + 1])))
                    {
                        throw new ArithmeticException($"the gradient reaching layer {i} overflowed inside the fused backward pass; the layers after it were already updated");
                    }
                    linear.BackwardAndUpdate(x, dy, dx, batch, step);
                    if (throughRelu)
                    {
                        Activations.ReluBackward(x, dx, dx);
                        i--;
                    }
                    break;
                case TaskLinear task:
                    ClearOwnGradients(i, step);
                    task.Backward(x, dy.Slice(0, batch * _widths[i + 1]), _tasks!, dx);
                    UpdateFromOwnGradients(i, step);
                    break;
                case Layers.Activation activation: activation.Backward(x, _activations[i], dy, dx, batch * _widths[i]); break;
                case LayerNorm norm:
                    ClearOwnGradients(i, step);
                    norm.Backward(x, dy, dx, batch);
                    UpdateFromOwnGradients(i, step);
                    break;
            }
            dy = dx;
            (current, other) = (other, current);
        }
    }

    /// <summary>Inside a fused step a layer without a fused kernel accumulates into its own zeroed gradients…</summary>
    private void ClearOwnGradients(int layer, AdamFusedStep? step)
    {
        if (step is null) return;
        foreach (var slice in _parameters[layer]) _store.GradientsOf(slice).Clear();
    }

    /// <summary>…and updates from them right away.</summary>
    private void UpdateFromOwnGradients(int layer, AdamFusedStep? step)
    {
        if (step is null) return;
        foreach (var slice in _parameters[layer]) step.UpdateFromGradients(slice);
    }

    /// <summary>Whether <see cref="BackwardAndStep"/> can take the fused path for the current batch.</summary>
    private bool CanFuse(Adam adam)
    {
        if (_batch > Linear.FusedBatchLimit || adam.Options.MaxGradientNorm > 0f || adam.Store != _store) return false;
        foreach (var layer in _layers)
        {
            // A linear layer without its fused sweep here (OpenBLAS) would only add work: run unfused.
            if (layer is Linear linear && !linear.FusesAt(_batch)) return false;
        }
        if (_coverageVersion != _store.Version)
        {
            // Every trainable slice of the store must belong to this chain, or it would miss the step.
            var mine = new bool[_store.Layout.Slices.Count];
            foreach (var slices in _parameters)
            {
                foreach (var slice in slices) mine[slice.Index] = true;
            }
            _coversTrainable = true;
            foreach (var slice in _store.Layout.Slices)
            {
                if (!mine[slice.Index] && _store.IsTrainable(slice)) _coversTrainable = false;
            }
            _coverageVersion = _store.Version;
        }
        return _coversTrainable;
    }

    private static bool AllFinite(ReadOnlySpan<float> values) => System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(values);
}
