using System;
using Mtrl.Kernels;
using Mtrl.Runtime.Networks;

namespace Mtrl.Runtime.Algorithms;

/// <summary>
/// A hand-composed <see cref="Sequential"/> network used as a Q network: each row's observation
/// and goal are placed side by side as its input, and its outputs are the Q values.
/// </summary>
public sealed class SequentialQNetwork : IQNetwork
{
    private readonly Sequential _network;
    private readonly float[] _input;

    /// <summary>Wraps <paramref name="network"/>, whose input is observation then goal and whose outputs are one Q value per action.</summary>
    public SequentialQNetwork(Sequential network, int observationWidth, int goalWidth = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (observationWidth < 1) throw new ArgumentOutOfRangeException(nameof(observationWidth), observationWidth, "must be at least 1");
        if (goalWidth < 0) throw new ArgumentOutOfRangeException(nameof(goalWidth), goalWidth, "must be at least 0");
        if (observationWidth + goalWidth != network.Inputs)
        {
            throw new ArgumentException($"the network reads {network.Inputs} inputs but observation {observationWidth} + goal {goalWidth} = {observationWidth + goalWidth}", nameof(network));
        }
        _network = network;
        ObservationWidth = observationWidth;
        GoalWidth = goalWidth;
        _input = new float[network.MaxBatch * network.Inputs];
    }

    /// <inheritdoc />
    public int MaxBatch => _network.MaxBatch;

    /// <inheritdoc />
    public int ObservationWidth { get; }

    /// <inheritdoc />
    public int GoalWidth { get; }

    /// <inheritdoc />
    public int ActionCount => _network.Outputs;

    /// <inheritdoc />
    public ReadOnlySpan<float> Forward(scoped in NetworkInputs inputs)
    {
        var rows = inputs.Count;
        if (rows < 1 || rows > MaxBatch) throw new ArgumentOutOfRangeException(nameof(inputs), rows, $"batch must be in [1, {MaxBatch}]");
        var width = _network.Inputs;
        for (var i = 0; i < rows; i++)
        {
            var row = _input.AsSpan(i * width, width);
            inputs.Observations.Slice(i * ObservationWidth, ObservationWidth).CopyTo(row);
            if (GoalWidth > 0) inputs.Goals.Slice(i * GoalWidth, GoalWidth).CopyTo(row.Slice(ObservationWidth));
        }
        return _network.Forward(_input, rows, inputs.Tasks);
    }

    /// <inheritdoc />
    public void UseGemm(GemmBackend backend, Accelerator? accelerator) => _network.UseGemm(backend, accelerator);

    /// <inheritdoc />
    public void Backward(ReadOnlySpan<float> outputGradient) => _network.Backward(outputGradient);
}
