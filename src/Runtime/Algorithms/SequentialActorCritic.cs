using System;
using System.Collections.Generic;
using Mtrl.Kernels;
using Mtrl.Runtime.Networks;
using Mtrl.Runtime.Parameters;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// A hand-composed <see cref="Sequential"/> used as a policy: each row's observation and goal are
/// its input; its output is a Gaussian head's [μ | log-std] (2d wide) or a deterministic action
/// (d wide, ending in tanh).
/// </summary>
public sealed class SequentialPolicyNetwork : IPolicyNetwork
{
    private readonly Sequential _network;
    private readonly SequentialRows _rows;

    /// <summary>Wraps <paramref name="network"/>, whose parameters are the slices named <c>{name}.…</c>.</summary>
    public SequentialPolicyNetwork(Sequential network, string name, ParameterLayout layout, int observationWidth, int goalWidth, int actionSize, bool stochastic)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (actionSize < 1) throw new ArgumentOutOfRangeException(nameof(actionSize), actionSize, "must be at least 1");
        var outputs = stochastic ? 2 * actionSize : actionSize;
        if (network.Outputs != outputs) throw new ArgumentException($"the network writes {network.Outputs} values per row but a {(stochastic ? "Gaussian" : "deterministic")} policy over {actionSize} dimensions needs {outputs}", nameof(network));
        _network = network;
        _rows = new SequentialRows(network.MaxBatch, network.Inputs, observationWidth, goalWidth, 0);
        ActionSize = actionSize;
        IsStochastic = stochastic;
        TrainedSlices = layout.SlicesUnder(name);
    }

    /// <inheritdoc />
    public int MaxBatch => _network.MaxBatch;

    /// <inheritdoc />
    public int ObservationWidth => _rows.ObservationWidth;

    /// <inheritdoc />
    public int GoalWidth => _rows.GoalWidth;

    /// <inheritdoc />
    public int ActionSize { get; }

    /// <inheritdoc />
    public bool IsStochastic { get; }

    /// <inheritdoc />
    public IReadOnlyList<ParameterSlice> TrainedSlices { get; }

    /// <inheritdoc />
    public ReadOnlySpan<float> Forward(scoped in NetworkInputs inputs) => _network.Forward(_rows.Pack(inputs, default), inputs.Count, inputs.Tasks);

    /// <inheritdoc />
    public void Backward(ReadOnlySpan<float> outputGradient) => _network.Backward(outputGradient);

    /// <inheritdoc />
    public void UseGemm(GemmBackend backend, Accelerator? accelerator) => _network.UseGemm(backend, accelerator);
}

/// <summary>
/// A hand-composed <see cref="Sequential"/> used as a critic Q(s, a): each row's observation,
/// goal and action side by side are its input; its one output is Q.
/// </summary>
public sealed class SequentialCriticNetwork : ICriticNetwork
{
    private readonly Sequential _network;
    private readonly SequentialRows _rows;
    private readonly float[] _inputGradient;
    private readonly float[] _actionGradient;
    private int _count;

    /// <summary>Wraps <paramref name="network"/>, whose parameters are the slices named <c>{name}.…</c>.</summary>
    public SequentialCriticNetwork(Sequential network, string name, ParameterLayout layout, int observationWidth, int goalWidth, int actionSize)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.Outputs != 1) throw new ArgumentException($"a critic writes one Q value per row; the network writes {network.Outputs}", nameof(network));
        _network = network;
        _rows = new SequentialRows(network.MaxBatch, network.Inputs, observationWidth, goalWidth, actionSize);
        ActionSize = actionSize;
        TrainedSlices = layout.SlicesUnder(name);
        _inputGradient = new float[network.MaxBatch * network.Inputs];
        _actionGradient = new float[network.MaxBatch * actionSize];
    }

    /// <inheritdoc />
    public int MaxBatch => _network.MaxBatch;

    /// <inheritdoc />
    public int ObservationWidth => _rows.ObservationWidth;

    /// <inheritdoc />
    public int GoalWidth => _rows.GoalWidth;

    /// <inheritdoc />
    public int ActionSize { get; }

    /// <inheritdoc />
    public IReadOnlyList<ParameterSlice> TrainedSlices { get; }

    /// <inheritdoc />
    public ReadOnlySpan<float> ActionGradient => _actionGradient.AsSpan(0, _count * ActionSize);

    /// <inheritdoc />
    public ReadOnlySpan<float> Forward(scoped in NetworkInputs inputs, ReadOnlySpan<float> actions)
    {
        _count = inputs.Count;
        return _network.Forward(_rows.Pack(inputs, actions), inputs.Count, inputs.Tasks);
    }

    /// <inheritdoc />
    public void Backward(ReadOnlySpan<float> outputGradient)
    {
        var width = _network.Inputs;
        _network.Backward(outputGradient, _inputGradient.AsSpan(0, _count * width));
        var offset = width - ActionSize;
        for (var i = 0; i < _count; i++) _inputGradient.AsSpan(i * width + offset, ActionSize).CopyTo(_actionGradient.AsSpan(i * ActionSize, ActionSize));
    }

    /// <inheritdoc />
    public void UseGemm(GemmBackend backend, Accelerator? accelerator) => _network.UseGemm(backend, accelerator);
}

/// <summary>Packs observation, goal and (for critics) action rows side by side as a sequential network's input.</summary>
internal sealed class SequentialRows
{
    private readonly float[] _input;
    private readonly int _width;
    private readonly int _actionSize;

    public SequentialRows(int maxBatch, int width, int observationWidth, int goalWidth, int actionSize)
    {
        if (observationWidth < 1) throw new ArgumentOutOfRangeException(nameof(observationWidth), observationWidth, "must be at least 1");
        if (goalWidth < 0) throw new ArgumentOutOfRangeException(nameof(goalWidth), goalWidth, "must be at least 0");
        if (observationWidth + goalWidth + actionSize != width)
        {
            throw new ArgumentException($"the network reads {width} inputs but observation {observationWidth} + goal {goalWidth} + action {actionSize} = {observationWidth + goalWidth + actionSize}");
        }
        _input = new float[maxBatch * width];
        _width = width;
        _actionSize = actionSize;
        ObservationWidth = observationWidth;
        GoalWidth = goalWidth;
    }

    public int ObservationWidth { get; }

    public int GoalWidth { get; }

    public float[] Pack(scoped in NetworkInputs inputs, ReadOnlySpan<float> actions)
    {
        var rows = inputs.Count;
        if (rows < 1 || rows * _width > _input.Length) throw new ArgumentOutOfRangeException(nameof(inputs), rows, $"batch must be in [1, {_input.Length / _width}]");
        for (var i = 0; i < rows; i++)
        {
            var row = _input.AsSpan(i * _width, _width);
            inputs.Observations.Slice(i * ObservationWidth, ObservationWidth).CopyTo(row);
            if (GoalWidth > 0) inputs.Goals.Slice(i * GoalWidth, GoalWidth).CopyTo(row.Slice(ObservationWidth));
            if (_actionSize > 0) actions.Slice(i * _actionSize, _actionSize).CopyTo(row.Slice(ObservationWidth + GoalWidth));
        }
        return _input;
    }
}
